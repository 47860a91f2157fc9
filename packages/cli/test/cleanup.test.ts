import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
  // The project ignores logs, build output and installs, as real ones do.
  writeFileSync(join(env.repo, '.gitignore'), '*.log\nbuild/\nnode_modules/\n');
  git(env.repo, 'add', '.gitignore');
  git(env.repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'ignore');
});
afterEach(async () => {
  await env.cleanup();
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
const commit = (cwd: string, message: string): void => {
  writeFileSync(join(cwd, `${message}.txt`), `${message}\n`);
  git(cwd, 'add', '.');
  git(cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', message);
};
/** A killed session and its workspace path. */
const killedSession = (): { id: string; ws: string } => {
  const id = env.ao('spawn', '--prompt', 'hi').stdout.trim();
  const [s] = JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ workspacePath: string }>;
  expect(env.ao('session', 'kill', id).code).toBe(0);
  return { id, ws: String(s?.workspacePath) };
};

describe('ao session cleanup and gitignored files', () => {
  it('keeps a clean workspace holding gitignored files, lists them, and removes it only with --force-ignored', () => {
    const { id, ws } = killedSession();
    writeFileSync(join(ws, 'debug.log'), 'three days of notes\n');
    mkdirSync(join(ws, 'build'));
    writeFileSync(join(ws, 'build', 'out.bin'), 'x');
    mkdirSync(join(ws, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(join(ws, 'node_modules', 'left-pad', 'index.js'), '');
    expect(git(ws, 'status', '--porcelain')).toBe(''); // "clean" to git

    const r = env.ao('session', 'cleanup');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept ${id}: gitignored files in ${ws} would be deleted with it: `);
    expect(r.stdout).toContain('debug.log');
    expect(r.stdout).toContain('build/');
    expect(r.stdout).not.toContain('node_modules'); // reinstalled by a tool, not work
    expect(r.stdout).toContain('--force-ignored');
    expect(existsSync(join(ws, 'debug.log'))).toBe(true);

    const forced = env.ao('session', 'cleanup', '--force-ignored');
    expect(forced.stdout).toContain(`removed ${id}`);
    expect(existsSync(ws)).toBe(false);
  });

  it('removes a workspace whose only ignored files are regenerable (node_modules)', () => {
    const { id, ws } = killedSession();
    mkdirSync(join(ws, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(ws, 'node_modules', 'x', 'index.js'), '');
    expect(env.ao('session', 'cleanup').stdout).toContain(`removed ${id}`);
    expect(existsSync(ws)).toBe(false);
  });
});

describe('ao session cleanup and commits on a detached HEAD', () => {
  it('says the commits are on no branch (not "0 commits not merged") and keeps them', () => {
    const { id, ws } = killedSession();
    git(ws, 'checkout', '-q', '--detach');
    commit(ws, 'detached-work');
    const head = git(ws, 'rev-parse', 'HEAD');

    const r = env.ao('session', 'cleanup');
    expect(r.stdout).toContain(`kept ${id}: ${ws} has commits that are on no branch (a detached HEAD)`);
    expect(r.stdout).toContain(`git -C ${ws} switch -c`);
    expect(r.stdout).not.toMatch(/has 0 commit/);
    expect(git(ws, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('still names the branch when the commits are on it', () => {
    const { id, ws } = killedSession();
    commit(ws, 'feature');
    expect(env.ao('session', 'cleanup').stdout).toContain(`kept ${id}: branch ao/${id} has 1 commit(s) not merged into main`);
  });
});
