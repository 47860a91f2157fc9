import { get } from './api.js';
import { debounce, setAttr, setText } from './dom.js';
import type { Live } from './live.js';
import { time } from './format.js';
import { budgetFacts, githubStatusShown, type GitHubStatus } from '@ao/github/budget';

/**
 * The header's GitHub line: GraphQL points left of the limit, when they refill, how often PRs are
 * checked (slower while webhooks flow or the budget runs low), webhooks on or off. `null` (the
 * line is hidden) when the daemon neither polls GitHub nor takes its webhooks.
 */
export function githubBudgetLine(github: GitHubStatus | undefined): { text: string; title: string; low: boolean } | null {
  if (!githubStatusShown(github)) return null;
  const parts: string[] = [];
  const titles: string[] = [];
  let low = false;
  for (const { baseUrl, budget } of github.budgets) {
    const f = budgetFacts(baseUrl, budget);
    const host = f.host ? ` ${f.host}` : '';
    const points = f.points ? `${f.points.remaining.toLocaleString('en')}/${f.points.limit.toLocaleString('en')} points` : 'points not read yet';
    const reset = f.resetAt ? `, resets ${time(f.resetAt.toISOString()).slice(0, 5)}` : '';
    const pace = f.slowedBy ? `PRs every ${f.everySeconds} s (${f.slowedBy === 'budget' ? 'budget low' : 'webhooks'})` : 'PRs every poll';
    low ||= f.slowedBy === 'budget';
    parts.push(`GitHub${host}: ${points}${reset} · ${pace}`);
    titles.push(`GitHub GraphQL budget${host}: ~${f.pointsPerPoll} points per poll, ${f.trackedPullRequests} pull request(s) tracked`);
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
