/**
 * Throw-away directories and real git repositories for tests. Everything lives under the OS temp
 * dir and goes away with `cleanup()`; repos carry a local identity so commits work on a machine
 * (or CI container) with no global git config.
 */
import { mkdtemp, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

// node's execFile (argv array, no shell) rather than @ao/core's exec: this helper has no
// dependencies, so any package's tests can use it, including ones that test core itself.
const execFileAsync = promisify(execFile);

export interface TempDir {
  /** Absolute, symlink-free path (what `git rev-parse --show-toplevel` would print). */
  path: string;
  /** Deletes the directory and everything in it. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** A fresh empty directory under the OS temp dir. */
export async function createTempDir(prefix = 'ao-test-'): Promise<TempDir> {
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  return { path, cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

export interface TempRepoOptions {
  /** The branch of the initial commit (default `main`). */
  branch?: string;
  /** Files of the initial commit, path → content (default: a README.md). */
  files?: Record<string, string>;
  /** A bare repository (no working tree) holding the same initial commit. */
  bare?: boolean;
}

export interface TempRepo extends TempDir {
  /** Runs `git <args>` in the repo and returns stdout without the trailing newline; rejects on failure. */
  git(...args: string[]): Promise<string>;
}

/** Identity and settings every temp repo gets, so no global config is needed or consulted for them. */
const LOCAL_CONFIG: Array<[string, string]> = [
  ['user.name', 'ao test'],
  ['user.email', 'ao-test@example.invalid'],
  ['commit.gpgsign', 'false'],
  ['tag.gpgsign', 'false'],
];

async function runGit(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', [...args], { cwd, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 });
    return stdout.replace(/\r?\n$/, '');
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`git ${args.join(' ')} failed in ${cwd}${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    const target = join(root, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * A real git repository with one initial commit on `branch` (default `main`), made of `files`
 * (default a README). With `bare: true` the repo has no working tree; the commit is built through
 * a scratch work tree that is deleted afterwards.
 */
export async function createTempRepo(options: TempRepoOptions = {}): Promise<TempRepo> {
  const branch = options.branch ?? 'main';
  const files = options.files ?? { 'README.md': '# temp repo\n' };
  const dir = await createTempDir(options.bare ? 'ao-bare-' : 'ao-repo-');
  try {
    await runGit(dir.path, ['init', '--quiet', ...(options.bare ? ['--bare'] : []), `--initial-branch=${branch}`]);
    for (const [key, value] of LOCAL_CONFIG) await runGit(dir.path, ['config', '--local', key, value]);
    if (options.bare) {
      const scratch = await createTempDir('ao-scratch-');
      try {
        await writeFiles(scratch.path, files);
        const viaScratch = ['--git-dir', dir.path, '--work-tree', scratch.path];
        await runGit(scratch.path, [...viaScratch, 'add', '--all']);
        await runGit(scratch.path, [...viaScratch, 'commit', '--quiet', '--allow-empty', '-m', 'initial commit']);
      } finally {
        await scratch.cleanup();
      }
    } else {
      await writeFiles(dir.path, files);
      await runGit(dir.path, ['add', '--all']);
      await runGit(dir.path, ['commit', '--quiet', '--allow-empty', '-m', 'initial commit']);
    }
  } catch (error) {
    await dir.cleanup();
    throw error;
  }
  return { ...dir, git: (...args) => runGit(dir.path, args) };
}
