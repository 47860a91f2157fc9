import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginContext, type Workspace, type WorkspaceCreateOptions } from '@ao/core/plugin';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from '@ao/testkit/temp-repo';
import plugin from '../src/index.js';

// Behaviour particular to clones: origin is the user's repo, and work is safe once pushed there.
describe('clone workspace', () => {
  let tmp: TempDir;
  let repo: TempRepo;
  let ws: Workspace;

  beforeEach(async () => {
    tmp = await createTempDir('ao-clone-');
    repo = await createTempRepo();
    const ctx = createPluginContext({ configDir: tmp.path, env: { ...process.env, AO_HOME: join(tmp.path, 'home') } });
    ws = await plugin.create(plugin.configSchema.parse({}), ctx);
  });

  afterEach(async () => {
    await repo.cleanup();
    await tmp.cleanup();
  });

  const options = (): WorkspaceCreateOptions => ({
    sessionId: 'app-1',
    project: 'app',
    repoPath: repo.path,
    baseBranch: 'main',
    branch: 'ao/app-1',
    path: join(tmp.path, 'worktrees', 'app', 'app-1'),
  });

  // A clone does not inherit the repo's local identity; pass one so commits work without a global one.
  const inClone = (dir: string, ...args: string[]) =>
    repo.git('-C', dir, '-c', 'user.name=ao test', '-c', 'user.email=ao-test@example.invalid', '-c', 'commit.gpgsign=false', ...args);

  async function commitIn(dir: string, file: string): Promise<void> {
    await writeFile(join(dir, file), file);
    await inClone(dir, 'add', file);
    await inClone(dir, 'commit', '--quiet', '-m', `add ${file}`);
  }

  it('clones the repo as origin, on a branch with no upstream, without touching the repo', async () => {
    const info = await ws.create(options());
    expect(await inClone(info.path, 'remote', 'get-url', 'origin')).toBe(repo.path);
    expect((await inClone(info.path, 'for-each-ref', '--format=%(upstream)', 'refs/heads/ao/app-1')).trim()).toBe('');
    expect(await repo.git('branch', '--list', 'ao/*')).toBe('');
    expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain(info.path);
  });

  it('treats pushed work as safe: removes the clone and keeps the pushed branch in the repo', async () => {
    const info = await ws.create(options());
    await commitIn(info.path, 'work.txt');
    expect(await ws.state(info)).toMatchObject({ ahead: 1, unmerged: true });
    await inClone(info.path, 'push', '--quiet', 'origin', 'ao/app-1');
    expect(await ws.state(info)).toEqual({ exists: true, dirty: false, ahead: 1, unmerged: false });
    await ws.remove(info);
    expect(existsSync(info.path)).toBe(false);
    expect(await repo.git('log', '-1', '--format=%s', 'ao/app-1')).toBe('add work.txt');
  });

  it('deletes the pushed branch from the repo once it is merged there', async () => {
    const info = await ws.create(options());
    await commitIn(info.path, 'work.txt');
    await inClone(info.path, 'push', '--quiet', 'origin', 'ao/app-1');
    await repo.git('merge', '--quiet', '--no-edit', '--no-ff', 'ao/app-1');
    await ws.remove(info);
    expect(await repo.git('branch', '--list', 'ao/app-1')).toBe('');
    expect(existsSync(join(repo.path, 'work.txt'))).toBe(true);
  });

  it('counts a stash that was never pushed as unmerged', async () => {
    const info = await ws.create(options());
    await writeFile(join(info.path, 'README.md'), 'stashed edit\n');
    await inClone(info.path, 'stash', '--quiet');
    expect(await ws.state(info)).toMatchObject({ dirty: false, unmerged: true });
    await expect(ws.remove(info)).rejects.toMatchObject({ code: 'WORKSPACE_DIRTY' });
    expect(existsSync(info.path)).toBe(true);
  });
});
