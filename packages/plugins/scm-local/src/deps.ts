/**
 * The project's dependencies in a local CI checkout, so `ci: npm test` runs as it does in the
 * user's own checkout instead of failing with `eslint: not found`.
 *
 * A fresh `git worktree add` has no `node_modules`. When a checkout of the same repository (the
 * session's workspace, the user's checkout, another session's worktree) has them installed for an
 * identical lockfile, they are reused: the tree is re-created in the CI checkout with hard links
 * (a copy, copy-on-write where the filesystem can, across filesystems), which costs a few hundred
 * milliseconds for a small library and leaves the source untouched when the tests delete or add
 * files. Otherwise the package manager the lockfile names installs them, offline-first from its cache.
 */
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, readlink, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError, gitTry, type Exec } from '@ao/core/plugin';

/** `auto`: reuse, else install; `reuse`: reuse or go without; `install`: always install; `none`: leave the checkout bare. */
export type DependencyMode = 'auto' | 'reuse' | 'install' | 'none';

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface PackageManager {
  name: PackageManagerName;
  /** The lockfile it was detected from, relative to the checkout; none for a package.json alone. */
  lockfile?: string;
  /** Yarn 2+ (a `.yarnrc.yml`): `--immutable` instead of v1's `--frozen-lockfile`. */
  berry?: boolean;
}

export interface DependencyOutcome {
  how: 'reused' | 'installed' | 'none';
  /** One line for the log: what was done, from where, or why nothing was. */
  summary: string;
  ms: number;
  /** False when installing failed: the run fails with the installer's output. */
  ok: boolean;
  /** The installer's output (installs only). */
  output?: string;
}

const LOCKFILES: ReadonlyArray<readonly [string, PackageManagerName]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
];

const exists = (path: string) => stat(path).then(() => true, () => false);

/** The package manager of a Node project (by its lockfile, or `packageManager` in package.json), or undefined without a package.json. */
export async function detectPackageManager(dir: string): Promise<PackageManager | undefined> {
  let manifest: { packageManager?: unknown };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { packageManager?: unknown };
  } catch {
    return undefined;
  }
  const berry = await exists(join(dir, '.yarnrc.yml'));
  for (const [lockfile, name] of LOCKFILES) {
    if (await exists(join(dir, lockfile))) return { name, lockfile, ...(name === 'yarn' && berry ? { berry } : {}) };
  }
  const declared = typeof manifest.packageManager === 'string' ? /^(npm|pnpm|yarn|bun)@/.exec(manifest.packageManager)?.[1] : undefined;
  return { name: (declared as PackageManagerName | undefined) ?? 'npm', ...(declared === 'yarn' && berry ? { berry } : {}) };
}

/** The offline-first, lockfile-respecting install command of a package manager. */
export function installArgv(pm: PackageManager): string[] {
  switch (pm.name) {
    case 'pnpm':
      return ['pnpm', 'install', '--frozen-lockfile', '--prefer-offline'];
    case 'yarn':
      return pm.berry ? ['yarn', 'install', '--immutable'] : ['yarn', 'install', '--frozen-lockfile', '--prefer-offline', '--non-interactive'];
    case 'bun':
      return ['bun', 'install', '--frozen-lockfile'];
    case 'npm':
      return pm.lockfile
        ? ['npm', 'ci', '--prefer-offline', '--no-audit', '--no-fund']
        : ['npm', 'install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'];
  }
}

export interface PrepareOptions {
  exec: Exec;
  /** The CI checkout (a detached worktree of the PR head). */
  checkout: string;
  /** Checkouts of the same repository whose installed dependencies may be reused, best first. */
  candidates: readonly string[];
  mode: DependencyMode;
  timeoutMs: number;
  env: Record<string, string>;
  now: () => number;
}

/** Gives the checkout the project's dependencies as `mode` says; never throws. */
export async function prepareDependencies(options: PrepareOptions): Promise<DependencyOutcome> {
  const { checkout, mode, now } = options;
  const started = now();
  const done = (outcome: Omit<DependencyOutcome, 'ms'>): DependencyOutcome => ({ ...outcome, ms: now() - started });
  if (mode === 'none') return done({ how: 'none', summary: 'dependencies: none (ci.dependencies: none)', ok: true });
  const pm = await detectPackageManager(checkout);
  if (!pm) return done({ how: 'none', summary: 'dependencies: none (no package.json)', ok: true });

  if (mode !== 'install') {
    const reused = await reuseInstalled(options, pm).catch((error: unknown) => `could not reuse node_modules: ${describeError(error)}`);
    if (reused && !reused.startsWith('could not')) return done({ how: 'reused', summary: `dependencies: ${reused}`, ok: true });
    if (mode === 'reuse') return done({ how: 'none', summary: `dependencies: none (${reused ?? `no checkout has node_modules for this ${pm.lockfile ?? 'package.json'}`})`, ok: true });
  }

  const argv = installArgv(pm);
  const [file, ...args] = argv as [string, ...string[]];
  try {
    const result = await options.exec(file, args, { cwd: checkout, timeoutMs: options.timeoutMs, reject: false, env: options.env });
    const output = `${result.stdout}${result.stderr}`;
    const summary = `dependencies: \`${argv.join(' ')}\`${pm.lockfile ? ` (${pm.lockfile})` : ''}`;
    if (result.exitCode === 0) return done({ how: 'installed', summary, ok: true, output });
    return done({ how: 'installed', summary: `${summary} failed (exit ${result.exitCode})`, ok: false, output });
  } catch (error) {
    return done({ how: 'installed', summary: `dependencies: \`${argv.join(' ')}\` did not complete: ${describeError(error)}`, ok: false });
  }
}

/**
 * Re-creates the first candidate's `node_modules` (and those of the workspace packages beside it)
 * in the checkout, when its lockfile — or, without one, its package.json — is byte-identical.
 * Returns what was done, or undefined when no candidate fits.
 */
async function reuseInstalled(options: PrepareOptions, pm: PackageManager): Promise<string | undefined> {
  const { checkout } = options;
  const key = pm.lockfile ?? 'package.json';
  const wanted = await readFile(join(checkout, key));
  for (const source of options.candidates) {
    if (!(await isDirectory(join(source, 'node_modules')))) continue;
    const theirs = await readFile(join(source, key)).catch(() => undefined);
    if (!theirs || !theirs.equals(wanted)) continue;
    // Workspace packages (monorepos) have node_modules of their own next to their package.json.
    const dirs = ['', ...(await packageDirs(options.exec, checkout))];
    let files = 0;
    let copied = false;
    for (const dir of dirs) {
      const from = join(source, dir, 'node_modules');
      if (!(await isDirectory(from))) continue;
      const stats = await linkTree(from, join(checkout, dir, 'node_modules'));
      files += stats.files;
      copied ||= stats.copied;
    }
    return `node_modules ${copied ? 'copied' : 'hard-linked'} from ${source} (${files} files; ${key} identical)`;
  }
  return undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Directories (relative, not the root) holding a tracked package.json: a monorepo's packages. */
async function packageDirs(exec: Exec, checkout: string): Promise<string[]> {
  const listed = await gitTry(exec, checkout, ['ls-files', '-z', '--', '*/package.json']);
  if (listed.exitCode !== 0) return [];
  return listed.stdout
    .split('\0')
    .filter((path) => path && !path.includes('node_modules/'))
    .map((path) => dirname(path))
    .slice(0, 500);
}

/**
 * Re-creates the tree `from` at `to`: directories made, symlinks re-made with the same (usually
 * relative) target, files hard-linked — or, when `to` is on another filesystem, copied
 * (copy-on-write where the filesystem supports it).
 */
async function linkTree(from: string, to: string): Promise<{ files: number; copied: boolean }> {
  const state = { files: 0, copied: false };
  async function walk(src: string, dst: string): Promise<void> {
    await mkdir(dst, { recursive: true });
    const entries = await readdir(src, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const s = join(src, entry.name);
        const d = join(dst, entry.name);
        if (entry.isDirectory()) return walk(s, d);
        if (entry.isSymbolicLink()) return symlink(await readlink(s), d);
        if (!entry.isFile()) return undefined;
        state.files++;
        if (!state.copied) {
          try {
            return await link(s, d);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
            state.copied = true;
          }
        }
        return copyFile(s, d, constants.COPYFILE_FICLONE);
      }),
    );
  }
  await walk(from, to);
  return state;
}
