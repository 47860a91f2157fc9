/**
 * The session's workspace on the host (`workspace: sync`). The workspace plugin created the
 * session's branch and checkout here as usual; the runtime then
 *
 *  1. keeps one bare clone per project on the host (`<root>/repos/<repo key>.git`), filled by
 *     `git push` from this machine over the same ssh connection (only missing objects travel, so
 *     the first session of a project pays for the clone and later ones for their delta; the host
 *     needs no access to the project's remote and no credentials),
 *  2. checks the branch out in a worktree of that clone (`<root>/workspaces/<tmux name>`), copying
 *     the local workspace's untracked files (e.g. `.env` from `copyFiles`) and running postCreate,
 *  3. fetches the branch back into the local workspace (a fast-forward) when it moved on the host:
 *     on every liveness listing that sees it move, on stop, and on a restore, so the local SCM,
 *     `ao status` and cleanup see the agent's commits. Uncommitted changes stay on the host.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError, type Exec, type Logger } from '@ao/core/plugin';
import type { SshConnection } from './ssh.js';

/** Untracked files larger than this are not copied to the host (a log, a build output): say so. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

export interface LocalWorkspace {
  /** The local checkout (what the workspace plugin created). */
  path: string;
  branch: string;
  /** The repository's common git dir (shared by all its worktrees). */
  commonDir: string;
  /** A short stable key of the repository: the name of its clone on the host. */
  repoKey: string;
}

async function git(exec: Exec, cwd: string, args: readonly string[], env?: Record<string, string>) {
  return exec('git', ['-C', cwd, ...args], { reject: false, ...(env ? { env } : {}) });
}

/** Reads branch and repository of the local workspace; throws when it is not a git checkout on a branch. */
export async function readLocalWorkspace(exec: Exec, path: string): Promise<LocalWorkspace> {
  const result = await git(exec, path, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--abbrev-ref', 'HEAD']);
  const [commonDir, branch] = result.stdout.trim().split('\n');
  if (result.exitCode !== 0 || !commonDir || !branch || branch === 'HEAD') {
    throw new AoError(
      'RUNTIME_FAILED',
      `the ssh runtime (workspace: sync) needs the session's workspace to be a git checkout on a branch, and ${path} is not` +
        `${result.stderr.trim() ? ` (${result.stderr.trim().split('\n')[0]})` : ''}; use a git workspace plugin, or set workspace: shared when the host sees this path`,
      { details: { path } },
    );
  }
  const repoKey = createHash('sha1').update(commonDir).digest('hex').slice(0, 12);
  return { path, branch, commonDir, repoKey };
}

/**
 * The files of the local workspace that git does not track and that are not inside an ignored
 * directory: `.env`, `config/local.json`… (not `node_modules/`, which postCreate rebuilds on the
 * host). One line per file for worktreeScript: `mode base64(path) base64(content)`.
 */
export async function untrackedPayload(exec: Exec, local: LocalWorkspace, log: Logger): Promise<string> {
  const listed = await Promise.all([
    git(exec, local.path, ['ls-files', '-z', '--others', '--exclude-standard']),
    git(exec, local.path, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']),
  ]);
  const paths = [...new Set(listed.flatMap((r) => r.stdout.split('\0')))].filter((p) => p !== '' && !p.endsWith('/'));
  const lines: string[] = [];
  let total = 0;
  for (const relative of paths.sort()) {
    const file = join(local.path, relative);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (info.size > MAX_FILE_BYTES || total + info.size > MAX_TOTAL_BYTES) {
      log.warn({ file, size: info.size }, 'untracked file too large to copy to the ssh host; not copied');
      continue;
    }
    total += info.size;
    const content = await readFile(file);
    lines.push(`${(info.mode & 0o777).toString(8)} ${Buffer.from(relative).toString('base64')} ${content.toString('base64')}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Pushes the branch to the host's clone; a branch already there and ahead is left as it is. */
export async function pushBranch(exec: Exec, conn: SshConnection, local: LocalWorkspace, remoteRepo: string, log: Logger): Promise<void> {
  const result = await git(
    exec,
    local.path,
    ['push', '--quiet', '--no-verify', conn.git.url(remoteRepo), `HEAD:refs/heads/${local.branch}`],
    { GIT_SSH_COMMAND: conn.git.sshCommand },
  );
  if (result.exitCode === 0) return;
  if (/\[rejected\]|non-fast-forward|fetch first/i.test(result.stderr)) {
    log.warn({ host: conn.host.name, branch: local.branch }, 'the branch on the ssh host is ahead of the local one; using the host\'s');
    return;
  }
  throw new AoError(
    'RUNTIME_FAILED',
    `cannot push branch ${local.branch} to ssh host ${conn.host.name}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`,
    { details: { host: conn.host.name, stderr: result.stderr } },
  );
}

/**
 * Fetches the branch from the host's clone and fast-forwards the local workspace to it. Returns
 * false (and logs) when the local branch has commits of its own, so nothing local is overwritten.
 */
export async function fetchBranch(exec: Exec, conn: SshConnection, localPath: string, branch: string, remoteRepo: string, log: Logger): Promise<boolean> {
  const env = { GIT_SSH_COMMAND: conn.git.sshCommand };
  const fetched = await git(exec, localPath, ['fetch', '--quiet', '--no-tags', conn.git.url(remoteRepo), `refs/heads/${branch}`], env);
  if (fetched.exitCode !== 0) {
    log.warn({ host: conn.host.name, branch, stderr: fetched.stderr.trim() }, 'could not fetch the session branch back from the ssh host');
    return false;
  }
  const merged = await git(exec, localPath, ['merge', '--quiet', '--ff-only', 'FETCH_HEAD']);
  if (merged.exitCode !== 0) {
    log.warn({ host: conn.host.name, branch, stderr: merged.stderr.trim() }, 'the local workspace has diverged from the ssh host; not fast-forwarded');
    return false;
  }
  return true;
}

/** The head of `branch` in the local repository, or undefined. */
export async function localHead(exec: Exec, commonDir: string, branch: string): Promise<string | undefined> {
  const result = await exec('git', ['--git-dir', commonDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * A word of the agent's argv or environment for the host: the local workspace path, as the whole
 * word, its prefix, or after `=` (`--cwd=/path`), becomes the remote workspace path.
 */
export function mapPaths(value: string, localPath: string, remotePath: string): string {
  const escaped = localPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return value.replace(new RegExp(`(^|=)${escaped}(?=/|$)`, 'g'), (_match, lead: string) => `${lead}${remotePath}`);
}
