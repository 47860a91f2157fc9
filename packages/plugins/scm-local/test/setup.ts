import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createPluginContext, silentLogger, type PluginContext } from '@ao/core/plugin';
import { createTempDir, createTempRepo, type TempDir, type TempRepo } from '@ao/testkit/temp-repo';
import plugin, { isLocalScm, type LocalScm } from '../src/index.js';

export interface Fixture {
  /** The user's repository (checked out on main unless a test switches it). */
  repo: TempRepo;
  /** AO_HOME and other scratch space. */
  home: TempDir;
  /** The session's workspace: a worktree of the repo on branch `feature`. */
  ws: string;
  scm: LocalScm;
  ctx: PluginContext;
  /** Writes `file` in `dir` and commits it there; returns the new commit. */
  commit(dir: string, file: string, content: string, message?: string): Promise<string>;
  /** `git -C dir …` */
  git(dir: string, ...args: string[]): Promise<string>;
  /** A second scm instance on the same project (another ao process would see the same records). */
  create(config?: Record<string, unknown>): Promise<LocalScm>;
  prFile(id: string): string;
  cleanup(): Promise<void>;
}

export async function setup(config: Record<string, unknown> = {}): Promise<Fixture> {
  const repo = await createTempRepo({ files: { 'README.md': '# app\n', 'shared.txt': 'line 1\nline 2\n' } });
  const home = await createTempDir('ao-scm-local-');
  const ctx = createPluginContext({
    configDir: home.path,
    env: { ...process.env, AO_HOME: join(home.path, 'ao-home') },
    logger: silentLogger,
    project: { name: 'app', path: repo.path, defaultBranch: 'main' },
  });
  const create = async (cfg: Record<string, unknown> = config) => {
    const scm = await plugin.create(plugin.configSchema.parse(cfg), ctx);
    if (!isLocalScm(scm)) throw new Error('not a local scm');
    return scm;
  };
  const ws = join(home.path, 'ws', 'app-1');
  await repo.git('worktree', 'add', '--quiet', '-b', 'feature', ws, 'main');
  const git = (dir: string, ...args: string[]) => repo.git('-C', dir, ...args);
  return {
    repo,
    home,
    ws,
    ctx,
    scm: await create(),
    create,
    git,
    async commit(dir, file, content, message = `change ${file}`) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await writeFile(join(dir, file), content);
      await git(dir, 'add', file);
      await git(dir, 'commit', '--quiet', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    prFile: (id) => join(ctx.paths.project('app'), 'prs', `${id}.json`),
    async cleanup() {
      await repo.cleanup();
      await home.cleanup();
    },
  };
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export const openInput = (branch = 'feature', title = 'Add feature') => ({
  project: 'app',
  branch,
  baseBranch: 'main',
  title,
  body: 'Closes #1',
  workspacePath: '/unused',
});
