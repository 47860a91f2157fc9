/**
 * The conformance suite every runtime plugin runs (ours and third-party): it drives the runtime
 * with the real fake agent CLI and checks what a user would notice — output on screen, liveness,
 * idempotent stop, batched liveness, literal one-submission delivery, self-exit — and, for a
 * runtime with `openTerminal`, the terminal stream: the screen so far, typing, resize, close.
 *
 *   runtimeConformance('tmux', async () => ({ runtime, cwd, cleanup }));
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAoError, type Runtime, type RuntimeHandle, type TerminalConnection } from '@ao/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureFakeAgentBuilt, fakeAgentArgv, type FakeAgentLogEntry } from './fake-agent.js';

export interface RuntimeConformanceSetup {
  runtime: Runtime;
  /** Working directory for the started processes (files are written into it). */
  cwd: string;
  /** Removes whatever setup created; every started process is stopped before this runs. */
  cleanup(): Promise<void>;
}

/** The message `sendText` must deliver untouched: newline, quotes, `$(…)`, `;`, backticks, `-`. */
export const TRICKY_TEXT = 'line one\nline "two" $(echo x) ; `y` -dash';

/** How long a condition may take to hold: generous, for a loaded CI machine. */
const WAIT = { timeout: 20_000, interval: 50 };

async function readLog(path: string): Promise<FakeAgentLogEntry[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FakeAgentLogEntry);
}

/** Expects `promise` to reject with `AoError('RUNTIME_FAILED')`, and returns that error. */
export async function expectRuntimeFailed(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to reject').toBeDefined();
  expect(isAoError(error) ? error.code : error).toBe('RUNTIME_FAILED');
  return error as Error;
}

export interface RuntimeConformanceOptions {
  /** The runtime implements `openTerminal` (it is optional in the contract): its tests must run. */
  openTerminal?: boolean;
}

export function runtimeConformance(label: string, setup: () => Promise<RuntimeConformanceSetup>, options: RuntimeConformanceOptions = {}): void {
  describe(`runtime conformance: ${label}`, () => {
    let env: RuntimeConformanceSetup | undefined;
    let scratch = '';
    const started: RuntimeHandle[] = [];

    const runtime = (): Runtime => {
      if (!env) throw new Error('runtime conformance setup did not complete');
      return env.runtime;
    };

    beforeAll(async () => {
      await ensureFakeAgentBuilt();
      scratch = await mkdtemp(join(tmpdir(), 'ao-runtime-conformance-'));
      env = await setup();
    }, 120_000);

    afterEach(async () => {
      for (const handle of started.splice(0)) await runtime().stop(handle).catch(() => undefined);
    });

    afterAll(async () => {
      for (const handle of started.splice(0)) await env?.runtime.stop(handle).catch(() => undefined);
      await env?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    /** Starts the fake agent; `steps` as a scenario, none for the interactive echo agent. */
    const startAgent = async (tag: string, steps?: unknown[]): Promise<{ handle: RuntimeHandle; logFile: string; id: string }> => {
      const id = `conf-${tag}-${randomBytes(3).toString('hex')}`;
      const logFile = join(scratch, `${id}.jsonl`);
      const args = ['--name', id];
      if (steps) {
        const scenario = join(scratch, `${id}.json`);
        await writeFile(scenario, JSON.stringify({ steps }));
        args.push('--scenario', scenario);
      }
      const handle = await runtime().start({
        sessionId: id,
        cwd: env!.cwd,
        argv: fakeAgentArgv(args),
        env: { AO_FAKE_LOG: logFile },
        cols: 120,
        rows: 40,
      });
      started.push(handle);
      return { handle, logFile, id };
    };

    const waitForLog = (logFile: string, what: string, match: (entries: FakeAgentLogEntry[]) => boolean) =>
      vi.waitFor(async () => {
        const entries = await readLog(logFile).catch((error: unknown) => {
          throw new Error(`waiting for ${what} in ${logFile}: ${String(error)}`);
        });
        if (!match(entries)) throw new Error(`waiting for ${what} in ${logFile}`);
        return entries;
      }, WAIT);

    const received = (entries: FakeAgentLogEntry[]): string[] =>
      entries.filter((e) => e.type === 'received').map((e) => String(e.text));

    it('starts the program in cwd with env, and capture shows its output', async () => {
      const { handle, logFile, id } = await startAgent('output', [
        { print: 'hello from {{name}}' },
        { write: { path: `{{name}}.txt`, content: 'written in cwd' } },
        { idle: true },
      ]);
      expect(handle.runtime).toBeTypeOf('string');
      expect(handle.id).toBeTypeOf('string');
      const screen = await vi.waitFor(async () => {
        const text = await runtime().capture(handle, { lines: 200 });
        if (!text.includes(`hello from ${id}`)) throw new Error(`waiting for the greeting on screen; it shows:\n${text}`);
        return text;
      }, WAIT);
      expect(screen).toContain(`hello from ${id}`);
      // env reached the process (it logs to AO_FAKE_LOG) and cwd was its working directory.
      await waitForLog(logFile, 'the started event', (entries) => entries.some((e) => e.type === 'started'));
      expect(await readFile(join(env!.cwd, `${id}.txt`), 'utf8')).toBe('written in cwd');
    });

    it('isAlive is true while the process runs and false after stop', async () => {
      const { handle, logFile } = await startAgent('alive');
      await waitForLog(logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      expect(await runtime().isAlive(handle)).toBe(true);
      await runtime().stop(handle);
      expect(await runtime().isAlive(handle)).toBe(false);
    });

    it('a handle survives a JSON round trip (another ao process can find the process)', async () => {
      const { handle, logFile } = await startAgent('json');
      await waitForLog(logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      const copy = JSON.parse(JSON.stringify(handle)) as RuntimeHandle;
      expect(copy).toEqual(handle);
      expect(await runtime().isAlive(copy)).toBe(true);
      await runtime().stop(copy);
      expect(await runtime().isAlive(handle)).toBe(false);
    });

    it('stop is idempotent and quiet for a process that is already gone', async () => {
      const { handle } = await startAgent('stop');
      await runtime().stop(handle);
      await runtime().stop(handle);
      await runtime().stop({ runtime: handle.runtime, id: `${handle.id}-never-started` });
      expect(await runtime().isAlive(handle)).toBe(false);
    });

    it('aliveMany answers for alive, stopped and never-started handles, keyed by id', async () => {
      const a = await startAgent('many-a');
      const b = await startAgent('many-b');
      const stopped = await startAgent('many-stopped');
      await runtime().stop(stopped.handle);
      const never: RuntimeHandle = { runtime: a.handle.runtime, id: `${a.handle.id}-never-started` };
      await waitForLog(b.logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      await waitForLog(a.logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      const alive = await runtime().aliveMany([a.handle, b.handle, stopped.handle, never]);
      expect(alive.get(a.handle.id)).toBe(true);
      expect(alive.get(b.handle.id)).toBe(true);
      expect(alive.get(stopped.handle.id)).toBe(false);
      expect(alive.get(never.id)).toBe(false);
      expect((await runtime().aliveMany([])).size).toBe(0);
    });

    it('sendText delivers newlines, quotes, $(…), ;, backticks and a leading dash literally, as ONE submission', async () => {
      const { handle, logFile } = await startAgent('send');
      await waitForLog(logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      await runtime().sendText(handle, TRICKY_TEXT);
      await waitForLog(logFile, 'the first submission', (entries) => received(entries).length >= 1);
      const second = '-starts with a dash, ünïcødé ✓ and \'single\' quotes';
      await runtime().sendText(handle, second);
      const entries = await waitForLog(logFile, 'the second submission', (e) => received(e).length >= 2);
      expect(received(entries)).toEqual([TRICKY_TEXT, second]);
      const screen = await vi.waitFor(async () => {
        const text = await runtime().capture(handle, { lines: 200 });
        if (!text.includes('received: -starts with a dash')) throw new Error(`waiting for the echo on screen; it shows:\n${text}`);
        return text;
      }, WAIT);
      expect(screen).toContain('received: line one');
    });

    it('a paste-end sequence in the text does not end the paste: nothing after it is typed as keys', async () => {
      const { handle, logFile } = await startAgent('paste-end');
      await waitForLog(logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      // Unneutralised, the agent would see the paste end after "before", then type "typed" and
      // press Enter (\r): two submissions, the second one keystrokes nobody meant to send.
      await runtime().sendText(handle, 'before\x1b[201~typed\rafter\x1b[200~x');
      await runtime().sendText(handle, 'next');
      const entries = await waitForLog(logFile, 'two submissions', (e) => received(e).length >= 2);
      expect(received(entries)).toEqual(['before[201~typed\nafter[200~x', 'next']);
    });

    it('a delivery id is harmless; a runtime keeping receipts says delivered, not delivered, unknown once gone', async () => {
      const rt = runtime();
      const { handle, logFile } = await startAgent('receipt');
      await waitForLog(logFile, 'the agent waiting for input', (entries) => entries.some((e) => e.type === 'waiting'));
      await rt.sendText(handle, 'with a receipt', { deliveryId: 'd0000000000000001' });
      await waitForLog(logFile, 'the submission', (e) => received(e).includes('with a receipt'));
      // Receipts are optional (ao then tells a human about a delivery cut short), but come in pairs.
      expect(typeof rt.forgetDelivery).toBe(typeof rt.deliveryStatus);
      if (!rt.deliveryStatus) return;
      expect(await rt.deliveryStatus(handle, 'd0000000000000001')).toBe('delivered');
      expect(await rt.deliveryStatus(handle, 'd0000000000000002')).toBe('not-delivered');
      await rt.forgetDelivery?.(handle, 'd0000000000000001');
      await rt.stop(handle);
      expect(await rt.deliveryStatus(handle, 'd0000000000000001')).toBe('unknown');
    });

    it('a process that exits by itself is reported not alive', async () => {
      const { handle, logFile } = await startAgent('exits', [{ print: 'done' }, { exit: 3 }]);
      await waitForLog(logFile, 'the exited event', (entries) => entries.some((e) => e.type === 'exited'));
      await vi.waitFor(async () => {
        if (await runtime().isAlive(handle)) throw new Error('waiting for isAlive to turn false');
      }, WAIT);
      const many = await runtime().aliveMany([handle]);
      expect(many.get(handle.id)).toBe(false);
    });

    /** False for a runtime without `openTerminal` (its tests then have nothing to check). */
    const hasTerminal = (): boolean => {
      if (runtime().openTerminal) return true;
      if (options.openTerminal) throw new Error(`runtime ${label} was declared to implement openTerminal, and does not`);
      return false;
    };

    /** A terminal opened on `handle`: its output so far (decoded), and each onExit reason. */
    const openViewer = async (handle: RuntimeHandle, cols: number, rows: number) => {
      const decoder = new TextDecoder();
      const seen = { text: '', exits: [] as string[], nonBytes: 0 };
      const connection: TerminalConnection = await runtime().openTerminal!(handle, {
        cols,
        rows,
        onData: (data) => {
          if (!(data instanceof Uint8Array)) seen.nonBytes += 1;
          seen.text += decoder.decode(data, { stream: true });
        },
        onExit: ({ reason }) => void seen.exits.push(reason),
      });
      return { connection, seen };
    };

    /** A shell loop that answers each line with `got:<line>` and its terminal's size. */
    const startSizeReporter = async (tag: string): Promise<RuntimeHandle> => {
      const handle = await runtime().start({
        sessionId: `conf-${tag}-${randomBytes(3).toString('hex')}`,
        cwd: env!.cwd,
        argv: ['sh', '-c', 'echo reporter-ready; while IFS= read -r line; do echo "got:$line"; echo "size:$(stty size)"; done'],
        cols: 120,
        rows: 40,
      });
      started.push(handle);
      await vi.waitFor(async () => {
        if (!(await runtime().capture(handle)).includes('reporter-ready')) throw new Error('waiting for the reporter on screen');
      }, WAIT);
      return handle;
    };

    /**
     * The size the program reports as `rows cols`, asking again (once each answer is in) until it
     * is the viewer's: a multiplexer may show a status line, so one row less also counts.
     */
    const waitForSize = (viewer: Awaited<ReturnType<typeof openViewer>>, cols: number, rows: number) => {
      let asked = 0;
      return vi.waitFor(() => {
        const sizes = [...viewer.seen.text.matchAll(/size:(\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
        if (sizes.some(([r, c]) => c === cols && (r === rows || r === rows - 1))) return;
        if (viewer.seen.text.split('got:size?').length - 1 >= asked) {
          viewer.connection.write('size?\r');
          asked += 1;
        }
        throw new Error(`waiting for the program to see ${cols}x${rows} (it reported ${sizes.map(([r, c]) => `${c}x${r}`).join(', ') || 'nothing yet'})`);
      }, WAIT);
    };

    it('openTerminal: shows the screen so far, takes typed keys, follows a resize; close leaves the program running', async () => {
      if (!hasTerminal()) return;
      const handle = await startSizeReporter('term');
      const viewer = await openViewer(handle, 100, 30);
      const { connection, seen } = viewer;
      await vi.waitFor(() => {
        if (!seen.text.includes('reporter-ready')) throw new Error('waiting for the screen so far in the stream');
      }, WAIT);

      connection.write('typed line\r');
      await vi.waitFor(() => {
        if (!seen.text.includes('got:typed line')) throw new Error('waiting for the echo of the typed line');
      }, WAIT);
      await waitForSize(viewer, 100, 30);
      connection.resize(91, 27);
      await waitForSize(viewer, 91, 27);
      expect(seen.nonBytes, 'onData gets bytes (Uint8Array)').toBe(0);

      connection.close();
      connection.close();
      expect(seen.exits, 'no onExit after close()').toEqual([]);
      expect(await runtime().isAlive(handle)).toBe(true);
      // The program still answers: closing a viewer detaches it, nothing more.
      await runtime().sendText(handle, 'after close', { bracketedPaste: false });
      await vi.waitFor(async () => {
        if (!(await runtime().capture(handle, { lines: 200 })).includes('got:after close')) throw new Error('waiting for an answer after the viewer closed');
      }, WAIT);
      expect(seen.text).not.toContain('got:after close');
    });

    it('openTerminal: two viewers at once; stopping the program ends both, with onExit once each', async () => {
      if (!hasTerminal()) return;
      const handle = await startSizeReporter('term-two');
      const first = await openViewer(handle, 100, 30);
      const second = await openViewer(handle, 100, 30);
      first.connection.write('from the first\r');
      await vi.waitFor(() => {
        if (!second.seen.text.includes('got:from the first')) throw new Error('waiting for the answer in the second viewer');
      }, WAIT);
      await runtime().stop(handle);
      await vi.waitFor(() => {
        if (!(first.seen.exits.length > 0 && second.seen.exits.length > 0)) throw new Error('waiting for onExit in both viewers');
      }, WAIT);
      expect(first.seen.exits).toEqual([expect.any(String)]);
      expect(second.seen.exits).toEqual([expect.any(String)]);
      first.connection.close();
      second.connection.close();
    });

    it('openTerminal throws RUNTIME_FAILED once the process is stopped', async () => {
      if (!hasTerminal()) return;
      const handle = await startSizeReporter('term-gone');
      await runtime().stop(handle);
      await expectRuntimeFailed(runtime().openTerminal!(handle, { cols: 80, rows: 24, onData: () => undefined, onExit: () => undefined }));
    });

    it('sendText and capture throw RUNTIME_FAILED once the process is stopped', async () => {
      const { handle } = await startAgent('gone');
      await runtime().stop(handle);
      await expectRuntimeFailed(runtime().sendText(handle, 'anyone there?'));
      await expectRuntimeFailed(runtime().capture(handle));
    });
  });
}
