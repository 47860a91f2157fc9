import { get } from './api.js';
import { debounce, setAttr, setText } from './dom.js';
import type { Live } from './live.js';
import { time } from './format.js';

/** `GitHubBudget` of @ao/github as `GET /api/status` carries it (not imported: the page stays light). */
export interface GitHubBudgetBody {
  limit?: number;
  remaining?: number;
  /** Epoch ms when `remaining` refills. */
  resetAt?: number;
  pointsPerPoll: number;
  /** How long a PR's change signal is trusted before it is asked again (0: every poll). */
  signalIntervalMs: number;
  pacing: 'none' | 'webhooks' | 'budget';
  trackedPullRequests: number;
}

export interface GitHubStatus {
  budgets: { baseUrl: string; budget: GitHubBudgetBody }[];
  webhooks: { enabled: boolean; accepted: number; refused: number };
}

const PUBLIC_API = 'https://api.github.com';

/**
 * The header's GitHub line: GraphQL points left of the limit, when they refill, how often PRs are
 * checked (slower while webhooks flow or the budget runs low), webhooks on or off. `null` (the
 * line is hidden) when the daemon neither polls GitHub nor takes its webhooks.
 */
export function githubBudgetLine(github: GitHubStatus | undefined): { text: string; title: string; low: boolean } | null {
  if (!github || (github.budgets.length === 0 && !github.webhooks.enabled)) return null;
  const parts: string[] = [];
  const titles: string[] = [];
  let low = false;
  for (const { baseUrl, budget: b } of github.budgets) {
    const host = baseUrl === PUBLIC_API ? '' : ` ${new URL(baseUrl).host}`;
    const points = b.remaining !== undefined && b.limit !== undefined ? `${b.remaining.toLocaleString('en')}/${b.limit.toLocaleString('en')} points` : 'points not read yet';
    const reset = b.resetAt ? `, resets ${time(new Date(b.resetAt).toISOString()).slice(0, 5)}` : '';
    const pace = b.pacing === 'none' ? 'PRs every poll' : `PRs every ${Math.round(b.signalIntervalMs / 1000)} s (${b.pacing === 'budget' ? 'budget low' : 'webhooks'})`;
    low ||= b.pacing === 'budget';
    parts.push(`GitHub${host}: ${points}${reset} · ${pace}`);
    titles.push(`GitHub GraphQL budget${host}: ~${b.pointsPerPoll} points per poll, ${b.trackedPullRequests} pull request(s) tracked`);
  }
  if (parts.length === 0) parts.push('GitHub');
  const w = github.webhooks;
  parts.push(`webhooks ${w.enabled ? 'on' : 'off'}`);
  titles.push(w.enabled ? `${w.accepted} webhook deliveries received${w.refused ? `, ${w.refused} refused` : ''}` : 'Webhooks off: set AO_GITHUB_WEBHOOK_SECRET (docs/webhooks.md)');
  return { text: parts.join(' · '), title: titles.join('\n'), low };
}

/**
 * Keeps `el` showing the GitHub line: read from `/api/status` when the live stream (re)connects
 * and after a session's PR or status changed (at most every 2 s) — what moves the budget is ao
 * reading PRs. No timer of its own.
 */
export function mountGitHubBudget(el: HTMLElement, live: Live): void {
  const load = async (): Promise<void> => {
    let line: ReturnType<typeof githubBudgetLine> = null;
    try {
      line = githubBudgetLine((await get<{ github?: GitHubStatus }>('/api/status')).github);
    } catch {
      // Offline or signed out: the connection indicator says so; keep the last line.
      return;
    }
    el.hidden = line === null;
    setText(el, line?.text ?? '');
    setAttr(el, 'title', line?.title ?? null);
    el.dataset.low = line?.low ? 'true' : 'false';
    el.dataset.loaded = 'true';
  };
  const soon = debounce(() => void load(), 2000);
  live.onReset(() => void load());
  live.onEvent((m) => {
    if (m.event.set && ('pr' in m.event.set || 'status' in m.event.set)) soon();
  });
}
