/**
 * Polling pull requests within GitHub's GraphQL points budget (5,000 points/hour per token).
 *
 * Each poll first asks a cheap change signal of every PR (3 connection requests each: 100 PRs
 * cost 3 points), then the detail only of the PRs whose signal moved, with review threads only
 * when the review side moved (`updatedAt`, thread count or decision), sized to the thread count.
 * Every query reads `rateLimit { cost remaining resetAt }`: when the rest of the budget would not
 * last until the reset at the current spend, the signal is asked less often (the last known state
 * stands meanwhile). While GitHub webhooks arrive, the signal falls back to once a minute: a
 * webhook marks its PRs to be read on the next poll, whatever the interval.
 */
import type { Clock, Logger } from '@ao/core';
import { readRemainingPages, type GraphqlRunner } from './pr-pages.js';
import {
  buildBatchQuery,
  chunkRefs,
  detailFields,
  finishPr,
  nodes,
  obj,
  prKey,
  prNodes,
  PRS_PER_QUERY,
  SIGNAL_FIELDS,
  SIGNALS_PER_QUERY,
  startPr,
  type Json,
  type PrPart,
  type PrRef,
  type PrResult,
  type PrStatusData,
} from './pull-requests.js';

/** While webhooks flow, polling is the fallback: the signal is asked at most this often. */
export const WEBHOOK_FALLBACK_MS = 60_000;
/** Webhooks count as flowing for this long after the last one. */
export const WEBHOOK_ACTIVE_MS = 10 * 60_000;
/**
 * The lifecycle's default poll interval. While the rest of the budget affords a poll this often
 * until the reset, polling is not paced; past that, the interval stretches so the budget lasts.
 */
export const BUDGET_PACE_FROM_MS = 15_000;
/** PRs remembered per client at most. */
const MAX_TRACKED = 5000;
/** Share of the budget left for everything else using the token (other tools, `gh`, ao's doctor). */
const RESERVE_SHARE = 0.1;

/** What `ao daemon status`, `ao doctor` and the dashboard show of the GraphQL budget. */
export interface GitHubBudget {
  /** GitHub's last word on the GraphQL budget (points), from `rateLimit` in every query. */
  limit?: number;
  remaining?: number;
  /** Epoch ms when `remaining` refills. */
  resetAt?: number;
  /** Points the last query cost. */
  lastCost?: number;
  /** Points and queries spent on pull requests since the process started. */
  pointsSpent: number;
  queries: number;
  /** Points one poll of every tracked PR costs lately (moving average). */
  pointsPerPoll: number;
  /** How long the change signal of a PR is trusted before it is asked again (0: every poll). */
  signalIntervalMs: number;
  /** Why polling is slower than the lifecycle's interval, if it is. */
  pacing: 'none' | 'webhooks' | 'budget';
  webhooks: { received: number; lastAt?: number; active: boolean };
  trackedPullRequests: number;
}

export interface WebhookChange {
  /** `owner/name` */
  repo: string;
  /** PR numbers the event names. */
  numbers?: readonly number[];
  /** A head sha (status, check events): the PRs at that head. */
  sha?: string;
}

export interface PrPoller {
  /** The status of every ref: PR data, `null` for a PR GitHub does not have, an Error for an unknown repository; `failures` for refs whose query failed. */
  poll(refs: readonly PrRef[]): Promise<{ results: Map<string, PrResult>; failures: Map<string, unknown> }>;
  /** A webhook said these PRs changed: they are read on the next poll, and polling slows down while webhooks flow. */
  noteWebhook(change: WebhookChange): void;
  budget(): GitHubBudget;
}

interface Entry {
  fingerprint: string;
  threadsKey: string;
  data: PrStatusData;
  signalAt: number;
}

interface Signal {
  fingerprint: string;
  threadsKey: string;
  threads: number;
}

function counts(list: unknown): string {
  return (Array.isArray(list) ? list : [])
    .map((c) => `${String(obj(c)?.state)}:${String(obj(c)?.count)}`)
    .sort()
    .join(',');
}

/** What moves when anything ao reads of the PR moves. */
export function signalOf(node: Json): Signal {
  const rollup = obj(obj(nodes(node.commits)[0]?.commit)?.statusCheckRollup);
  const contexts = obj(rollup?.contexts);
  const threads = Number(obj(node.reviewThreads)?.totalCount ?? 0);
  const review = [node.updatedAt, threads, node.reviewDecision];
  return {
    fingerprint: JSON.stringify([node.state, node.isDraft, node.headRefOid, node.mergeable, rollup?.state ?? null, contexts?.totalCount ?? 0, counts(contexts?.checkRunCountsByState), counts(contexts?.statusContextCountsByState), ...review]),
    threadsKey: JSON.stringify(review),
    threads,
  };
}

export function createPrPoller(deps: { run: GraphqlRunner; clock: Clock; logger: Logger }): PrPoller {
  const { clock, logger } = deps;
  const cache = new Map<string, Entry>();
  const dirty = new Set<string>();
  const stats = { pointsSpent: 0, queries: 0, pointsPerPoll: 0, webhooks: 0, lastWebhookAt: undefined as number | undefined };
  let rate: { limit: number; remaining: number; resetAt: number; cost: number } | undefined;
  let pacingLogged: GitHubBudget['pacing'] = 'none';

  /** Runs one query and books its cost from `rateLimit`. */
  const run: GraphqlRunner = async (query) => {
    const result = await deps.run(query);
    const limit = obj(result.data?.rateLimit);
    if (limit && typeof limit.cost === 'number' && typeof limit.remaining === 'number') {
      const resetAt = Date.parse(String(limit.resetAt));
      rate = { limit: Number(limit.limit ?? rate?.limit ?? 5000), remaining: limit.remaining, resetAt: Number.isFinite(resetAt) ? resetAt : (rate?.resetAt ?? 0), cost: limit.cost };
      stats.pointsSpent += limit.cost;
      spentThisPoll += limit.cost;
    }
    stats.queries++;
    return result;
  };
  let spentThisPoll = 0;

  const webhooksActive = (now: number): boolean => stats.lastWebhookAt !== undefined && now - stats.lastWebhookAt < WEBHOOK_ACTIVE_MS;

  /** How long a PR's signal is trusted: the lifecycle's own interval (0 here) unless webhooks or the budget say otherwise. */
  function pacing(now: number): { intervalMs: number; reason: GitHubBudget['pacing'] } {
    let intervalMs = 0;
    let reason: GitHubBudget['pacing'] = 'none';
    if (webhooksActive(now)) {
      intervalMs = WEBHOOK_FALLBACK_MS;
      reason = 'webhooks';
    }
    if (rate && stats.pointsPerPoll > 0) {
      const untilReset = rate.resetAt - now;
      const spendable = rate.remaining - Math.ceil(rate.limit * RESERVE_SHARE);
      if (untilReset > 0) {
        // Spread what is left over the time left: one poll's worth of points per interval.
        const budgetMs = spendable <= 0 ? untilReset : (untilReset * stats.pointsPerPoll) / spendable;
        if (budgetMs > BUDGET_PACE_FROM_MS && budgetMs > intervalMs) {
          intervalMs = Math.ceil(budgetMs);
          reason = 'budget';
        }
      }
    }
    return { intervalMs, reason };
  }

  async function poll(refs: readonly PrRef[]): Promise<{ results: Map<string, PrResult>; failures: Map<string, unknown> }> {
    const now = clock.now();
    spentThisPoll = 0;
    const results = new Map<string, PrResult>();
    const failures = new Map<string, unknown>();
    const { intervalMs, reason } = pacing(now);
    if (reason !== pacingLogged) {
      pacingLogged = reason;
      if (reason === 'budget') logger.warn({ intervalMs, rateLimit: rate }, 'GitHub GraphQL budget would not last until its reset: polling pull requests less often');
      else logger.info({ intervalMs, reason }, 'GitHub pull request polling pace changed');
    }
    const unique = chunkRefs(refs, Number.MAX_SAFE_INTEGER)[0] ?? [];
    const due = unique.filter((ref) => {
      const entry = cache.get(prKey(ref));
      return !entry || dirty.has(prKey(ref)) || now - entry.signalAt >= intervalMs;
    });

    // 1. The change signal of every PR that is due.
    const changed: { ref: PrRef; signal: Signal; threads: number }[] = [];
    for (const chunk of chunkRefs(due, SIGNALS_PER_QUERY)) {
      try {
        const { query, repos } = buildBatchQuery(chunk, () => SIGNAL_FIELDS, 'AoPullRequestSignals');
        const { data, errors } = await run(query);
        for (const [key, node] of prNodes(chunk, repos, data, errors)) {
          const ref = chunk.find((r) => prKey(r) === key)!;
          if (node === null || node instanceof Error) {
            results.set(key, node);
            cache.delete(key);
            continue;
          }
          const signal = signalOf(node);
          const entry = cache.get(key);
          const forced = dirty.has(key) || !entry;
          if (!forced && entry.fingerprint === signal.fingerprint) {
            entry.signalAt = now;
            continue;
          }
          // Threads (the costly part) only when the review side moved.
          const threads = forced || entry.threadsKey !== signal.threadsKey ? signal.threads : -1;
          changed.push({ ref, signal, threads });
        }
      } catch (error) {
        for (const ref of chunk) failures.set(prKey(ref), error);
      }
    }

    // 2. The detail of what changed, then every further page.
    for (const chunk of chunkRefs(
      changed.map((c) => c.ref),
      PRS_PER_QUERY,
    )) {
      const info = new Map(changed.map((c) => [prKey(c.ref), c]));
      try {
        const { query, repos } = buildBatchQuery(chunk, (ref) => detailFields(Math.max(0, info.get(prKey(ref))!.threads)));
        const { data, errors } = await run(query);
        const parts: { key: string; part: PrPart }[] = [];
        for (const [key, node] of prNodes(chunk, repos, data, errors)) {
          if (node === null || node instanceof Error) {
            results.set(key, node);
            cache.delete(key);
            continue;
          }
          const part = startPr(chunk.find((r) => prKey(r) === key)!.repo, node);
          // Asked for threads and there are none: the PR has no threads (not "unknown").
          if (info.get(key)!.threads === 0) part.threads = [];
          parts.push({ key, part });
        }
        await readRemainingPages(
          parts.map((p) => p.part),
          run,
        );
        for (const { key, part } of parts) {
          const c = info.get(key)!;
          const data = finishPr(part, cache.get(key)?.data.unresolvedComments);
          cache.set(key, { fingerprint: c.signal.fingerprint, threadsKey: c.signal.threadsKey, data, signalAt: now });
          dirty.delete(key);
        }
      } catch (error) {
        for (const ref of chunk) failures.set(prKey(ref), error);
      }
    }

    for (const ref of unique) {
      const key = prKey(ref);
      if (results.has(key) || failures.has(key)) continue;
      const entry = cache.get(key);
      if (entry) results.set(key, entry.data);
    }
    // PRs no longer polled (merged, their session gone) are forgotten, oldest first.
    if (cache.size > MAX_TRACKED) {
      const oldest = [...cache].sort((a, b) => a[1].signalAt - b[1].signalAt).slice(0, cache.size - MAX_TRACKED);
      for (const [key] of oldest) {
        cache.delete(key);
        dirty.delete(key);
      }
    }
    if (spentThisPoll > 0) stats.pointsPerPoll = stats.pointsPerPoll === 0 ? spentThisPoll : 0.7 * stats.pointsPerPoll + 0.3 * spentThisPoll;
    return { results, failures };
  }

  return {
    poll,
    noteWebhook(change) {
      const now = clock.now();
      stats.webhooks++;
      stats.lastWebhookAt = now;
      const repo = change.repo.toLowerCase();
      let marked = 0;
      for (const [key, entry] of cache) {
        if (entry.data.repo.toLowerCase() !== repo) continue;
        const named = change.numbers?.includes(entry.data.number) ?? false;
        const atSha = change.sha !== undefined && entry.data.headSha === change.sha;
        if (named || atSha) {
          dirty.add(key);
          marked++;
        }
      }
      // An event we cannot pin to a PR we know: ask every PR of the repository its signal now.
      // (A PR not polled yet is read in full on its first poll anyway: nothing to remember for it,
      // so events about the repository's other PRs cost no memory.)
      if (marked === 0 && !change.numbers?.length) for (const entry of cache.values()) if (entry.data.repo.toLowerCase() === repo) entry.signalAt = 0;
    },
    budget() {
      const now = clock.now();
      const { intervalMs, reason } = pacing(now);
      return {
        ...(rate ? { limit: rate.limit, remaining: rate.remaining, resetAt: rate.resetAt, lastCost: rate.cost } : {}),
        pointsSpent: stats.pointsSpent,
        queries: stats.queries,
        pointsPerPoll: Math.round(stats.pointsPerPoll * 10) / 10,
        signalIntervalMs: intervalMs,
        pacing: reason,
        webhooks: { received: stats.webhooks, ...(stats.lastWebhookAt !== undefined ? { lastAt: stats.lastWebhookAt } : {}), active: webhooksActive(now) },
        trackedPullRequests: cache.size,
      };
    },
  };
}
