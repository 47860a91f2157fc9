import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPluginContext, isAoError, type Agent } from '@ao/core/plugin';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import plugin from '../src/index.js';

const run = promisify(execFile);
const toyAgent = fileURLToPath(new URL('./fixtures/toy-agent.mjs', import.meta.url));
const printArgs = fileURLToPath(new URL('./fixtures/print-args.mjs', import.meta.url));
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ao-command-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function agent(config: Record<string, unknown>): Promise<Agent> {
  const ctx = createPluginContext({ configDir: root, env: { HOME: root, AO_HOME: join(root, 'ao') } });
  return plugin.create(plugin.configSchema.parse(config), ctx);
}
const input = (extra: Record<string, unknown> = {}) => ({ sessionId: 'ao-1', workspacePath: root, ...extra });

describe('command agent config', () => {
  it('requires a non-empty argv and rejects unknown keys and bad regexes', () => {
    expect(plugin.configSchema.safeParse({ command: [] }).success).toBe(false);
    expect(plugin.configSchema.safeParse({ command: ['x'], shell: 'bash -c' }).success).toBe(false);
    const bad = plugin.configSchema.safeParse({ command: ['x'], idlePattern: '([' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['idlePattern']);
    expect(plugin.configSchema.parse({ command: ['x'] }).prompt).toBe('arg');
  });
});

describe('command agent launch', () => {
  it('appends the prompt (after promptFlag) as one argv element that survives a real exec', async () => {
    const prompt = `Fix "quotes", 'single', $(rm -rf /) and \`ticks\`\nsecond line; echo pwned`;
    const a = await agent({
      command: [process.execPath, printArgs],
      promptFlag: '-p',
      env: { TOY_MODE: 'test' },
    });
    const launch = await a.launch(input({ prompt }));
    expect(launch.argv.slice(-2)).toEqual(['-p', prompt]);
    expect(launch.initialInput).toBeUndefined();
    const [file, ...args] = launch.argv;
    const { stdout } = await run(file!, args, { env: { ...process.env, ...launch.env } });
    expect(JSON.parse(stdout)).toEqual({ args: ['-p', prompt], env: 'test' });
  });

  it.each(['stdin', 'send'] as const)('hands the prompt over as initialInput with prompt: %s', async (mode) => {
    const launch = await (await agent({ command: ['my-agent', '--tui'], prompt: mode })).launch(input({ prompt: 'do it\nnow' }));
    expect(launch).toEqual({ argv: ['my-agent', '--tui'], initialInput: 'do it\nnow' });
  });

  it('starts without a prompt argument when there is none', async () => {
    expect((await (await agent({ command: ['my-agent'], promptFlag: '-p' })).launch(input())).argv).toEqual(['my-agent']);
  });

  it('resumes with resumeArgs, substituting {id}', async () => {
    const a = await agent({ command: ['my-agent'], resumeArgs: ['--resume', '{id}'] });
    expect(a.canResume).toBe(true);
    expect((await a.launch(input({ resumeId: 'abc', prompt: 'go on' }))).argv).toEqual(['my-agent', '--resume', 'abc', 'go on']);
  });

  it('refuses to resume without resumeArgs (AGENT_FAILED)', async () => {
    const a = await agent({ command: ['my-agent'] });
    expect(a.canResume).toBe(false);
    let caught: unknown;
    try {
      await a.launch(input({ resumeId: 'abc' }));
    } catch (error) {
      caught = error;
    }
    expect(isAoError(caught) && caught.code).toBe('AGENT_FAILED');
  });
});

describe('command agent activity on screen fixtures', () => {
  const probe = (screen: string, msSinceScreenChange = 10_000, alive = true) => ({
    workspacePath: root,
    alive,
    screen,
    msSinceScreenChange,
    startedAt: 0,
    now: Date.now(),
  });

  it('uses the configured idle prompt and waiting patterns', async () => {
    const a = await agent({ command: ['x'], idlePattern: '^ready> ?$', waitingPatterns: ['^Choose a model:'] });
    expect((await a.detectActivity(probe('done\nready> '))).activity).toBe('idle');
    expect((await a.detectActivity(probe('done\nready> ', 500))).activity).toBe('active');
    expect((await a.detectActivity(probe('compiling...'))).activity).toBe('active');
    expect((await a.detectActivity(probe('Choose a model:\n 1) small\n 2) large'))).activity).toBe('waiting_input');
    expect((await a.detectActivity(probe('Continue? [Y/n]'))).activity).toBe('waiting_input');
    expect((await a.detectActivity(probe('Error: Invalid API key'))).activity).toBe('blocked');
    expect((await a.detectActivity(probe('ready> ', 10_000, false))).activity).toBe('exited');
  });

  it('without an idle pattern, calls any quiet screen idle', async () => {
    const a = await agent({ command: ['x'] });
    expect((await a.detectActivity(probe('whatever it printed last'))).activity).toBe('idle');
  });
});

// The same detection on screens captured from a real terminal: the toy agent runs in tmux.
describe('command agent activity on a real tmux screen', () => {
  const session = `ao-test-command-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]) => run('tmux', args);
  const capture = async () => (await tmux('capture-pane', '-p', '-t', session)).stdout;
  /** Captures until `predicate` holds (the screen is the signal; no fixed sleeps). */
  const screenWhere = (predicate: (s: string) => boolean): Promise<string> =>
    vi.waitFor(
      async () => {
        const s = await capture();
        if (!predicate(s)) throw new Error(`waiting for the screen to match ${predicate.toString()}; it shows:\n${s}`);
        return s;
      },
      { timeout: 20_000, interval: 50 },
    );
  const send = (text: string) => tmux('send-keys', '-t', session, '-l', text).then(() => tmux('send-keys', '-t', session, 'Enter'));

  afterEach(async () => {
    await tmux('kill-session', '-t', session).catch(() => undefined);
  });

  it('sees idle at its prompt, waiting on a question, blocked on a rate limit', async () => {
    const a = await agent({ command: [process.execPath, toyAgent], idlePattern: '^toy> ?$' });
    const launch = await a.launch(input({ prompt: 'hello "world"' }));
    await tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', '--', ...launch.argv);
    const probe = (screen: string) => ({ workspacePath: root, alive: true, screen, msSinceScreenChange: 10_000, startedAt: 0, now: Date.now() });

    const started = await screenWhere((s) => /toy> ?$/m.test(s));
    expect(started).toContain('["hello \\"world\\""]');
    expect((await a.detectActivity(probe(started))).activity).toBe('idle');

    await send('ask');
    const asking = await screenWhere((s) => s.includes('(y/n)'));
    expect(await a.detectActivity(probe(asking))).toMatchObject({ activity: 'waiting_input', source: 'screen' });

    await send('n');
    await send('limit');
    const limited = await screenWhere((s) => s.includes('rate limit exceeded'));
    expect((await a.detectActivity(probe(limited))).activity).toBe('blocked');

    await send('work');
    const working = await screenWhere((s) => s.includes('working step 3'));
    expect((await a.detectActivity({ ...probe(working), msSinceScreenChange: 100 })).activity).toBe('active');
  });
});
