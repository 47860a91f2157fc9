import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { exec, isAoError, type Exec, type PluginContext, type Runtime, type RuntimeHandle } from '@ao/core/plugin';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processArgvContaining } from '@ao/testkit/process-argv';
import plugin from '../src/index.js';
import { createTmuxRuntimeForTest } from './helpers.js';

/** Options for `vi.waitFor`: how long tmux and the agent may take, generous for a loaded CI machine. */
const WAIT = { timeout: 20_000, interval: 50 };

// An agent that records the environment variable and argv it got, then every line typed into it.
const AGENT = `
const fs = require('node:fs');
const out = process.argv[2];
fs.writeFileSync(out + '.start.json', JSON.stringify({ env: process.env.AO_TEST_API_KEY ?? null, argv: process.argv.slice(3) }));
process.stdout.write('ready> ');
process.stdin.on('data', (d) => fs.appendFileSync(out + '.typed', d));
`;

let scratch = '';
let socketDir = '';
let ownServer: Exec;
let env: Awaited<ReturnType<typeof createTmuxRuntimeForTest>>;
let runtime: Runtime;
const handles: RuntimeHandle[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ao-tmux-launch-'));
  // A tmux server of our own, so our start is what launches it and its argv is ours to inspect.
  socketDir = await mkdtemp(join(tmpdir(), 'ao-tmux-launch-sock-'));
  ownServer = (file, args, options) => exec(file, args, { ...options, env: { ...options?.env, TMUX_TMPDIR: socketDir } });
  env = await createTmuxRuntimeForTest();
  const ctx: PluginContext = { ...env.ctx, exec: ownServer };
  runtime = await plugin.create(plugin.configSchema.parse({}), ctx);
  await writeFile(join(scratch, 'agent.cjs'), AGENT);
});

afterAll(async () => {
  for (const handle of handles) await runtime.stop(handle);
  await ownServer('tmux', ['kill-server'], { reject: false });
  await env.cleanup();
  await rm(scratch, { recursive: true, force: true });
  await rm(socketDir, { recursive: true, force: true });
});

describe('tmux runtime launch', () => {
  it('starts the agent with its secret env and argv and a typed prompt, none of them in any process argv', async () => {
    const secret = `sk-test-${randomBytes(12).toString('hex')}-it's "$(x)"`;
    const word = `arg-${randomBytes(6).toString('hex')} with 'quotes', $(whoami), \`ls\`;\nand a newline`;
    const prompt = `PROMPT-${randomBytes(8).toString('hex')}: fix the login bug`;
    const out = join(scratch, `agent-${randomBytes(3).toString('hex')}`);
    const handle = await runtime.start({
      sessionId: `launch-${randomBytes(3).toString('hex')}`,
      cwd: env.cwd,
      argv: [process.execPath, join(scratch, 'agent.cjs'), out, word],
      env: { AO_TEST_API_KEY: secret, PATH: process.env.PATH ?? '' },
    });
    handles.push(handle);

    // Read once the agent has written the whole file (it may be seen empty while being written).
    const started = await vi.waitFor(() => {
      try {
        return JSON.parse(readFileSync(`${out}.start.json`, 'utf8')) as unknown;
      } catch (error) {
        throw new Error(`waiting for the agent to start: ${String(error)}`);
      }
    }, WAIT);
    expect(started).toEqual({ env: secret, argv: [word] });
    await vi.waitFor(async () => {
      if (!(await runtime.capture(handle)).includes('ready>')) throw new Error('waiting for the agent prompt');
    }, WAIT);
    await runtime.sendText(handle, prompt);
    await vi.waitFor(() => {
      if (!(existsSync(`${out}.typed`) && readFileSync(`${out}.typed`, 'utf8').includes(prompt))) throw new Error('waiting for the typed prompt');
    }, WAIT);

    expect(await runtime.isAlive(handle)).toBe(true);
    expect(processArgvContaining([secret.slice(0, 20), prompt])).toEqual([]);
    // The launch file deleted itself; its directory is private.
    const launchDir = join(env.home, 'launch');
    expect(readdirSync(launchDir)).toEqual([]);
    expect(statSync(launchDir).mode & 0o777).toBe(0o700);
  });

  it('refuses an environment name sh cannot export, naming it, and leaves no launch file', async () => {
    const error = await runtime
      .start({ sessionId: 'bad-env', cwd: env.cwd, argv: ['true'], env: { 'NOT-VALID': 'x' } })
      .catch((e: unknown) => e);
    expect(isAoError(error) && error.code).toBe('RUNTIME_FAILED');
    expect((error as Error).message).toContain('"NOT-VALID"');
    expect(existsSync(join(env.home, 'launch')) ? readdirSync(join(env.home, 'launch')) : []).toEqual([]);
  });

  it('removes the launch file when tmux cannot start the session', async () => {
    // Real tmux; its new-session is pointed at a socket "directory" that is a file, so it fails.
    const notADir = join(scratch, 'not-a-dir');
    await writeFile(notADir, '');
    const broken: Exec = (file, args, options) =>
      args[0] === 'new-session' ? exec(file, args, { ...options, env: { ...options?.env, TMUX_TMPDIR: notADir } }) : ownServer(file, args, options);
    const failing = await plugin.create(plugin.configSchema.parse({}), { ...env.ctx, exec: broken });
    const error = await failing.start({ sessionId: 'no-server', cwd: env.cwd, argv: ['true'], env: { AO_TEST_API_KEY: 'x' } }).catch((e: unknown) => e);
    expect(isAoError(error) && error.code).toBe('RUNTIME_FAILED');
    expect(readdirSync(join(env.home, 'launch'))).toEqual([]);
  });
});
