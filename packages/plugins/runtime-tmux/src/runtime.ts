/**
 * The tmux runtime: each ao session is one detached tmux session, so agents survive the `ao`
 * process that started them and a human can attach at any time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AoError, crashPoint, neutralizePasteMarkers, type PluginContext, type Runtime, type RuntimeHandle, type SendTextOptions } from '@ao/core/plugin';
import { join } from 'node:path';
import { LAUNCH_SHELL, removeLaunchFile, writeLaunchFile } from './launch.js';
import { openTmuxTerminal } from './terminal.js';
import {
  attachArgv,
  capturePane,
  capturePanes,
  deleteBuffer,
  killSession,
  listSessions,
  loadBuffer,
  newSession,
  bufferExists,
  pasteAndSubmit,
  sanitizeSessionName,
  showSessionOption,
  unsetSessionOption,
  sessionAlive,
} from './tmux.js';

export const RUNTIME_NAME = 'tmux';

const plain = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '_');
/** The paste buffer of one delivery. */
const sendBuffer = (deliveryId: string): string => `ao-send-${plain(deliveryId)}`;
/** The session option that is the receipt of one delivery (see `deliveryStatus`). */
const receiptOption = (deliveryId: string): string => `@ao-sent-${plain(deliveryId)}`;

export interface TmuxRuntimeConfig {
  cols: number;
  rows: number;
  remainOnExit: boolean;
}

/**
 * `ao-<6 hex of sha1(data dir)>-<session id>`: tmux names are global per user, so two data dirs
 * (two `AO_HOME`s, e.g. tests next to a real install) must never produce the same name.
 */
export function tmuxSessionName(home: string, sessionId: string): string {
  const tag = createHash('sha1').update(home).digest('hex').slice(0, 6);
  return sanitizeSessionName(`ao-${tag}-${sessionId}`);
}

function goneError(handle: RuntimeHandle, action: string): AoError {
  return new AoError(
    'RUNTIME_FAILED',
    `cannot ${action}: tmux session ${handle.id} is not running; restore it with \`ao session restore\``,
    { details: { handle } },
  );
}

function checkHandle(handle: RuntimeHandle): void {
  if (handle.runtime !== RUNTIME_NAME) {
    throw new AoError('RUNTIME_FAILED', `the tmux runtime cannot use a handle of runtime "${handle.runtime}" (${handle.id})`, {
      details: { handle },
    });
  }
}

export function createTmuxRuntime(config: TmuxRuntimeConfig, ctx: PluginContext): Runtime {
  const { exec } = ctx;
  const log = ctx.logger.child({ plugin: 'runtime-tmux' });

  return {
    async start(options) {
      const name = tmuxSessionName(ctx.paths.home, options.sessionId);
      const existing = await sessionAlive(exec, name);
      if (existing === true) {
        throw new AoError('RUNTIME_FAILED', `tmux session ${name} is already running; kill it before starting it again`, {
          details: { name },
        });
      }
      // A session kept by remain-on-exit after its agent died: replace it (restore).
      if (existing === false) await killSession(exec, name);
      // Environment and argv go through a private launch file, never tmux's argv (launch.ts).
      const launchFile = await writeLaunchFile(join(ctx.paths.home, 'launch'), options.argv, options.env);
      try {
        await newSession(exec, {
          name,
          cwd: options.cwd,
          argv: [LAUNCH_SHELL, launchFile],
          cols: options.cols ?? config.cols,
          rows: options.rows ?? config.rows,
          remainOnExit: config.remainOnExit,
        });
      } catch (error) {
        await removeLaunchFile(launchFile);
        throw error;
      }
      log.info({ name, cwd: options.cwd, program: options.argv[0] }, 'tmux session started');
      return { runtime: RUNTIME_NAME, id: name };
    },

    async stop(handle) {
      checkHandle(handle);
      await killSession(exec, handle.id);
    },

    async isAlive(handle) {
      checkHandle(handle);
      return (await sessionAlive(exec, handle.id)) === true;
    },

    async aliveMany(handles) {
      const result = new Map<string, boolean>();
      if (handles.length === 0) return result;
      const sessions = await listSessions(exec);
      for (const handle of handles) {
        result.set(handle.id, handle.runtime === RUNTIME_NAME && sessions.get(handle.id)?.alive === true);
      }
      return result;
    },

    async sendText(handle: RuntimeHandle, text: string, options: SendTextOptions = {}) {
      checkHandle(handle);
      if ((await sessionAlive(exec, handle.id)) !== true) throw goneError(handle, 'send text');
      // A buffer per delivery, deleted by the paste: concurrent sends never paste each other's text.
      const buffer = sendBuffer(options.deliveryId ?? randomBytes(6).toString('hex'));
      try {
        await loadBuffer(exec, buffer, neutralizePasteMarkers(text));
        crashPoint('tmux.loaded');
        await pasteAndSubmit(exec, handle.id, buffer, {
          bracketed: options.bracketedPaste !== false,
          deleteAfter: true,
          submit: options.submit !== false,
          ...(options.deliveryId ? { receipt: receiptOption(options.deliveryId) } : {}),
          ...(options.submitDelayMs ? { submitDelayMs: options.submitDelayMs } : {}),
        });
      } catch (error) {
        await deleteBuffer(exec, buffer);
        throw error;
      }
    },

    /**
     * The receipt is a session option set in the same tmux command as the paste and its Enter,
     * which tmux runs all or nothing: set means delivered, unset means it never was. A buffer
     * loaded but never pasted is deleted, so it cannot be pasted later. Without the tmux session
     * (the agent's terminal is gone) nobody can tell.
     */
    async deliveryStatus(handle, deliveryId) {
      checkHandle(handle);
      if ((await sessionAlive(exec, handle.id)) === undefined) return 'unknown';
      if ((await showSessionOption(exec, handle.id, receiptOption(deliveryId))) !== undefined) return 'delivered';
      if (await bufferExists(exec, sendBuffer(deliveryId))) await deleteBuffer(exec, sendBuffer(deliveryId));
      return 'not-delivered';
    },

    async forgetDelivery(handle, deliveryId) {
      checkHandle(handle);
      await unsetSessionOption(exec, handle.id, receiptOption(deliveryId));
    },

    /**
     * Works while the tmux session exists, including a dead pane kept by remain-on-exit, so the
     * agent's last screen (its error, its summary) stays readable after it exited.
     */
    async capture(handle, options = {}) {
      checkHandle(handle);
      if ((await sessionAlive(exec, handle.id)) === undefined) throw goneError(handle, 'capture the screen');
      return capturePane(exec, handle.id, options);
    },

    async captureMany(handles, options = {}) {
      handles.forEach(checkHandle);
      return capturePanes(exec, handles.map((h) => h.id), options);
    },

    /** A tmux client of its own in a pty; works on a dead pane kept by remain-on-exit too (its last screen). */
    async openTerminal(handle, options) {
      checkHandle(handle);
      if ((await sessionAlive(exec, handle.id)) === undefined) throw goneError(handle, 'open its terminal');
      return openTmuxTerminal(ctx, handle.id, options);
    },

    /** Inside tmux, attach-session would nest (tmux refuses): switch the current client instead. */
    async attachArgv(handle) {
      checkHandle(handle);
      if ((await sessionAlive(exec, handle.id)) === undefined) throw goneError(handle, 'attach');
      return attachArgv(handle.id, { insideTmux: Boolean(ctx.env.TMUX) });
    },

    async listOwned() {
      const prefix = tmuxSessionName(ctx.paths.home, '');
      return [...(await listSessions(exec)).values()]
        .filter((info) => info.name.startsWith(prefix) && info.name.length > prefix.length)
        .map((info) => ({
          handle: { runtime: RUNTIME_NAME, id: info.name },
          sessionId: info.name.slice(prefix.length),
          alive: info.alive,
          attach: ['tmux', 'attach', '-t', info.name],
          end: ['tmux', 'kill-session', '-t', info.name],
        }));
    },
  };
}
