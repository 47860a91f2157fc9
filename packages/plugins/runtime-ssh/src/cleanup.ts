/**
 * `ao session cleanup` on a host (`workspace: sync`): the session's worktree there is removed with
 * its local workspace, under the same rules — never when it holds uncommitted files, commits this
 * machine does not have, or (without `--force-ignored`) new gitignored files. One call checks and
 * removes; a host that does not answer is left as it is, and the user is told how to remove it.
 */
import { describeError, shQuote, type Exec, type Logger, type RuntimeCleanupResult } from '@ao/core/plugin';
import type { SshHostConfig } from './config.js';
import { scriptError } from './host-calls.js';
import { cleanupScript } from './remote.js';
import type { SshConnection } from './ssh.js';
import { fetchBranch, localHead } from './sync.js';

export interface RemoteWorkspace {
  host: SshHostConfig;
  /** The host's clone, the worktree, and the session's branch. */
  repo: string;
  workspace: string;
  branch: string;
  /** The local workspace and the common git dir of its repository (null when unknown). */
  local: string | null;
  localRepo: string | null;
}

interface Answer {
  result: 'gone' | 'kept' | 'would-remove' | 'removed' | undefined;
  unfetched: string[];
  changed: string[];
  untracked: string[];
  ignored: string[];
}

function parse(stdout: string): Answer {
  const answer: Answer = { result: undefined, unfetched: [], changed: [], untracked: [], ignored: [] };
  for (const line of stdout.split('\n')) {
    const space = line.indexOf(' ');
    const [tag, value] = [line.slice(0, space), line.slice(space + 1)];
    if (tag === '@result') answer.result = value.trim() as Answer['result'];
    else if (tag === '@unfetched' && !answer.unfetched.includes(value)) answer.unfetched.push(value);
    else if (tag === '@changed') answer.changed.push(value.slice(3));
    else if (tag === '@untracked') answer.untracked.push(value);
    else if (tag === '@ignored') answer.ignored.push(value);
  }
  return answer;
}

const sample = (items: readonly string[]): string => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ', …' : ''}`;

/** Whether this machine's repository has `sha` on one of its refs (fetched back, then maybe built on here). */
async function reachableHere(exec: Exec, localRepo: string, sha: string): Promise<boolean> {
  const result = await exec('git', ['--git-dir', localRepo, 'for-each-ref', '--count=1', '--contains', sha, '--format=%(refname)'], { reject: false });
  return result.exitCode === 0 && result.stdout.trim() !== '';
}

/** The command a human runs to remove the worktree (git refuses a dirty one without --force). */
function byHand(w: RemoteWorkspace): string {
  const destination = `${w.host.user ? `${w.host.user}@` : ''}${w.host.host}`;
  const repo = shQuote(w.repo);
  return `ssh -p ${w.host.port} ${destination} "git -C ${repo} worktree remove ${shQuote(w.workspace)} && git -C ${repo} worktree prune"`;
}

export async function cleanupRemoteWorkspace(
  exec: Exec,
  connect: () => Promise<SshConnection>,
  w: RemoteWorkspace,
  options: { dryRun: boolean; forceIgnored: boolean },
  log: Logger,
): Promise<RuntimeCleanupResult> {
  const where = `its worktree on ssh host ${w.host.name} (${w.workspace})`;
  try {
    const conn = await connect();
    const head = w.localRepo ? await localHead(exec, w.localRepo, w.branch) : undefined;
    const ask = async (known: readonly string[]): Promise<Answer> => {
      const result = await conn.run(cleanupScript(w.host.root, { repo: w.repo, workspace: w.workspace, branch: w.branch, known, ...options }));
      if (result.exitCode !== 0) throw scriptError(conn, `remove the workspace ${w.workspace}`, result);
      return parse(result.stdout);
    };
    const known = head ? [head] : [];
    let answer = await ask(known);
    const onlyCommits = answer.result === 'kept' && answer.changed.length + answer.untracked.length === 0 && (options.forceIgnored || answer.ignored.length === 0);
    if (onlyCommits && w.localRepo) {
      // The host cannot see commits made here after the last fetch: when this repository has all of
      // the host's, ask once more naming them (a second call only in this case).
      const localRepo = w.localRepo;
      const here = await Promise.all(answer.unfetched.map((sha) => reachableHere(exec, localRepo, sha)));
      if (here.every(Boolean)) answer = await ask([...known, ...answer.unfetched]);
    }
    if (answer.result === 'removed') return { note: `${where} removed too` };
    if (answer.result === 'would-remove') return { note: `${where} too` };
    if (answer.result === 'gone') return {};
    if (answer.result !== 'kept') throw new Error(`unexpected answer from the host: ${answer.result ?? 'none'}`);
    const lost: string[] = [];
    if (answer.unfetched.length > 0) {
      // Bring them here, where the SCM, merge and cleanup's own checks see them.
      const fetched = w.local ? await fetchBranch(exec, conn, w.local, w.branch, w.repo, log) : false;
      lost.push(
        `commits on branch ${w.branch} that are not here (${answer.unfetched.map((c) => c.slice(0, 7)).join(', ')})` +
          (fetched ? `: fetched them into ${w.local}; merge them` : `: \`ao session restore\` fetches them back; merge them`),
      );
    }
    const uncommitted = [...answer.changed, ...answer.untracked];
    if (uncommitted.length > 0) lost.push(`${uncommitted.length} uncommitted file${uncommitted.length === 1 ? '' : 's'} (${sample(uncommitted)}): commit them there (\`ao session restore\` and ask the agent) or discard them`);
    if (answer.ignored.length > 0 && !options.forceIgnored) lost.push(`gitignored files that would be deleted with it (${sample(answer.ignored)}): move what you need, or \`ao session cleanup --force-ignored\``);
    return { keep: `${where} holds work that removing it would lose: ${lost.join('; ')}; then run cleanup again` };
  } catch (error) {
    const why = describeError(error).split('\n')[0];
    log.warn({ host: w.host.name, workspace: w.workspace, err: describeError(error) }, 'remote workspace left on the ssh host');
    return { note: `${where} was left: ${why}. Once the host answers, remove it with: ${byHand(w)}` };
  }
}
