import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
const tmuxAlive = (name: string): boolean => {
  try {
    execFileSync('tmux', ['has-session', '-t', `=${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const sessions = () => JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<Record<string, unknown>>;

describe('spawn, send, status', () => {
  it('spawns an agent in its own worktree and tmux session, with the prompt delivered', async () => {
    const r = env.ao('spawn', '--prompt', 'Add a greeting');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toBe('app-1');
    const [s] = sessions();
    expect(s).toMatchObject({ id, project: 'app', status: 'working', branch: 'ao/app-1', issue: null });
    for (const key of ['activity', 'workspacePath', 'createdAt', 'pr']) expect(s).toHaveProperty(key);
    expect(git(String(s?.workspacePath), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('ao/app-1');
    expect(tmuxAlive(env.tmuxName(id))).toBe(true);
    await until(() => env.received().some((t) => t.includes('Add a greeting')), 10_000, 'the prompt');
  });

  it('spawns from a local issue with the issue in the prompt and an issue branch', async () => {
    expect(env.ao('issue', 'new', 'Fix login redirect', '--body', 'Users land on /404 after login').stdout.trim()).toBe('1');
    const r = env.ao('spawn', '1', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { issue: string; branch: string };
    expect(s).toMatchObject({ issue: '1', branch: '1-fix-login-redirect' });
    await until(() => env.received().some((t) => t.includes('Fix login redirect') && t.includes('Users land on /404')), 10_000, 'issue prompt');
  });

  it('send delivers multi-line text with quotes, $(), ;, backticks and a leading dash literally, as one submission', async () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    await until(() => env.received().length >= 1, 10_000, 'first prompt');
    const tricky = 'line one\nline "two" $(echo pwned) ; `whoami` \'single\'\n-dash and \\backslash';
    const r = env.ao('send', id, tricky);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await until(() => env.received().length >= 2, 10_000, 'the message');
    expect(env.received()[1]).toBe(tricky);
    const leading = env.ao('send', id, '--', '-n', 'looks like a flag');
    expect(leading.code).toBe(0);
    await until(() => env.received().length >= 3, 10_000, 'the flag-like message');
    expect(env.received()[2]).toBe('-n looks like a flag');
  });

  it('send --file - reads stdin', async () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    await until(() => env.received().length >= 1);
    const file = join(env.home, '..', 'msg.txt');
    writeFileSync(file, 'from a file\nsecond line\n');
    expect(env.ao('send', id, '--file', file).code).toBe(0);
    await until(() => env.received().length >= 2);
    expect(env.received()[1]).toBe('from a file\nsecond line');
  });

  it('status shows a dead terminal as exited on the very next call, and restore relaunches it', async () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    const [before] = sessions();
    execFileSync('tmux', ['kill-session', '-t', `=${env.tmuxName(id)}`]);
    const [after] = sessions();
    expect(after?.activity).toBe('exited');
    const status = env.ao('status');
    expect(status.stdout).toMatch(new RegExp(`${id}\\s+-\\s+working\\s+exited`));
    const send = env.ao('send', id, 'are you there?');
    expect(send.code).toBe(1);
    expect(send.stderr).toContain(`ao session restore ${id}`);

    const restored = env.ao('session', 'restore', id);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(tmuxAlive(env.tmuxName(id))).toBe(true);
    const [again] = sessions();
    expect(again).toMatchObject({ workspacePath: before?.workspacePath, branch: before?.branch });
    expect(again?.activity).not.toBe('exited');
    expect(env.ao('session', 'restore', id).stderr).toContain('still running');
  });

  it('session events lists every state change', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    env.ao('session', 'kill', id);
    const types = env
      .ao('session', 'events', id, '--json')
      .stdout.trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['session.created', 'workspace.created', 'runtime.started', 'session.killed']));
  });
});

describe('never losing work', () => {
  it('kill stops the agent and keeps the workspace, its changes and its branch', () => {
    const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
    const [s] = sessions();
    const ws = String(s?.workspacePath);
    writeFileSync(join(ws, 'wip.txt'), 'work in progress\n');
    const r = env.ao('session', 'kill', id);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('uncommitted changes');
    expect(tmuxAlive(env.tmuxName(id))).toBe(false);
    expect(readFileSync(join(ws, 'wip.txt'), 'utf8')).toBe('work in progress\n');
    expect(git(env.repo, 'branch', '--list', 'ao/app-1')).toContain('ao/app-1');
    expect(sessions()[0]).toMatchObject({ status: 'killed', activity: 'exited' });
  });

  it('cleanup removes only clean finished workspaces and says why it kept the rest', () => {
    const dirty = env.ao('spawn', '--prompt', 'a').stdout.trim();
    const committed = env.ao('spawn', '--prompt', 'b').stdout.trim();
    const clean = env.ao('spawn', '--prompt', 'c').stdout.trim();
    const running = env.ao('spawn', '--prompt', 'd').stdout.trim();
    const byId = Object.fromEntries(sessions().map((s) => [s.id, s]));
    const wsOf = (id: string): string => String(byId[id]?.workspacePath);
    writeFileSync(join(wsOf(dirty), 'wip.txt'), 'x');
    writeFileSync(join(wsOf(committed), 'feature.txt'), 'x');
    git(wsOf(committed), 'add', '.');
    git(wsOf(committed), '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'feature');
    for (const id of [dirty, committed, clean]) expect(env.ao('session', 'kill', id).code).toBe(0);

    const dry = env.ao('session', 'cleanup', '--dry-run');
    expect(dry.stdout).toContain(`would remove ${clean}`);
    expect(existsSync(wsOf(clean))).toBe(true);

    const r = env.ao('session', 'cleanup');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed ${clean}`);
    expect(r.stdout).toMatch(new RegExp(`kept ${dirty}: uncommitted changes`));
    expect(r.stdout).toMatch(new RegExp(`kept ${committed}: branch ao/${committed} has 1 commit\\(s\\) not merged`));
    expect(r.stdout).toMatch(new RegExp(`kept ${running}: still working`));
    expect(existsSync(wsOf(clean))).toBe(false);
    expect(existsSync(join(wsOf(dirty), 'wip.txt'))).toBe(true);
    expect(git(wsOf(committed), 'log', '-1', '--format=%s')).toBe('feature');
    expect(sessions().map((s) => s.id)).not.toContain(clean);
  });
});

describe('bad input gets a clear error and leaves nothing behind', () => {
  const leftovers = () => ({
    worktrees: existsSync(join(env.home, 'worktrees', 'app')) ? readdirSync(join(env.home, 'worktrees', 'app')) : [],
    sessions: sessions(),
    branches: git(env.repo, 'branch', '--format=%(refname:short)'),
  });

  it('an unknown issue', () => {
    const r = env.ao('spawn', '42');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/42/);
    expect(r.stderr).toMatch(/ao issue ls/);
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('an unknown agent lists the available ones', () => {
    const r = env.ao('spawn', '--prompt', 'x', '--agent', 'gpt-9');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown agent "gpt-9"');
    expect(r.stderr).toContain('fake');
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('a template with an unknown variable fails at spawn, not with an empty string', () => {
    env.writeConfig('prompts:\n  task: "Do {{prompt}} for {{customer.name}}"\n');
    const r = env.ao('spawn', '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('customer.name');
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('an agent CLI that is not installed is named, with how to install it', () => {
    writeFileSync(
      join(env.repo, 'agent-orchestrator.yaml'),
      'defaults:\n  runtime: tmux\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n    agent: ghost\nagents:\n  ghost: { command: ["ghost-agent-cli", "--yes"], prompt: arg }\n',
    );
    const r = env.ao('spawn', '--prompt', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ghost-agent-cli');
    expect(r.stderr).toContain('not found');
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('missing tmux says how to install it and leaves nothing behind', () => {
    // A PATH with node and git but no tmux.
    const bin = join(env.home, '..', 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(execFileSync('which', ['git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
    const r = runAo(['spawn', '--prompt', 'x'], { cwd: env.repo, env: { AO_HOME: env.home, PATH: bin } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tmux not found');
    expect(r.stderr).toContain('apt install tmux');
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('a project path that is not a git repository', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const plain = mkdtempSync(join(tmpdir(), 'ao-not-git-'));
    try {
      writeFileSync(join(plain, 'agent-orchestrator.yaml'), readFileSync(join(env.repo, 'agent-orchestrator.yaml'), 'utf8').replace('    defaultBranch: main\n', ''));
      const r = runAo(['spawn', '--prompt', 'x'], { cwd: plain, env: { AO_HOME: env.home } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not (inside )?a git repository/i);
      expect(existsSync(join(env.home, 'worktrees', 'app'))).toBe(false);
    } finally {
      execFileSync('rm', ['-rf', plain]);
    }
  });

  it('an unknown project lists the configured ones', () => {
    const r = env.ao('spawn', '--prompt', 'x', '--project', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unknown project "nope"');
    expect(r.stderr).toContain('app');
    expect(leftovers()).toEqual({ worktrees: [], sessions: [], branches: 'main' });
  });

  it('send to an unknown session says how to list them', () => {
    const r = env.ao('send', 'app-99', 'hello');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('app-99');
    expect(r.stderr).toContain('ao session ls');
  });

  it('an issue title full of shell metacharacters gives a safe branch and reaches the agent byte for byte', async () => {
    const title = 'Fix $(touch /tmp/ao-pwned); rm -rf `whoami` && echo "quoted" | cat > x \\ \'single\' --force';
    const created = env.ao('issue', 'new', title, '--body', 'Body with $HOME and ${PATH} and \\n and ; | & < >');
    expect(created.code).toBe(0);
    const r = env.ao('spawn', created.stdout.trim(), '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const branch = (JSON.parse(r.stdout) as { branch: string }).branch;
    expect(branch).toMatch(/^1-[a-z0-9-]+$/);
    expect(git(env.repo, 'check-ref-format', '--branch', branch)).toBe(branch);
    await until(() => env.received().some((t) => t.includes(title)), 10_000, 'the issue prompt');
    const prompt = env.received().find((t) => t.includes(title)) ?? '';
    expect(prompt).toContain('Body with $HOME and ${PATH} and \\n and ; | & < >');
    expect(existsSync('/tmp/ao-pwned')).toBe(false);
  });

  it('a corrupt session file is reported by path and skipped; the others keep working', () => {
    const a = env.ao('spawn', '--prompt', 'a').stdout.trim();
    const b = env.ao('spawn', '--prompt', 'b').stdout.trim();
    const file = join(env.home, 'projects', 'app', 'sessions', `${a}.json`);
    const events = join(env.home, 'projects', 'app', 'sessions', `${a}.events.jsonl`);
    writeFileSync(file, '{ not json');
    writeFileSync(events, '{ also not json\n');
    const r = env.ao('status');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stdout).toContain(b);
    expect(env.ao('send', b, 'still works').code).toBe(0);
  });
});

describe('concurrency', () => {
  it('20 ao spawn processes started at once get 20 distinct ids and worktrees', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 20\n');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => env.aoAsync('spawn', '--prompt', `task ${i}`)));
    for (const r of results) expect(r.stderr).toBe('');
    const ids = results.map((r) => r.stdout.trim());
    expect(new Set(ids).size).toBe(20);
    const listed = sessions();
    expect(listed).toHaveLength(20);
    expect(new Set(listed.map((s) => s.workspacePath)).size).toBe(20);
    expect(new Set(listed.map((s) => s.branch)).size).toBe(20);
  }, 120_000);

  it('spawns started at once never exceed limits.maxConcurrentSessions; --no-queue refuses; a freed slot is usable again', async () => {
    env.writeConfig('limits:\n  maxConcurrentSessions: 3\n');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => env.aoAsync('spawn', '--prompt', `task ${i}`, '--no-queue')));
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/3 sessions are already running and limits\.maxConcurrentSessions is 3 \(.*agent-orchestrator\.yaml\): wait for one to finish, stop one with `ao session kill <id>`, or raise the limit/);
    }
    // A refused spawn leaves nothing behind: no record, no worktree, no branch.
    expect(sessions()).toHaveLength(3);
    expect(readdirSync(join(env.home, 'worktrees', 'app')).sort()).toEqual(sessions().map((s) => s.id).sort());

    const first = ok[0]!.stdout.trim();
    expect(env.ao('session', 'kill', first).code).toBe(0);
    const again = env.ao('spawn', '--prompt', 'after a kill');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    // The killed session cannot come back while the slot is taken (without --no-queue it would wait in the queue).
    const restore = env.ao('session', 'restore', first, '--no-queue');
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain('limits.maxConcurrentSessions is 3');
  }, 120_000);

  it('batch-spawn --no-queue spawns one session per issue, bounded by the limit', () => {
    for (const t of ['one', 'two', 'three']) env.ao('issue', 'new', t);
    env.writeConfig('limits:\n  maxConcurrentSessions: 2\n');
    const r = env.ao('batch-spawn', '1', '2', '3', '--no-queue');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✓ 1 → app-\d/);
    expect(r.stdout).toMatch(/✓ 2 → app-\d/);
    expect(r.stdout).toContain('3: not spawned, limit of 2 concurrent sessions reached');
    expect(sessions()).toHaveLength(2);
  });
});
