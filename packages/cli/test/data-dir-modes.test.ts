import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

/**
 * Every file and directory under `root` that group or others can use, as `path mode`. Workspace
 * contents are the agent's and git's files with the user's umask; their 0700 root guards them, so
 * the walk checks each workspace root and does not descend into it.
 */
function openToOthers(root: string, workspaces: Set<string>): string[] {
  const found: string[] = [];
  const visit = (path: string): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) found.push(`${relative(root, path) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory() && !workspaces.has(path)) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return found;
}

describe('the data dir is private', () => {
  it('after spawn, send and kill, nothing under AO_HOME is readable by group or others', async () => {
    const id = env.ao('spawn', '--prompt', 'secret plans').stdout.trim();
    await until(() => env.received().length >= 1, 10_000, 'the prompt');
    expect(env.ao('send', id, 'more secret plans').code).toBe(0);
    await until(() => env.received().length >= 2, 10_000, 'the message');
    env.ao('issue', 'new', 'an issue');
    expect(env.ao('status').code).toBe(0);
    const [session] = JSON.parse(env.ao('session', 'ls', '--json').stdout) as Array<{ workspacePath: string }>;
    const workspace = session?.workspacePath ?? '';
    expect(env.ao('session', 'kill', id).code).toBe(0);

    expect(mode(env.home)).toBe('700');
    expect(mode(workspace)).toBe('700');
    // What the walk must have seen for it to mean anything: the session files and the log.
    expect(readdirSync(join(env.home, 'projects', 'app', 'sessions')).length).toBeGreaterThan(0);
    expect(statSync(join(env.home, 'logs', 'ao.log')).size).toBeGreaterThan(0);
    expect(openToOthers(env.home, new Set([workspace]))).toEqual([]);
  });

  it('an existing data dir made open by an older version is tightened on the next command', () => {
    mkdirSync(env.home, { recursive: true });
    chmodSync(env.home, 0o755);
    writeFileSync(join(env.home, 'note'), 'x');
    const r = env.ao('status');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(mode(env.home)).toBe('700');
  });
});
