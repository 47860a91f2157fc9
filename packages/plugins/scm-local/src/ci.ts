/**
 * Local CI: the project's test command, run once per PR head sha in a throw-away detached worktree
 * of that sha (`git worktree add --detach <tmp> <sha>`), never in the user's working tree or the
 * agent's workspace, so neither can change what is tested nor be changed by the test. Before the
 * command, the checkout gets the project's dependencies (`deps.ts`) and runs the optional setup.
 *
 * A run lives in the process that started it. Its pending record carries that process's pid: a
 * pending run whose process is gone (a CLI invocation that exited, a daemon that crashed) is
 * restarted by the next caller instead of staying pending forever.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ciFailureReport, describeError, git, gitTry, gitWorktreeList, type CiStatus, type PluginContext, pidAlive } from '@ao/core/plugin';
import { prepareDependencies, type DependencyMode } from './deps.js';
import type { LocalCiRun, LocalPullRequest, PrStore } from './records.js';

/**
 * The `ci` config as argv. The string form is split on whitespace and run WITHOUT a shell:
 * quotes, `$VARS`, pipes and `&&` are not interpreted — use the array form for any argument that
 * contains a space, or point `ci` at a script.
 */
export function ciArgv(ci: readonly string[] | string | undefined): string[] | undefined {
  const argv = typeof ci === 'string' ? ci.trim().split(/\s+/) : ci ? [...ci] : [];
  return argv.length > 0 && argv[0] !== '' ? argv : undefined;
}

/** What a CI run does, from the `ci` config. */
export interface CiPlan {
  command: string[];
  setup?: string[];
  dependencies: DependencyMode;
}

type CiConfig = readonly string[] | string | { command: readonly string[] | string; setup?: readonly string[] | string | undefined; dependencies?: DependencyMode };

/** The `ci` config (a command, or `{ command, setup, dependencies }`) as a plan; undefined without a command. */
export function ciPlan(ci: CiConfig | undefined): CiPlan | undefined {
  const object = typeof ci === 'object' && !Array.isArray(ci) ? (ci as Exclude<CiConfig, string | readonly string[]>) : undefined;
  const command = ciArgv(object ? object.command : (ci as string | readonly string[] | undefined));
  if (!command) return undefined;
  const setup = ciArgv(object?.setup);
  return { command, ...(setup ? { setup } : {}), dependencies: object?.dependencies ?? 'auto' };
}

export interface CiRunnerOptions {
  ctx: PluginContext;
  store: PrStore;
  repoPath: string;
  plan: CiPlan;
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
  const { ctx, store, repoPath, plan, timeoutMs, logTailLines, logMaxChars } = options;
  const argv = plan.command;
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
      const record = await store.require(id);
      const existing = record.ci[sha];
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
      const outcome = await execute(sha, record);
      const { removeCheckout } = outcome;
      const finished: LocalCiRun = {
        state: outcome.exitCode === 0 ? 'passing' : 'failing',
        startedAt,
        finishedAt: iso(),
        exitCode: outcome.exitCode,
        logTail: outcome.logTail,
        ...(outcome.dependencies ? { dependencies: outcome.dependencies } : {}),
        ...(outcome.timings ? { timings: outcome.timings } : {}),
      };
      try {
        await store.update(id, (record) => {
          record.ci[sha] = finished;
          record.updatedAt = finished.finishedAt ?? record.updatedAt;
        });
      } finally {
        await removeCheckout();
      }
      ctx.logger.info({ pr: id, sha, state: finished.state, exitCode: finished.exitCode }, 'local CI finished');
      return statusOf(id, finished, sha)!;
    }
  }

  /**
   * Checks `sha` out into a temp dir, gives it the project's dependencies, runs the setup and the
   * command there. Each phase's duration goes into the record. The caller records the outcome,
   * then calls `removeCheckout` (also when this throws): the result is known before the checkout's
   * thousands of files are deleted.
   */
  async function execute(sha: string, record: LocalPullRequest): Promise<CiOutcome & { removeCheckout: () => Promise<void> }> {
    const timings: CiTimings = {};
    let mark = ctx.clock.now();
    const lap = (phase: keyof CiTimings) => {
      const now = ctx.clock.now();
      timings[phase] = now - mark;
      mark = now;
    };
    await sweepAbandonedCheckouts();
    // The pid in the name tells a later run whether the checkout's owner is still alive.
    const dir = await mkdtemp(join(tmpdir(), `${CHECKOUT_PREFIX}${process.pid}-`));
    const removeCheckout = async () => {
      const started = ctx.clock.now();
      await gitTry(ctx.exec, repoPath, ['worktree', 'remove', '--force', '--force', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await gitTry(ctx.exec, repoPath, ['worktree', 'prune']).catch(() => undefined);
      ctx.logger.info({ pr: record.id, sha, ms: ctx.clock.now() - started }, 'local CI checkout removed');
    };
    try {
      await git(ctx.exec, repoPath, ['worktree', 'add', '--detach', '--quiet', dir, sha]);
    } catch (error) {
      return { exitCode: null, logTail: `ao could not check out ${sha} for CI: ${describeError(error)}`, removeCheckout };
    }
    lap('checkoutMs');
    try {
      return { ...(await runInCheckout(dir, record, lap)), timings, removeCheckout };
    } catch (error) {
      await removeCheckout();
      throw error;
    }
  }

  async function runInCheckout(dir: string, record: LocalPullRequest, lap: (phase: keyof CiTimings) => void): Promise<CiOutcome> {
    const deadline = ctx.clock.now() + timeoutMs;
    const remaining = () => Math.max(1, deadline - ctx.clock.now());
    // CI=true: test runners then run once instead of entering watch mode.
    const env = { CI: 'true' };
    const root = await realpath(dir);
    const report = (output: string) => ciFailureReport(output, { tailLines: logTailLines, maxChars: logMaxChars, root });

    const deps = await prepareDependencies({
      exec: ctx.exec,
      checkout: dir,
      candidates: await dependencySources(record),
      mode: plan.dependencies,
      timeoutMs: remaining(),
      env,
      now: () => ctx.clock.now(),
    });
    lap('dependenciesMs');
    const dependencies = { how: deps.how, summary: deps.summary };
    ctx.logger.info({ pr: record.id, ...dependencies, ms: deps.ms }, 'local CI dependencies');
    const preamble = `ao: ${deps.summary} (${deps.ms} ms)\n`;
    if (!deps.ok) {
      const advice = 'ao: set ci.dependencies (reuse | none) or ci.setup in the scm config to change how CI gets them.\n';
      return { exitCode: null, logTail: report(`${preamble}${advice}${deps.output ?? ''}`), dependencies };
    }

    let output = preamble;
    for (const step of [...(plan.setup ? [{ what: 'setup' as const, argv: plan.setup }] : []), { what: 'command' as const, argv }]) {
      const [file, ...args] = step.argv as [string, ...string[]];
      let result;
      try {
        result = await ctx.exec(file, args, { cwd: dir, timeoutMs: remaining(), reject: false, env });
      } catch (error) {
        // Timed out (the command was killed) or could not start (not on PATH).
        return { exitCode: null, logTail: `CI ${step.what} \`${step.argv.join(' ')}\` did not complete: ${describeError(error)}`, dependencies };
      } finally {
        lap(step.what === 'setup' ? 'setupMs' : 'commandMs');
      }
      output += `${result.stdout}${ensureNewline(result.stdout)}${result.stderr}`;
      if (result.exitCode === 0 && step.what === 'setup') continue;
      if (result.exitCode !== 0 && step.what === 'setup') output += `${ensureNewline(output)}ao: ci.setup \`${step.argv.join(' ')}\` failed (exit ${result.exitCode}); the command did not run.\n`;
      // A failure is reported by its failing tests (paths relative to the checkout); a pass by its end.
      return { exitCode: result.exitCode, logTail: result.exitCode === 0 ? tail(output, logTailLines) : report(output), dependencies };
    }
    return { exitCode: null, logTail: tail(output, logTailLines), dependencies };
  }

  /**
   * Checkouts whose installed dependencies the run may reuse, best first: the session's workspace
   * (the worktree on the PR's branch, or the path the PR was opened from), the user's checkout,
   * then the other worktrees of the repository. Each is used only if its lockfile is identical.
   */
  async function dependencySources(record: LocalPullRequest): Promise<string[]> {
    const worktrees = await gitWorktreeList(ctx.exec, repoPath).catch(() => []);
    const others = worktrees.filter((w) => !w.bare && !basename(w.path).startsWith(CHECKOUT_PREFIX));
    const ordered = [
      ...others.filter((w) => w.branch === record.branch).map((w) => w.path),
      ...(record.workspacePath ? [record.workspacePath] : []),
      repoPath,
      ...others.map((w) => w.path),
    ];
    return [...new Set(ordered)];
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

type CiTimings = NonNullable<LocalCiRun['timings']>;

interface CiOutcome {
  exitCode: number | null;
  logTail: string;
  dependencies?: NonNullable<LocalCiRun['dependencies']>;
  timings?: CiTimings;
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

