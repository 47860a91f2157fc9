/**
 * The conformance suite every terminal plugin runs (tmux, web, third-party ones), against a real
 * runtime running the scripted fake agent: what `Terminal.attach` promises a user.
 *
 *   terminalConformance('tmux on the tmux runtime', async () => ({ terminal, runtime, cwd, cleanup }), { plan: 'argv' });
 *
 * An `argv` plan is run the way a user's terminal would run it: in a terminal of its own (a tmux
 * server private to the test, standing in for the user's terminal emulator, with no `TMUX` in its
 * environment), whose screen the suite reads and into which it types. A `url` plan must be a
 * loopback address naming the session. Either way, attaching never stops the program, and a
 * program that is gone, or a runtime without what the terminal needs, is `RUNTIME_FAILED`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AttachPlan, type Runtime, type RuntimeHandle, type Terminal } from '@ao/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureFakeAgentBuilt, fakeAgentArgv, type FakeAgentLogEntry } from './fake-agent.js';
import { expectRuntimeFailed } from './runtime-conformance.js';

const run = promisify(execFile);

export interface TerminalUnderTest {
  terminal: Terminal;
  /** A real runtime the suite starts programs in (they are stopped before `cleanup`). */
  runtime: Runtime;
  /** Working directory for the started programs. */
  cwd: string;
  cleanup(): Promise<void>;
}

export interface TerminalConformanceOptions {
  /** What this terminal returns for a live program: a command to run, or a URL to open. */
  plan: 'argv' | 'url';
}

const WAIT = { timeout: 20_000, interval: 100 };

async function received(logFile: string): Promise<string[]> {
  if (!existsSync(logFile)) return [];
  return (await readFile(logFile, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FakeAgentLogEntry)
    .filter((entry) => entry.type === 'received')
    .map((entry) => String(entry.text));
}

export function terminalConformance(label: string, setup: () => Promise<TerminalUnderTest>, options: TerminalConformanceOptions): void {
  describe(`terminal conformance: ${label}`, () => {
    let under: TerminalUnderTest | undefined;
    let scratch = '';
    let viewerSocket = '';
    const started: RuntimeHandle[] = [];

    beforeAll(async () => {
      await ensureFakeAgentBuilt();
      scratch = await mkdtemp(join(tmpdir(), 'ao-terminal-conf-'));
      viewerSocket = join(scratch, 'viewer.sock');
      under = await setup();
    }, 120_000);
    afterEach(async () => {
      await run('tmux', ['-S', viewerSocket, 'kill-server']).catch(() => undefined);
      for (const handle of started.splice(0)) await under?.runtime.stop(handle).catch(() => undefined);
    });
    afterAll(async () => {
      await under?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    const terminal = (): Terminal => under!.terminal;
    const runtime = (): Runtime => under!.runtime;

    /** The interactive fake agent: it echoes what it is sent and logs each submission. */
    const startProgram = async (tag: string) => {
      const sessionId = `tc-${tag}-${randomBytes(3).toString('hex')}`;
      const logFile = join(scratch, `${sessionId}.jsonl`);
      const handle = await runtime().start({ sessionId, cwd: under!.cwd, argv: fakeAgentArgv(['--name', sessionId]), env: { AO_FAKE_LOG: logFile }, cols: 100, rows: 30 });
      started.push(handle);
      await vi.waitFor(async () => {
        if (!existsSync(logFile) || !(await readFile(logFile, 'utf8')).includes('"waiting"')) throw new Error(`${sessionId} is not waiting for input yet`);
      }, WAIT);
      return { sessionId, handle, logFile };
    };

    /** Runs the plan's command in a terminal of its own, as a user's terminal would. */
    const viewer = async (argv: string[]) => {
      const env = { ...process.env };
      delete env.TMUX;
      delete env.TMUX_PANE;
      // tmux sets TMUX in its panes; a user's terminal has none (`env -u` drops it for the command).
      await run('tmux', ['-S', viewerSocket, '-f', '/dev/null', 'new-session', '-d', '-s', 'viewer', '-x', '100', '-y', '30', '--', 'env', '-u', 'TMUX', '-u', 'TMUX_PANE', ...argv], { env });
      return {
        screen: async () => (await run('tmux', ['-S', viewerSocket, 'capture-pane', '-p', '-t', 'viewer:'])).stdout,
        type: async (text: string) => {
          await run('tmux', ['-S', viewerSocket, 'send-keys', '-t', 'viewer:', '-l', text]);
          await run('tmux', ['-S', viewerSocket, 'send-keys', '-t', 'viewer:', 'Enter']);
        },
        close: () => run('tmux', ['-S', viewerSocket, 'kill-server']).catch(() => undefined),
      };
    };

    it(`attaches to a live program with ${options.plan === 'argv' ? 'a command' : 'a URL'}, and only that`, async () => {
      const { sessionId, handle } = await startProgram('plan');
      const plan: AttachPlan = await terminal().attach(handle, { sessionId, runtime: runtime() });
      expect(Object.keys(plan).filter((key) => plan[key as keyof AttachPlan] !== undefined)).toEqual([options.plan]);
      if (options.plan === 'argv') {
        expect(plan.argv!.length).toBeGreaterThan(0);
        for (const arg of plan.argv!) expect(typeof arg).toBe('string');
      } else {
        const url = new URL(plan.url!);
        expect(['127.0.0.1', 'localhost', '[::1]']).toContain(url.hostname);
        expect(plan.url).toContain(encodeURIComponent(sessionId));
      }
    });

    if (options.plan === 'argv') {
      it("its command shows the program's screen in the user's terminal, takes typed text, and ending it leaves the program running", async () => {
        const { sessionId, handle, logFile } = await startProgram('view');
        const { argv } = await terminal().attach(handle, { sessionId, runtime: runtime() });
        const view = await viewer(argv!);
        try {
          await vi.waitFor(async () => {
            const screen = await view.screen();
            if (!screen.includes(sessionId)) throw new Error(`the program's screen is not shown; the terminal shows:\n${screen}`);
          }, WAIT);
          await view.type('typed in the attached terminal');
          await vi.waitFor(async () => {
            if (!(await received(logFile)).includes('typed in the attached terminal')) throw new Error('the program did not receive the typed line');
          }, WAIT);
        } finally {
          await view.close();
        }
        expect(await runtime().isAlive(handle)).toBe(true);
      });
    }

    it('refuses a program that is gone with RUNTIME_FAILED', async () => {
      const { sessionId, handle } = await startProgram('gone');
      await runtime().stop(handle);
      await expectRuntimeFailed(terminal().attach(handle, { sessionId, runtime: runtime() }));
    });

    it('refuses a runtime that offers neither attachArgv nor openTerminal with RUNTIME_FAILED, saying what to use', async () => {
      const { sessionId, handle } = await startProgram('bare');
      // The contract's required part only: a runtime that cannot hand out a terminal at all.
      const bare = runtime();
      const minimal: Runtime = {
        start: bare.start.bind(bare),
        stop: bare.stop.bind(bare),
        isAlive: bare.isAlive.bind(bare),
        aliveMany: bare.aliveMany.bind(bare),
        sendText: bare.sendText.bind(bare),
        capture: bare.capture.bind(bare),
      } as Runtime;
      const error = await expectRuntimeFailed(terminal().attach(handle, { sessionId, runtime: minimal }));
      expect(error.message).toMatch(/terminal/);
    });
  });
}
