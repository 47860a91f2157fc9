/**
 * The GitHub part of the daemon's `GET /api/status`, and what a reader of it is told about each
 * GraphQL budget. No runtime imports: `ao daemon status` stays light and the dashboard's browser
 * bundle imports it (`@ao/github/budget`).
 */
import type { GitHubBudget } from './pr-poller.js';

/** `github` in `GET /api/status`: each client's GraphQL budget, and the webhook receiver. */
export interface GitHubStatus {
  budgets: { baseUrl: string; budget: GitHubBudget }[];
  webhooks: { enabled: boolean; accepted: number; refused: number; lastEvent?: string; lastAt?: string };
}

/** One budget, read for a person: the same facts whether the CLI or the dashboard words them. */
export interface BudgetFacts {
  /** The API host for GitHub Enterprise; `undefined` for github.com. */
  host?: string;
  /** GraphQL points left of the limit; `undefined` until GitHub's first answer. */
  points?: { remaining: number; limit: number };
  /** When the points refill. */
  resetAt?: Date;
  /** Seconds a PR's change signal is trusted before it is asked again; `undefined`: every poll. */
  everySeconds?: number;
  /** Why polling is slower than the lifecycle's interval: webhooks flow, or the budget is low. */
  slowedBy?: 'webhooks' | 'budget';
  pointsPerPoll: number;
  trackedPullRequests: number;
}

export const PUBLIC_GITHUB_API = 'https://api.github.com';

/** Nothing to say about GitHub for a daemon that neither polls it nor takes its webhooks. */
export function githubStatusShown(github: GitHubStatus | undefined): github is GitHubStatus {
  return !!github && (github.budgets.length > 0 || github.webhooks.enabled);
}

export function budgetFacts(baseUrl: string, b: GitHubBudget): BudgetFacts {
  return {
    ...(baseUrl === PUBLIC_GITHUB_API ? {} : { host: new URL(baseUrl).host }),
    ...(b.remaining !== undefined && b.limit !== undefined ? { points: { remaining: b.remaining, limit: b.limit } } : {}),
    ...(b.resetAt ? { resetAt: new Date(b.resetAt) } : {}),
    ...(b.pacing === 'none' ? {} : { everySeconds: Math.round(b.signalIntervalMs / 1000), slowedBy: b.pacing }),
    pointsPerPoll: b.pointsPerPoll,
    trackedPullRequests: b.trackedPullRequests,
  };
}
