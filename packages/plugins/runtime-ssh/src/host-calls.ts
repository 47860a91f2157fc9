/**
 * The ssh runtime's calls to one host that parse what the host answers: the listing (liveness
 * and branch heads), screens, and the remote workspace of `workspace: sync`.
 */
import { randomBytes } from 'node:crypto';
import { AoError, type Exec, type ExecResult, type Logger } from '@ao/core/plugin';
import { EXIT, captureScript, listScript, prepareScript, worktreeScript } from './remote.js';
import type { SshConnection } from './ssh.js';
import { fetchBranch, pushBranch, readLocalWorkspace, untrackedPayload } from './sync.js';

export interface HostListing {
  /** The host's root, absolute. */
  root: string;
  /** tmux session name → alive (a dead pane kept by remain-on-exit is false). */
  sessions: Map<string, boolean>;
  /** `<repo>\0<branch>` → commit. */
  heads: Map<string, string>;
}

/** A script's failure as an error that names the host and what to do. */
export function scriptError(conn: SshConnection, action: string, result: ExecResult): AoError {
  const said = result.stderr.trim().split('\n').slice(-3).join(' ');
  const where = `ssh host ${conn.host.name}`;
  if (result.exitCode === EXIT.noTmux) return new AoError('TOOL_MISSING', `tmux is not installed on ${where} (or not on the PATH of ssh sessions): install it there (apt install tmux)`, { details: { host: conn.host.name } });
  if (result.exitCode === EXIT.noGit) return new AoError('TOOL_MISSING', `git is not installed on ${where} (or not on the PATH of ssh sessions): install it there (apt install git)`, { details: { host: conn.host.name } });
  if (result.exitCode === EXIT.badRoot) return new AoError('RUNTIME_FAILED', `cannot ${action} on ${where}: ${said || 'its root directory is not usable'}; check the host's root setting`, { details: { host: conn.host.name } });
  return new AoError('RUNTIME_FAILED', `cannot ${action} on ${where} (exit ${result.exitCode})${said ? `: ${said}` : ''}`, { details: { host: conn.host.name, exitCode: result.exitCode, stderr: result.stderr } });
}

/**
 * Liveness of every tmux session on the host and the branch heads of `repos`, in one call.
 */
export async function listHost(conn: SshConnection, repos: readonly string[]): Promise<HostListing> {
  const result = await conn.run(listScript(conn.host.root, repos));
  if (result.exitCode !== 0) throw scriptError(conn, 'list the tmux sessions', result);
  const [head = '', refs = ''] = result.stdout.split('@refs\n');
  const [rootLine = '', ...paneLines] = head.split('\n');
  const panes = paneLines.join('\n');
  const sessions = new Map<string, boolean>();
  for (const line of panes.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space < 0) continue;
    const name = line.slice(0, space);
    sessions.set(name, (sessions.get(name) ?? false) || line.slice(space + 1).trim() !== '1');
  }
  const heads = new Map<string, string>();
  for (const line of refs.split('\n')) {
    const [index, branch, sha] = line.split('\t');
    const repo = repos[Number(index)];
    if (repo !== undefined && branch && sha) heads.set(`${repo}\0${branch}`, sha);
  }
  return { root: rootLine.replace(/^@root /, ''), sessions, heads };
}

/** Screens of `names` on one host, in one call; a gone session is left out. */
export async function captureOn(conn: SshConnection, root: string, names: readonly string[], lines: number): Promise<Map<string, string>> {
  const marker = `AO-CAPTURE-${randomBytes(6).toString('hex')}`;
  const result = await conn.run(captureScript(root, names, Math.max(0, Math.floor(lines)), marker));
  if (result.exitCode !== 0) throw scriptError(conn, 'capture the screen', result);
  const screens = new Map<string, string>();
  const parts = result.stdout.split(new RegExp(`^${marker} `, 'm')).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    const head = newline < 0 ? part : part.slice(0, newline);
    const [index, missing] = head.split(' ');
    const name = names[Number(index)];
    if (name === undefined || missing === 'missing') continue;
    const body = newline < 0 ? '' : part.slice(newline + 1);
    screens.set(name, body.split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, ''));
  }
  return screens;
}

/**
 * `workspace: sync`: the session's branch checked out in a worktree of the project's clone on the
 * host (a restore finds it there and fetches it back first). Returns the remote cwd.
 */
export async function prepareRemoteWorkspace(
  exec: Exec,
  conn: SshConnection,
  o: { root: string; name: string; cwd: string; postCreate: readonly (readonly string[])[]; log: Logger },
) {
  const { root, name, cwd, postCreate, log } = o;
  const local = await readLocalWorkspace(exec, cwd);
  const repo = `${root}/repos/${local.repoKey}.git`;
  const workspace = `${root}/workspaces/${name}`;
  const prepared = await conn.run(prepareScript(conn.host.root, { repo, workspace }));
  if (prepared.exitCode !== 0) throw scriptError(conn, 'prepare the clone', prepared);
  if (prepared.stdout.includes('workspace=1')) {
    // A restore: the work is on the host already, and may be ahead of the local branch.
    await fetchBranch(exec, conn, local.path, local.branch, repo, log);
  } else {
    await pushBranch(exec, conn, local, repo, log);
    const created = await conn.run(worktreeScript(conn.host.root, { repo, workspace, branch: local.branch, postCreate }), {
      input: await untrackedPayload(exec, local, log),
      timeoutMs: 0,
    });
    if (created.exitCode !== 0) throw scriptError(conn, `create the workspace ${workspace}`, created);
  }
  return { local, repo, workspace };
}
