/**
 * Local CI: the project's test command, run once per PR head sha in a throw-away detached worktree
 * of that sha (`git worktree add --detach <tmp> <sha>`), never in the user's working tree or the
 * agent's workspace, so neither can change what is tested nor be changed by the test.
 *
 * A run lives in the process that started it. Its pending record carries that process's pid: a
 * pending run whose process is gone (a CLI invocation that exited, a daemon that crashed) is
 * restarted by the next caller instead of staying pending forever.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ciFailureReport, describeError, git, gitTry, gitWorktreeList, type CiStatus, type PluginContext, pidAlive } from '@ao/core';
import type { LocalCiRun, PrStore } from './records.js';

/**
 * The `ci` config as argv. The string form is split on whitespace and run WITHOUT a shell:
 * quotes, `$VARS`, pipes and `&&` are not interpreted — use the array form for any argument that
 * contains a space, or point `ci` at a script.
 */
export function ciArgv(ci: readonly string[] | string | undefined): string[] | undefined {
  const argv = typeof ci === 'string' ? ci.trim().split(/\s+/) : ci ? [...ci] : [];
  return argv.length > 0 && argv[0] !== '' ? argv : undefined;
}

export interface CiRunnerOptions {
  ctx: PluginContext;
  store: PrStore;
  repoPath: string;
  argv: readonly string[];
  timeoutMs: number;
  logTailLines: number;
  /** Upper bound on the failure report kept for the agent, in characters. */
  logMaxChars: number;
}

export interface CiRunner {
  /** Resolves with CI for `sha` of PR `id`: the stored result, the live run's, or a new run's. */
  run(id: string, sha: string): Promise<CiStatus>;
  /** The status for a stored run without starting anything; `undefined` when it never ran. */
  statusOf(id: string, run: LocalCiRun | undefined, sha: string): CiStatus | undefined;
}

/** Temp checkouts are `<tmpdir>/ao-ci-<pid>-XXXXXX`. */
const CHECKOUT_PREFIX = 'ao-ci-';

/** Runs in progress in this process, shared by every plugin instance (one run per PR and sha). */
const liveRuns = new Map<string, Promise<CiStatus>>();

/** Slack on top of the CI timeout before a pending run of a live pid counts as abandoned (pid reuse). */
const STALE_GRACE_MS = 60_000;
/** How often to look at the record while another process runs the same CI. */
const OTHER_PROCESS_POLL_MS = 500;

export function createCiRunner(options: CiRunnerOptions): CiRunner {
  const { ctx, store, repoPath, argv, timeoutMs, logTailLines, logMaxChars } = options;
  const iso = () => new Date(ctx.clock.now()).toISOString();

  /** True while a pending run is being executed by another, living process. */
  function runsElsewhere(run: LocalCiRun): boolean {
    if (run.state !== 'pending' || run.pid === undefined || run.pid === process.pid) return false;
    if (ctx.clock.now() - Date.parse(run.startedAt) > timeoutMs + STALE_GRACE_MS) return false;
    return pidAlive(run.pid);
  }

  function statusOf(id: string, run: LocalCiRun | undefined, sha: string): CiStatus | undefined {
    if (!run) return undefined;
    if (run.state === 'pending') {
      // A pending record nobody is running is reported as not started, so the caller starts it.
      const live = liveRuns.has(keyOf(store.dir, id, sha)) || runsElsewhere(run);
      return live ? { state: 'pending', sha, failing: [] } : undefined;
    }
    if (run.state === 'passing') return { state: 'passing', sha, failing: [], ...(run.logTail ? { logTail: run.logTail } : {}) };
    return { state: 'failing', sha, failing: ['ci'], logTail: run.logTail ?? '' };
  }

  async function runOnce(id: string, sha: string): Promise<CiStatus> {
    for (;;) {
      const existing = (await store.require(id)).ci[sha];
      if (existing && existing.state !== 'pending') return statusOf(id, existing, sha)!;
      if (existing && runsElsewhere(existing)) {
        await ctx.clock.sleep(OTHER_PROCESS_POLL_MS);
        continue;
      }
      const startedAt = iso();
      let claimed = false;
      await store.update(id, (record) => {
        const current = record.ci[sha];
        if (current && (current.state !== 'pending' || runsElsewhere(current))) return;
        record.ci[sha] = { state: 'pending', startedAt, pid: process.pid };
        record.updatedAt = startedAt;
        claimed = true;
      });
      if (!claimed) continue;
      ctx.logger.info({ pr: id, sha, argv }, 'local CI started');
      const outcome = await execute(sha);
      const finished: LocalCiRun = {
        state: outcome.exitCode === 0 ? 'passing' : 'failing',
        startedAt,
        finishedAt: iso(),
        exitCode: outcome.exitCode,
        logTail: outcome.logTail,
      };
      await store.update(id, (record) => {
        record.ci[sha] = finished;
        record.updatedAt = finished.finishedAt ?? record.updatedAt;
      });
      ctx.logger.info({ pr: id, sha, state: finished.state, exitCode: finished.exitCode }, 'local CI finished');
      return statusOf(id, finished, sha)!;
    }
  }

  /** Checks `sha` out into a temp dir, runs the command there, and always removes the checkout. */
  async function execute(sha: string): Promise<{ exitCode: number | null; logTail: string }> {
    await sweepAbandonedCheckouts();
    // The pid in the name tells a later run whether the checkout's owner is still alive.
    const dir = await mkdtemp(join(tmpdir(), `${CHECKOUT_PREFIX}${process.pid}-`));
    try {
      try {
        await git(ctx.exec, repoPath, ['worktree', 'add', '--detach', '--quiet', dir, sha]);
      } catch (error) {
        return { exitCode: null, logTail: `ao could not check out ${sha} for CI: ${describeError(error)}` };
      }
      const [file, ...args] = argv as [string, ...string[]];
      try {
        // CI=true: test runners then run once instead of entering watch mode.
        const result = await ctx.exec(file, args, { cwd: dir, timeoutMs, reject: false, env: { CI: 'true' } });
        const output = `${result.stdout}${ensureNewline(result.stdout)}${result.stderr}`;
        // A failure is reported by its failing tests (paths relative to the checkout); a pass by its end.
        const logTail =
          result.exitCode === 0 ? tail(output, logTailLines) : ciFailureReport(output, { tailLines: logTailLines, maxChars: logMaxChars, root: await realpath(dir) });
        return { exitCode: result.exitCode, logTail };
      } catch (error) {
        // Timed out (the command was killed) or could not start (not on PATH).
        return { exitCode: null, logTail: `CI command \`${argv.join(' ')}\` did not complete: ${describeError(error)}` };
      }
    } finally {
      await gitTry(ctx.exec, repoPath, ['worktree', 'remove', '--force', '--force', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await gitTry(ctx.exec, repoPath, ['worktree', 'prune']).catch(() => undefined);
    }
  }

  /**
   * Removes CI checkouts of this repo left behind by ao processes that died mid-run (a CLI
   * invocation that exited while its background run was going), so they don't pile up in tmp.
   */
  async function sweepAbandonedCheckouts(): Promise<void> {
    let worktrees;
    try {
      worktrees = await gitWorktreeList(ctx.exec, repoPath);
    } catch {
      return;
    }
    const tmpRoots = new Set([tmpdir(), await realpath(tmpdir()).catch(() => tmpdir())]);
    for (const { path } of worktrees) {
      const owner = new RegExp(`^${CHECKOUT_PREFIX}(\\d+)-`).exec(basename(path))?.[1];
      if (owner === undefined || !tmpRoots.has(dirname(path)) || pidAlive(Number(owner))) continue;
      ctx.logger.info({ path }, 'removing CI checkout of an ao process that is gone');
      await gitTry(ctx.exec, repoPath, ['worktree', 'remove', '--force', '--force', path]).catch(() => undefined);
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  return {
    statusOf,
    run(id, sha) {
      // Registered synchronously so concurrent callers in this process share one run.
      const key = keyOf(store.dir, id, sha);
      const live = liveRuns.get(key);
      if (live) return live;
      const promise = runOnce(id, sha).finally(() => liveRuns.delete(key));
      liveRuns.set(key, promise);
      return promise;
    },
  };
}

function keyOf(dir: string, id: string, sha: string): string {
  return `${dir}\0${id}\0${sha}`;
}

/** The last `lines` lines of `text`, without trailing blank lines. */
export function tail(text: string, lines: number): string {
  const all = text.replace(/\s+$/, '').split(/\r?\n/);
  return all.slice(-lines).join('\n');
}

function ensureNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? '' : '\n';
}

