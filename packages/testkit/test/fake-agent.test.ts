import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInputParser, ensureFakeAgentBuilt, fakeAgentArgv, parseScenario } from '../src/fake-agent.js';

const run = promisify(execFile);
// testkit sits below the tmux runtime in the dependency graph, so these tests drive tmux directly.
const tmux = async (...args: string[]): Promise<string> => (await run('tmux', args)).stdout;

let scratch = '';
const sessions: string[] = [];

beforeAll(async () => {
  await ensureFakeAgentBuilt();
  scratch = await realpath(await mkdtemp(join(tmpdir(), 'ao-fake-agent-test-')));
}, 120_000);

afterEach(async () => {
  for (const name of sessions.splice(0)) await run('tmux', ['kill-session', '-t', `=${name}`]).catch(() => undefined);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** How long the agent may take to get somewhere: generous, for a loaded CI machine. */
const WAIT = { timeout: 20_000, interval: 50 };

/** Resolves once the agent's log has an entry matching `match` (the log may be mid-write: then it is read again). */
const logHas = (file: string, what: string, match: (entry: Record<string, unknown>) => boolean) =>
  vi.waitFor(async () => {
    const entries = await readLog(file).catch(() => []);
    if (!entries.some(match)) throw new Error(`waiting for ${what} in ${file}`);
  }, WAIT);

async function readLog(file: string): Promise<Array<Record<string, unknown>>> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Starts the fake agent in a fresh detached tmux session whose screen survives the agent's exit. */
async function startInTmux(cwd: string, args: string[]): Promise<string> {
  const name = `ao-fake-agent-test-${randomBytes(4).toString('hex')}`;
  sessions.push(name);
  await tmux('new-session', '-d', '-s', name, '-x', '120', '-y', '40', '-c', cwd, '--', ...fakeAgentArgv(args), ';',
    'set-option', '-w', '-t', `=${name}:`, 'remain-on-exit', 'on');
  return name;
}

/** What `ao send` does: load the text into a buffer, bracketed-paste it, press Enter. */
async function pasteAndSubmit(name: string, text: string): Promise<void> {
  const buffer = `ao-test-${randomBytes(4).toString('hex')}`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tmux', ['load-buffer', '-b', buffer, '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load-buffer exit ${code}`))));
    child.stdin.end(text);
  });
  await tmux('paste-buffer', '-p', '-d', '-b', buffer, '-t', `=${name}:`);
  await tmux('send-keys', '-t', `=${name}:`, 'Enter');
}

describe('fake agent scenarios', () => {
  it('parses YAML and JSON steps', () => {
    const scenario = parseScenario(
      'steps:\n  - print: hi\n  - prompt: "> "\n  - echo: true\n  - write: { path: a.txt, content: x }\n  - commit: msg\n  - sleep: 10\n  - exit: 2\n',
    );
    expect(scenario.steps.map((s) => s.kind)).toEqual(['print', 'prompt', 'echo', 'write', 'commit', 'sleep', 'exit']);
    expect(parseScenario('{"steps":[{"waitFor":"^go$"},{"repeat":true}]}').steps).toEqual([
      { kind: 'waitFor', pattern: '^go$' },
      { kind: 'repeat' },
    ]);
  });

  it('rejects a bad step naming where it is and what was expected', () => {
    expect(() => parseScenario('steps:\n  - print: ok\n  - sleep: soon\n', 's.yaml')).toThrow(/s\.yaml step 2: expected sleep: milliseconds/);
    expect(() => parseScenario('steps:\n  - dance: true\n')).toThrow(/one of print, prompt/);
    expect(() => parseScenario('print: hi\n')).toThrow(/expected `steps:`/);
    expect(() => parseScenario('steps:\n  - print: a\n  - repeat: true\n')).toThrow(/spin forever/);
  });
});

describe('fake agent input', () => {
  it('submits on Enter and keeps a bracketed paste, newlines included, as one submission', () => {
    const parser = createInputParser();
    expect(parser.feed('hello\r').submissions).toEqual(['hello']);
    // Markers and a pasted CRLF split across chunks, as a pty may deliver them.
    expect(parser.feed('\x1b[20').submissions).toEqual([]);
    expect(parser.feed('0~line one\rline "two"\r').submissions).toEqual([]);
    expect(parser.feed('\nthree\x1b[2').submissions).toEqual([]);
    expect(parser.feed('01~\r').submissions).toEqual(['line one\nline "two"\nthree']);
    expect(parser.feed('\x1b[200~a\r\rb\x1b[201~\r').submissions).toEqual(['a\n\nb']);
  });

  it('handles CRLF, backspace, arrow keys, Ctrl-C and Ctrl-D like a line editor', () => {
    const parser = createInputParser();
    expect(parser.feed('a\r\nb\n').submissions).toEqual(['a', 'b']);
    expect(parser.feed('abX\x7fc\x1b[D\r').submissions).toEqual(['abc']);
    expect(parser.feed('\r\r').submissions).toEqual([]);
    expect(parser.feed('\x03').interrupt).toBe(true);
    expect(parser.feed('\x04').eof).toBe(true);
    expect(parser.feed('tail').submissions).toEqual([]);
    expect(parser.end().submissions).toEqual(['tail']);
  });
});

describe('fake agent CLI without a terminal', () => {
  it('reads lines from a pipe, echoes them and logs each one', async () => {
    const log = join(scratch, 'pipe.jsonl');
    const argv = fakeAgentArgv(['--log', log, '--name', 'piper', 'first', 'message']);
    const child = spawn(argv[0]!, argv.slice(1), { cwd: scratch, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('second\n/exit\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('piper (ao fake agent) ready');
    expect(out).toContain('received: first message');
    expect(out).toContain('received: second');
    const entries = await readLog(log);
    expect(entries.filter((e) => e.type === 'received').map((e) => e.text)).toEqual(['first message', 'second', '/exit']);
    expect(entries.at(-1)).toMatchObject({ type: 'exited', code: 0 });
  });

  it('exits 2 with the reason for an invalid scenario', async () => {
    const scenario = join(scratch, 'bad.yaml');
    await writeFile(scenario, 'steps:\n  - exit: nope\n');
    const argv = fakeAgentArgv(['--scenario', scenario]);
    const error = await run(argv[0]!, argv.slice(1)).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain('step 1: expected exit: an exit code');
  });
});

describe('fake agent CLI in a real tmux session', () => {
  it('prints, prompts, takes a multi-line paste as ONE submission, writes, commits and exits with its code', async () => {
    const repo = join(scratch, 'repo');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    execFileSync('git', ['-C', repo, 'config', 'user.name', 'ao test']);
    execFileSync('git', ['-C', repo, 'config', 'user.email', 'test@ao.invalid']);
    execFileSync('git', ['-C', repo, 'commit', '-q', '--allow-empty', '-m', 'initial']);
    const log = join(scratch, 'tmux.jsonl');
    const scenario = join(scratch, 'work.yaml');
    await writeFile(
      scenario,
      [
        'steps:',
        '  - print: "Fake agent starting work"',
        '  - prompt: "task> "',
        '  - echo: true',
        '  - write: { path: src/task.txt, content: "{{input}}" }',
        '  - commit: "fake agent: do the task"',
        '  - print: "all done"',
        '  - exit: 5',
      ].join('\n'),
    );
    const name = await startInTmux(repo, ['--scenario', scenario, '--log', log]);
    await logHas(log, 'the prompt', (e) => e.type === 'waiting');
    expect(await tmux('capture-pane', '-p', '-t', `=${name}:`)).toContain('Fake agent starting work');

    const message = 'line one\nline "two" $(echo x) ; `y` -dash\n  indented ✓';
    await pasteAndSubmit(name, message);
    const dead = await vi.waitFor(async () => {
      const [deadFlag, status] = (await tmux('list-panes', '-t', `=${name}:`, '-F', '#{pane_dead} #{pane_dead_status}')).trim().split(' ');
      if (deadFlag !== '1') throw new Error('waiting for the agent to exit');
      // tmux leaves #{pane_dead_status} empty on some servers; the exit code is checked in the log below.
      return status || 'dead';
    }, WAIT);
    expect(['5', 'dead']).toContain(dead);

    const entries = await readLog(log);
    expect(entries.filter((e) => e.type === 'received').map((e) => e.text)).toEqual([message]);
    expect(entries.at(-1)).toMatchObject({ type: 'exited', code: 5 });
    expect(await readFile(join(repo, 'src/task.txt'), 'utf8')).toBe(message);
    expect(execFileSync('git', ['-C', repo, 'log', '-1', '--format=%s'], { encoding: 'utf8' }).trim()).toBe('fake agent: do the task');
    expect(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' })).toBe('');
    const screen = await tmux('capture-pane', '-p', '-J', '-S', '-100', '-t', `=${name}:`);
    expect(screen).toContain('received: line one');
    expect(screen).toContain('all done');
  });

  it('is an interactive echo agent by default: typed keys are echoed and /exit quits', async () => {
    const log = join(scratch, 'echo.jsonl');
    const name = await startInTmux(scratch, ['--log', log]);
    await logHas(log, 'the prompt', (e) => e.type === 'waiting');
    await tmux('send-keys', '-t', `=${name}:`, '-l', 'typed by hand');
    await tmux('send-keys', '-t', `=${name}:`, 'Enter');
    await vi.waitFor(async () => {
      if (!(await tmux('capture-pane', '-p', '-t', `=${name}:`)).includes('received: typed by hand')) throw new Error('waiting for the echo');
    }, WAIT);
    expect(await tmux('capture-pane', '-p', '-t', `=${name}:`)).toContain('> typed by hand');
    await tmux('send-keys', '-t', `=${name}:`, '-l', '/exit');
    await tmux('send-keys', '-t', `=${name}:`, 'Enter');
    await logHas(log, 'the exit', (e) => e.type === 'exited' && e.code === 0);
  });
});
