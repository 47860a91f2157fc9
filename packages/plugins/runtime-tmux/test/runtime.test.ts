import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exec, isAoError, type Exec, type Runtime, type RuntimeHandle } from '@ao/core/plugin';
import { ensureFakeAgentBuilt, fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import plugin, { escapeTmuxArg, hasSession, killSession, listSessions, newSession, tmuxSessionName } from '../src/index.js';
import { createTmuxRuntimeForTest } from './helpers.js';

type TestRuntime = Awaited<ReturnType<typeof createTmuxRuntimeForTest>>;

const started: Array<{ runtime: Runtime; handle: RuntimeHandle }> = [];
const envs: TestRuntime[] = [];
let scratch = '';

beforeAll(async () => {
  await ensureFakeAgentBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ao-runtime-tmux-test-'));
}, 120_000);

afterEach(async () => {
  for (const { runtime, handle } of started.splice(0)) await runtime.stop(handle);
});

afterAll(async () => {
  for (const env of envs.splice(0)) await env.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function newRuntime(config: Record<string, unknown> = {}): Promise<TestRuntime> {
  const env = await createTmuxRuntimeForTest(config);
  envs.push(env);
  return env;
}

async function start(env: TestRuntime, argv: string[], sessionId = `t-${randomBytes(3).toString('hex')}`): Promise<RuntimeHandle> {
  const handle = await env.runtime.start({ sessionId, cwd: env.cwd, argv });
  started.push({ runtime: env.runtime, handle });
  return handle;
}

/** Options for `vi.waitFor`: how long tmux and the agent may take, generous for a loaded CI machine. */
const WAIT = { timeout: 20_000, interval: 50 };

const logEntries = async (file: string): Promise<Array<Record<string, unknown>>> =>
  existsSync(file)
    ? (await readFile(file, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

const receivedTexts = async (file: string): Promise<string[]> =>
  (await logEntries(file)).filter((e) => e.type === 'received').map((e) => String(e.text));

/** Real exec with a different environment for the tmux child (not a mock: tmux really runs). */
const execWithEnv =
  (env: Record<string, string>): Exec =>
  (file, args, options) =>
    exec(file, args, { ...options, env: { ...options?.env, ...env } });

describe('tmux session names', () => {
  it('differ between two data dirs for the same session id', async () => {
    expect(tmuxSessionName('/home/a/.agent-orchestrator', 'app-1')).not.toBe(tmuxSessionName('/tmp/other-home', 'app-1'));
    expect(tmuxSessionName('/x', 'app-1')).toMatch(/^ao-[0-9a-f]{6}-app-1$/);
    expect(tmuxSessionName('/x', 'odd.name:1')).toMatch(/^ao-[0-9a-f]{6}-odd_name_1$/);

    const a = await newRuntime();
    const b = await newRuntime();
    const log = (n: string) => join(scratch, `homes-${n}-${randomBytes(3).toString('hex')}.jsonl`);
    const ha = await start(a, fakeAgentArgv(['--log', log('a')]), 'same-1');
    const hb = await start(b, fakeAgentArgv(['--log', log('b')]), 'same-1');
    expect(ha.id).not.toBe(hb.id);
    const alive = await a.runtime.aliveMany([ha, hb]);
    expect([alive.get(ha.id), alive.get(hb.id)]).toEqual([true, true]);
    await a.runtime.stop(ha);
    expect(await b.runtime.isAlive(hb)).toBe(true);
  });
});

describe('tmux runtime', () => {
  it('passes every argv word verbatim, including words ending in ";" that tmux would split on', async () => {
    const env = await newRuntime();
    const log = join(scratch, `argv-${randomBytes(3).toString('hex')}.jsonl`);
    await start(env, fakeAgentArgv(['--log', log, 'first do this;', 'then $(that);', ';']));
    const texts = await vi.waitFor(async () => {
      const t = await receivedTexts(log);
      if (t.length === 0) throw new Error('waiting for the argv prompt');
      return t;
    }, WAIT);
    expect(texts).toEqual(['first do this; then $(that); ;']);
  });

  it('runs a one-word argv as a program, not through a shell (a path with spaces works)', async () => {
    const env = await newRuntime();
    const dir = join(scratch, `dir with spaces ${randomBytes(3).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    const script = join(dir, 'agent $(x).sh');
    await writeFile(script, '#!/bin/sh\necho "ran in $(pwd)" > ran.txt\nsleep 30\n');
    await chmod(script, 0o755);
    await start(env, [script]);
    const ran = await vi.waitFor(async () => {
      const file = join(env.cwd, 'ran.txt');
      if (!existsSync(file)) throw new Error('waiting for the script to run');
      return readFile(file, 'utf8');
    }, WAIT);
    expect(ran.trim()).toBe(`ran in ${env.cwd}`);
  });

  it('keeps the final screen after the agent exits, and start replaces that dead session', async () => {
    const env = await newRuntime();
    const scenario = join(scratch, `exit-${randomBytes(3).toString('hex')}.yaml`);
    await writeFile(scenario, 'steps:\n  - print: last words before exit\n  - exit: 7\n');
    const handle = await start(env, fakeAgentArgv(['--scenario', scenario]), 'dies-1');
    await vi.waitFor(async () => {
      if (await env.runtime.isAlive(handle)) throw new Error('waiting for the agent to exit');
    }, WAIT);
    expect(await env.runtime.capture(handle, { lines: 100 })).toContain('last words before exit');
    await expect(env.runtime.sendText(handle, 'hello')).rejects.toMatchObject({ code: 'RUNTIME_FAILED' });

    const again = await start(env, fakeAgentArgv([]), 'dies-1');
    expect(again.id).toBe(handle.id);
    await vi.waitFor(async () => {
      if (!(await env.runtime.isAlive(again))) throw new Error('waiting for the restarted agent');
    }, WAIT);
  });

  it('keeps the last words and exit status of agents that fail the moment they start (tmux often lost them)', async () => {
    // tmux marks a pane dead when its process exits and then reads nothing more from its terminal:
    // a program that prints and exits before tmux has set the pane up left a blank screen in about
    // one start in four when ten start at once. Sixty such starts, ten at a time.
    const env = await newRuntime();
    const handles: RuntimeHandle[] = [];
    for (let batch = 0; batch < 6; batch++) {
      handles.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => start(env, ['sh', '-c', `echo 'Loading config'; echo 'Error: API key ${batch * 10 + i} is invalid'; exit 3`])))));
    }
    await vi.waitFor(async () => {
      const alive = await env.runtime.aliveMany(handles);
      if (handles.some((h) => alive.get(h.id) !== false)) throw new Error('waiting for every agent to exit');
    }, WAIT);
    const screens = await Promise.all(handles.map((h) => env.runtime.capture(h, { lines: 20 })));
    const lost = handles.filter((_, i) => !screens[i]?.includes(`Error: API key ${i} is invalid`)).map((h) => h.id);
    expect(lost).toEqual([]);
    // tmux may see the terminal close before it reaps the process: the status follows shortly.
    await vi.waitFor(() => {
      const statuses = execFileSync('tmux', ['list-panes', '-a', '-F', '#{session_name} #{pane_dead_status}'], { encoding: 'utf8' });
      for (const h of handles) expect(statuses).toContain(`${h.id} 3\n`);
    }, WAIT);
  });

  it('refuses to start a session whose agent is still running', async () => {
    const env = await newRuntime();
    await start(env, fakeAgentArgv([]), 'busy-1');
    const error = await env.runtime.start({ sessionId: 'busy-1', cwd: env.cwd, argv: fakeAgentArgv([]) }).catch((e: unknown) => e);
    expect(isAoError(error) && error.code).toBe('RUNTIME_FAILED');
    expect(String((error as Error).message)).toContain('already running');
  });

  it('never mistakes a session for another whose name it prefixes (app-2 is not app-20)', async () => {
    const env = await newRuntime();
    const twenty = await start(env, fakeAgentArgv([]), 'app-20');
    await vi.waitFor(async () => {
      if (!(await env.runtime.isAlive(twenty))) throw new Error('waiting for app-20 to be alive');
    }, WAIT);
    const shortId = tmuxSessionName(env.home, 'app-2');
    expect(await env.runtime.isAlive({ runtime: 'tmux', id: shortId })).toBe(false);
    // start checks for a live session of its own name first: app-20 must not block app-2.
    const two = await start(env, fakeAgentArgv([]), 'app-2');
    expect(two.id).toBe(shortId);
    await vi.waitFor(async () => {
      if (!(await env.runtime.isAlive(two))) throw new Error('waiting for app-2 to be alive');
    }, WAIT);
  });

  it('submit: false pastes without submitting; the next Enter submits both parts as one', async () => {
    const env = await newRuntime();
    const log = join(scratch, `submit-${randomBytes(3).toString('hex')}.jsonl`);
    const handle = await start(env, fakeAgentArgv(['--log', log]));
    await vi.waitFor(async () => {
      if (!(await logEntries(log)).some((e) => e.type === 'waiting')) throw new Error('waiting for the agent prompt');
    }, WAIT);
    await env.runtime.sendText(handle, 'part one, ', { submit: false });
    await env.runtime.sendText(handle, 'part two');
    await vi.waitFor(async () => {
      if ((await receivedTexts(log)).length === 0) throw new Error('waiting for a submission');
    }, WAIT);
    expect(await receivedTexts(log)).toEqual(['part one, part two']);
  });

  it('aliveMany asks tmux once for any number of handles', async () => {
    const env = await newRuntime();
    const handles = [await start(env, fakeAgentArgv([])), await start(env, fakeAgentArgv([]))];
    let calls = 0;
    const counting: Exec = (file, args, options) => {
      calls += 1;
      return exec(file, args, options);
    };
    const runtime = await plugin.create(plugin.configSchema.parse({}), { ...env.ctx, exec: counting });
    const alive = await runtime.aliveMany([...handles, { runtime: 'tmux', id: 'ao-nothing-here' }, { runtime: 'process', id: '4242' }]);
    expect(calls).toBe(1);
    expect([...alive.values()]).toEqual([true, true, false, false]);
  });

  it('rejects handles of other runtimes with RUNTIME_FAILED', async () => {
    const env = await newRuntime();
    await expect(env.runtime.isAlive({ runtime: 'process', id: '123' })).rejects.toMatchObject({ code: 'RUNTIME_FAILED' });
  });

  it('validates its config strictly with defaults', () => {
    expect(plugin.configSchema.parse({})).toEqual({ cols: 200, rows: 50, remainOnExit: true });
    expect(() => plugin.configSchema.parse({ colums: 80 })).toThrow();
  });
});

describe('tmux helpers', () => {
  it('escapes words ending in ";" so tmux does not split commands on them', () => {
    expect(escapeTmuxArg('a;')).toBe('a\\;');
    expect(escapeTmuxArg(';')).toBe('\\;');
    expect(escapeTmuxArg('a\\;')).toBe('a\\\\;');
    expect(escapeTmuxArg('a ; b')).toBe('a ; b');
  });

  it('treats "no server running" as nothing alive, not as an error', async () => {
    const socketDir = await mkdtemp(join(tmpdir(), 'ao-tmux-noserver-'));
    try {
      const noServer = execWithEnv({ TMUX_TMPDIR: socketDir, TMUX: '' });
      expect((await listSessions(noServer)).size).toBe(0);
      expect(await hasSession(noServer, 'ao-anything')).toBe(false);
      await killSession(noServer, 'ao-anything');
    } finally {
      await rm(socketDir, { recursive: true, force: true });
    }
  });

  it('starts a session while the server is exiting after its last session ended', async () => {
    // The race: a program that exits at once ends the server's last session; a client that
    // connects while that server shuts down gets "server exited unexpectedly".
    const socketDir = await mkdtemp(join(tmpdir(), 'ao-tmux-exiting-'));
    const own = execWithEnv({ TMUX_TMPDIR: socketDir, TMUX: '' });
    try {
      for (let i = 0; i < 60; i++) {
        await newSession(own, { name: `gone-${i}`, cwd: socketDir, argv: ['true'] });
        await new Promise((r) => setTimeout(r, i % 3));
        await newSession(own, { name: `next-${i}`, cwd: socketDir, argv: ['true'] });
      }
    } finally {
      await own('tmux', ['kill-server'], { reject: false });
      await rm(socketDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reports a missing tmux as TOOL_MISSING with an install hint', async () => {
    const emptyPath = await mkdtemp(join(tmpdir(), 'ao-empty-path-'));
    try {
      const error = await listSessions(execWithEnv({ PATH: emptyPath })).catch((e: unknown) => e);
      expect(isAoError(error) && error.code).toBe('TOOL_MISSING');
      expect(String((error as Error).message)).toMatch(/install tmux/);
    } finally {
      await rm(emptyPath, { recursive: true, force: true });
    }
  });
});

describe('captureMany', () => {
  it('reads every screen in one tmux call and leaves out sessions that are gone', async () => {
    const env = await newRuntime();
    const handles: RuntimeHandle[] = [];
    for (const word of ['alpha', 'beta; gamma', 'delta']) {
      handles.push(await start(env, ['sh', '-c', 'printf "%s\\n" "$0"; sleep 30', `screen-${word}`]));
    }
    const gone: RuntimeHandle = { runtime: 'tmux', id: tmuxSessionName(env.home, 'never-started') };
    const capture = env.runtime.captureMany?.bind(env.runtime);
    expect(capture).toBeTypeOf('function');
    const screens = await vi.waitFor(async () => {
      const s = await capture!(handles, { lines: 10 });
      if (s.size !== 3 || ![...s.values()].every((v) => v.includes('screen-'))) throw new Error('waiting for the three screens');
      return s;
    }, WAIT);
    expect(screens.get(handles[0]!.id)).toContain('screen-alpha');
    expect(screens.get(handles[1]!.id)).toContain('screen-beta; gamma');
    expect(screens.get(handles[2]!.id)).toContain('screen-delta');
    const withGone = await capture!([...handles, gone], { lines: 10 });
    expect(withGone.has(gone.id)).toBe(false);
    expect(withGone.size).toBe(3);
  });
});

describe('captureMany at scale', () => {
  it('captures 160 long-named sessions (over the 16 KB tmux command limit in one chain) in a few batched calls', async () => {
    const env = await newRuntime();
    const handles: RuntimeHandle[] = [];
    for (let i = 0; i < 160; i++) {
      handles.push(await start(env, ['sh', '-c', 'printf "%s\\n" "$0"; exec cat', `screen-${i}`], `scale-with-a-rather-long-session-identifier-${i}`));
    }
    const calls: string[][] = [];
    const counting: Exec = (file, args, options) => {
      if (file === 'tmux') calls.push([...args]);
      return exec(file, args, options);
    };
    const { capturePanes } = await import('../src/tmux.js');
    const screens = await vi.waitFor(async () => {
      calls.length = 0;
      const s = await capturePanes(counting, handles.map((h) => h.id), { lines: 5 });
      if (s.size !== 160 || ![...s.entries()].every(([id, v]) => v.includes(`screen-${id.split('identifier-')[1]}`))) throw new Error(`waiting for all screens (${s.size} of 160 so far)`);
      return s;
    }, WAIT);
    expect(screens.size).toBe(160);
    expect(calls.length).toBe(4);
  }, 120_000);
});
