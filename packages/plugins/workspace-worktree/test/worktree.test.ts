import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flushLogs } from '@ao/core';
import { createPluginContext, type Workspace, type WorkspaceCreateOptions } from '@ao/core/plugin';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from '@ao/testkit/temp-repo';
import plugin from '../src/index.js';

// Behaviour particular to worktrees: the branch lives in the user's repo, beside the checkout.
describe('worktree workspace', () => {
  let tmp: TempDir;
  let repo: TempRepo;
  let ws: Workspace;

  beforeEach(async () => {
    tmp = await createTempDir('ao-worktree-');
    repo = await createTempRepo();
    const ctx = createPluginContext({ configDir: tmp.path, env: { ...process.env, AO_HOME: join(tmp.path, 'home') } });
    ws = await plugin.create(plugin.configSchema.parse({}), ctx);
  });

  afterEach(async () => {
    // The plugin's file logger (under tmp) opens its file after the first line: let it finish first.
    await flushLogs();
    await repo.cleanup();
    await tmp.cleanup();
  });

  const options = (n: number): WorkspaceCreateOptions => ({
    sessionId: `app-${n}`,
    project: 'app',
    repoPath: repo.path,
    baseBranch: 'main',
    branch: `ao/app-${n}`,
    path: join(tmp.path, 'worktrees', 'app', `app-${n}`),
  });

  async function commitIn(dir: string, file: string): Promise<void> {
    await writeFile(join(dir, file), file);
    const git = (...args: string[]) => repo.git('-C', dir, ...args);
    await git('add', file);
    await git('commit', '--quiet', '-m', `add ${file}`);
  }

  it('registers the checkout as a worktree of the repo on the session branch', async () => {
    const info = await ws.create(options(1));
    const list = await repo.git('worktree', 'list', '--porcelain');
    expect(list).toContain(`worktree ${info.path}`);
    expect(list).toContain('branch refs/heads/ao/app-1');
  });

  it('creates several workspaces of one repo in parallel', async () => {
    const infos = await Promise.all([1, 2, 3, 4, 5].map((n) => ws.create(options(n))));
    for (const info of infos) expect(await repo.git('-C', info.path, 'symbolic-ref', '--short', 'HEAD')).toBe(info.branch);
    await Promise.all(infos.map((info) => ws.remove(info)));
    expect(await repo.git('branch', '--list', 'ao/*')).toBe('');
  });

  it('keeps seeing committed work after the directory was deleted by hand, and refuses to drop the branch', async () => {
    const info = await ws.create(options(1));
    await commitIn(info.path, 'work.txt');
    await rm(info.path, { recursive: true, force: true });
    expect(await ws.state(info)).toEqual({ exists: false, dirty: false, ahead: 1, unmerged: true });
    await expect(ws.remove(info)).rejects.toMatchObject({ code: 'WORKSPACE_DIRTY' });
    expect(await repo.git('log', '-1', '--format=%s', 'ao/app-1')).toBe('add work.txt');
  });

  it('counts commits made on a detached HEAD in the workspace', async () => {
    const info = await ws.create(options(1));
    await repo.git('-C', info.path, 'checkout', '--quiet', '--detach');
    await commitIn(info.path, 'detached.txt');
    expect((await ws.state(info)).unmerged).toBe(true);
    await expect(ws.remove(info)).rejects.toMatchObject({ code: 'WORKSPACE_DIRTY' });
    expect(existsSync(join(info.path, 'detached.txt'))).toBe(true);
  });

  it('treats work kept by another branch as merged and deletes the session branch', async () => {
    const info = await ws.create(options(1));
    await commitIn(info.path, 'work.txt');
    await repo.git('branch', 'keep', 'ao/app-1');
    expect((await ws.state(info)).unmerged).toBe(false);
    await ws.remove(info);
    expect(existsSync(info.path)).toBe(false);
    expect(await repo.git('branch', '--list', 'ao/app-1')).toBe('');
    expect(await repo.git('log', '-1', '--format=%s', 'keep')).toBe('add work.txt');
  });

  it('reuses a path whose worktree was deleted by hand without pruning', async () => {
    const first = await ws.create(options(1));
    await rm(first.path, { recursive: true, force: true });
    const again = await ws.create({ ...options(2), path: first.path });
    expect(await repo.git('-C', again.path, 'symbolic-ref', '--short', 'HEAD')).toBe('ao/app-2');
  });
});
