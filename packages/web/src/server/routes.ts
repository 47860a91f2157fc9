import {
  AoError,
  createPlanStore,
  readSessionTrace,
  type Agent,
  type LogCursor,
  type TraceEntry,
  describeError,
  exec,
  gitTry,
  SESSION_STATUSES,
  type AoPaths,
  type PluginHost,
  type PullRequest,
  type ResolvedConfig,
  type Session,
  type SessionManager,
  sessionPullRequest,
  createRouter,
  route,
  z,
  type Logger,
  type Router,
} from '@ao/core';
import { createMetrics, prometheusText } from './metrics.js';
import type { SessionStore } from '@ao/core';

/** `GET /api/sessions/:id/diffstat`: what the session changed against the merge base of its base branch. */
export interface DiffStat {
  base: string;
  files: { path: string; added: number | null; removed: number | null }[];
  added: number;
  removed: number;
  /** Uncommitted changes are included; this says whether there are any. */
  dirty: boolean;
  error?: string;
}

/** `GET /api/sessions/:id/pr`: the SCM's live view of the PR, with the failing CI log tail. */
export interface PrDetail {
  pr: Session['pr'];
  ci?: { state: string; failing: string[]; logTail?: string };
  review?: { decision: string; comments: { author: string; body: string; path?: string; line?: number }[] };
  mergeability?: { mergeable: boolean | 'unknown'; conflicts: boolean };
  error?: string;
}

export async function diffStat(session: Session): Promise<DiffStat> {
  const dir = session.workspacePath;
  const empty: DiffStat = { base: session.baseBranch, files: [], added: 0, removed: 0, dirty: false };
  const mergeBase = await gitTry(exec, dir, ['merge-base', session.baseBranch, 'HEAD']);
  if (mergeBase.exitCode !== 0) return { ...empty, error: `no merge base with ${session.baseBranch}: ${mergeBase.stderr.trim() || 'workspace missing?'}` };
  // Against the working tree: committed and uncommitted work together, as the reviewer will see it.
  const numstat = await gitTry(exec, dir, ['diff', '--numstat', mergeBase.stdout.trim()]);
  const status = await gitTry(exec, dir, ['status', '--porcelain']);
  const files = numstat.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [a, r, ...path] = line.split('\t');
      return { path: path.join('\t'), added: a === '-' ? null : Number(a), removed: r === '-' ? null : Number(r) };
    });
  return {
    ...empty,
    files,
    added: files.reduce((n, f) => n + (f.added ?? 0), 0),
    removed: files.reduce((n, f) => n + (f.removed ?? 0), 0),
    dirty: status.stdout.trim() !== '',
  };
}

/** `GET /api/sessions/:id/diff`: the pull request's changes as a unified diff, for review. */
export interface FullDiff {
  base: string;
  /** `git diff` of the commits on the branch since it left `base` (what merging brings). */
  diff: string;
  /** True when the diff was longer than the limit and cut at a file boundary. */
  truncated: boolean;
  error?: string;
}

const DIFF_LIMIT = 2_000_000;

export async function fullDiff(session: Session): Promise<FullDiff> {
  const dir = session.workspacePath;
  const mergeBase = await gitTry(exec, dir, ['merge-base', session.baseBranch, 'HEAD']);
  if (mergeBase.exitCode !== 0) {
    return { base: session.baseBranch, diff: '', truncated: false, error: `no merge base with ${session.baseBranch}: ${mergeBase.stderr.trim() || 'workspace missing?'}` };
  }
  const r = await gitTry(exec, dir, ['diff', '--no-color', '--no-ext-diff', '--find-renames', mergeBase.stdout.trim(), 'HEAD']);
  if (r.exitCode !== 0) return { base: session.baseBranch, diff: '', truncated: false, error: r.stderr.trim() };
  if (r.stdout.length <= DIFF_LIMIT) return { base: session.baseBranch, diff: r.stdout, truncated: false };
  const cut = r.stdout.lastIndexOf('\ndiff --git ', DIFF_LIMIT);
  return { base: session.baseBranch, diff: r.stdout.slice(0, cut > 0 ? cut + 1 : DIFF_LIMIT), truncated: true };
}

/** `GET /api/sessions/:id/trace[?after=<cursor JSON>]`: the conversation from the agent's own log (`ao session trace --json`). */
async function sessionTrace(plugins: PluginHost, config: ResolvedConfig, session: Session, after: string | null): Promise<{ entries: TraceEntry[]; cursor: LogCursor | null }> {
  const project = config.projects[session.project];
  const sel = config.agents[session.agent];
  if (!project || !sel) return { entries: [], cursor: null };
  let cursor: LogCursor | undefined;
  try {
    const parsed: unknown = after ? JSON.parse(after) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) cursor = parsed as LogCursor;
  } catch {
    throw new AoError('USAGE', 'after: expected the cursor of an earlier trace read (JSON)', { exitCode: 2 });
  }
  const agent: Agent = await plugins.plugin(project, 'agent', sel);
  const reading = await readSessionTrace(agent, session, Date.now(), cursor);
  return reading ? { entries: reading.entries, cursor: reading.cursor } : { entries: [], cursor: cursor ?? null };
}

async function prDetail(plugins: PluginHost, config: ResolvedConfig, session: Session): Promise<PrDetail> {
  if (!session.pr) return { pr: null };
  const project = config.projects[session.project];
  if (!project) return { pr: session.pr, error: `project ${session.project} is not in the config` };
  try {
    const scm = await plugins.plugin(project, 'scm');
    const pr = sessionPullRequest(session) as PullRequest;
    const status = (await scm.pollPullRequests([pr])).get(pr.id);
    if (!status) return { pr: session.pr, error: 'the SCM no longer knows this PR' };
    return { pr: session.pr, ci: status.ci, review: status.review, mergeability: status.mergeability };
  } catch (error) {
    return { pr: session.pr, error: describeError(error) };
  }
}

/**
 * Read-only routes the dashboard needs beyond the daemon API: diff stats, live PR detail, the
 * config's projects and agents (for the spawn form), metrics (JSON, and Prometheus at /metrics),
 * and plans (`/api/plans`, `/api/plans/:id`: the plan store's records as `ao plan show --json`).
 * On core's router: errors are `{ error: { code, message } }` with the code's status, as the daemon's.
 */
export function createDashboardRoutes(deps: { manager: SessionManager; store: SessionStore; config: ResolvedConfig; paths: AoPaths; logger?: Logger }): Router {
  const { manager, config } = deps;
  const plugins = manager.plugins;
  const metrics = createMetrics(deps.store, { pricing: config.parsed.pricing });
  const plans = createPlanStore(deps.paths);
  return createRouter([
    route({
      method: 'GET',
      path: '/metrics',
      handler: async ({ res }) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
        res.end(prometheusText(await metrics.compute(), SESSION_STATUSES));
      },
    }),
    route({ method: 'GET', path: '/api/metrics', handler: () => metrics.compute() }),
    route({
      method: 'GET',
      path: '/api/dashboard',
      handler: () => ({
        projects: Object.keys(config.projects),
        agents: Object.keys(config.agents),
        defaultAgent: Object.values(config.projects)[0]?.agentName ?? null,
      }),
    }),
    route({
      method: 'GET',
      path: '/api/plans',
      handler: async () => {
        const { plans: all, problems } = await plans.list();
        return { plans: all.reverse(), problems };
      },
    }),
    route({ method: 'GET', path: '/api/plans/:id', handler: ({ params }) => plans.get(params.id as string) }),
    route({ method: 'GET', path: '/api/sessions/:id/diffstat', handler: async ({ params }) => diffStat(await manager.get(params.id as string)) }),
    route({ method: 'GET', path: '/api/sessions/:id/diff', handler: async ({ params }) => fullDiff(await manager.get(params.id as string)) }),
    route({ method: 'GET', path: '/api/sessions/:id/pr', handler: async ({ params }) => prDetail(plugins, config, await manager.get(params.id as string)) }),
    route({
      method: 'GET',
      path: '/api/sessions/:id/trace',
      query: z.object({ after: z.string().optional() }),
      handler: async ({ params, query }) => sessionTrace(plugins, config, await manager.get(params.id as string), query.after ?? null),
    }),
  ], { onError: (error, req, url) => deps.logger?.warn({ method: req.method, path: url.pathname, err: describeError(error) }, 'request failed') });
}
