/**
 * The `process` runtime: each agent runs in a pty hosted by the ao daemon (host.ts), for machines
 * without tmux. Every call — from a CLI process or from the daemon itself — goes through the
 * daemon's `/api/pty` routes with `daemonRequest`, so there is one path to the terminals.
 */
import {
  AoError,
  daemonRequest,
  isAoError,
  type PluginContext,
  type Runtime,
  type RuntimeHandle,
  type SendTextOptions,
} from '@ao/core/plugin';
import { openPtyTerminal } from './terminal-socket.js';
import type { PtyInfo, PtyListResponse, PtyScreenResponse, PtySendRequest, PtyStartRequest, PtyStartResponse } from './wire.js';

export const RUNTIME_NAME = 'process';

export interface ProcessRuntimeConfig {
  cols: number;
  rows: number;
}

const NO_DAEMON = 'the process runtime needs the ao daemon: run `ao start` (or install tmux and use runtime: tmux)';

function checkHandle(handle: RuntimeHandle): void {
  if (handle.runtime !== RUNTIME_NAME) {
    throw new AoError('RUNTIME_FAILED', `the process runtime cannot use a handle of runtime "${handle.runtime}" (${handle.id})`, {
      details: { handle },
    });
  }
}

const isUnavailable = (error: unknown): boolean => isAoError(error) && error.code === 'DAEMON_UNAVAILABLE';
/** The daemon answered, and said the pty is unknown or not running. */
const isGone = (error: unknown): boolean => isAoError(error) && (error.code === 'RUNTIME_NOT_FOUND' || error.code === 'RUNTIME_STATE');

const ptyPath = (id: string, action?: string): string =>
  `/api/pty/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

export function createProcessRuntime(config: ProcessRuntimeConfig, ctx: PluginContext): Runtime {
  const log = ctx.logger.child({ plugin: 'runtime-process' });
  const request = <T>(path: string, body?: unknown, timeoutMs?: number): Promise<T> =>
    daemonRequest<T>(ctx.paths, path, {
      ...(body === undefined ? {} : { method: 'POST', body }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });

  /** Wraps a daemon failure of `action` on `handle` in the contract's RUNTIME_FAILED. */
  const failed = (handle: RuntimeHandle, action: string, error: unknown): AoError => {
    if (isUnavailable(error)) {
      return new AoError('RUNTIME_FAILED', `cannot ${action} of ${handle.id}: ${NO_DAEMON}`, { cause: error, details: { handle } });
    }
    if (isGone(error)) {
      return new AoError(
        'RUNTIME_FAILED',
        `cannot ${action}: the process of ${handle.id} is not running; restore it with \`ao session restore\``,
        { cause: error, details: { handle } },
      );
    }
    const message = isAoError(error) ? error.message : String(error);
    return new AoError('RUNTIME_FAILED', `cannot ${action} of ${handle.id}: ${message}`, { cause: error, details: { handle } });
  };

  return {
    async start(options) {
      const body: PtyStartRequest = {
        sessionId: options.sessionId,
        cwd: options.cwd,
        argv: [...options.argv],
        ...(options.env ? { env: options.env } : {}),
        cols: options.cols ?? config.cols,
        rows: options.rows ?? config.rows,
      };
      let started: PtyStartResponse;
      try {
        started = await request<PtyStartResponse>('/api/pty', body);
      } catch (error) {
        if (isUnavailable(error)) {
          throw new AoError('RUNTIME_FAILED', `cannot start ${options.sessionId}: ${NO_DAEMON}`, {
            cause: error,
            details: { reason: 'DAEMON_UNAVAILABLE' },
          });
        }
        const message = isAoError(error) ? error.message : String(error);
        throw new AoError('RUNTIME_FAILED', `cannot start ${options.sessionId}: ${message}`, { cause: error });
      }
      log.info({ id: started.id, pid: started.pid, cwd: options.cwd, program: options.argv[0] }, 'pty started in the daemon');
      return { runtime: RUNTIME_NAME, id: started.id, data: { pid: started.pid } };
    },

    /** No daemon means no pty (they end with it), so there is nothing to stop. */
    async stop(handle) {
      checkHandle(handle);
      try {
        // Stopping waits out the host's SIGTERM grace period; allow for it.
        await request(ptyPath(handle.id, 'stop'), {}, 30_000);
      } catch (error) {
        if (isUnavailable(error) || isGone(error)) return;
        throw failed(handle, 'stop the process', error);
      }
    },

    /** False when no daemon runs: its ptys ended with it, so status shows the session as exited. */
    async isAlive(handle) {
      checkHandle(handle);
      try {
        return (await request<PtyInfo>(ptyPath(handle.id))).alive;
      } catch (error) {
        if (isUnavailable(error) || isGone(error)) return false;
        throw failed(handle, 'check the process', error);
      }
    },

    async aliveMany(handles) {
      const result = new Map<string, boolean>();
      if (handles.length === 0) return result;
      let alive = new Set<string>();
      try {
        const { ptys } = await request<PtyListResponse>('/api/pty');
        alive = new Set(ptys.filter((p) => p.alive).map((p) => p.id));
      } catch (error) {
        if (!isUnavailable(error)) throw failed(handles[0] as RuntimeHandle, 'list the processes', error);
      }
      for (const handle of handles) result.set(handle.id, handle.runtime === RUNTIME_NAME && alive.has(handle.id));
      return result;
    },

    /**
     * One submission: the host wraps the text in bracketed paste when the agent enabled it, then
     * presses Enter. An app that never enabled bracketed paste gets the text typed, each newline
     * as Enter — multi-line text then arrives line by line, as it would from a human typing.
     */
    async sendText(handle: RuntimeHandle, text: string, options: SendTextOptions = {}) {
      checkHandle(handle);
      const body: PtySendRequest = {
        text,
        ...(options.submit === undefined ? {} : { submit: options.submit }),
        ...(options.bracketedPaste === undefined ? {} : { bracketedPaste: options.bracketedPaste }),
        ...(options.submitDelayMs ? { submitDelayMs: options.submitDelayMs } : {}),
      };
      try {
        await request(ptyPath(handle.id, 'send'), body);
      } catch (error) {
        throw failed(handle, 'send text', error);
      }
    },

    /** Bridged to the pty in the daemon over its terminal WebSocket (terminal-socket.ts). */
    async openTerminal(handle, options) {
      checkHandle(handle);
      return openPtyTerminal(ctx.paths, handle.id, options);
    },

    /** Works after the program exited (its last screen is kept) until the pty is stopped. */
    async capture(handle, options = {}) {
      checkHandle(handle);
      const lines = Math.max(0, Math.floor(options.lines ?? 0));
      try {
        return (await request<PtyScreenResponse>(`${ptyPath(handle.id, 'screen')}?lines=${lines}`)).screen;
      } catch (error) {
        throw failed(handle, 'capture the screen', error);
      }
    },
  };
}
