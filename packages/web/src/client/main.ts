import './style.css';
import { setText } from './dom.js';
import { mountGitHubBudget } from './github-budget.js';
import { createLive, type ConnectionState } from './live.js';
import { mountApprovals } from './views/approvals.js';
import { mountList } from './views/list.js';
import { mountMetrics } from './views/metrics.js';
import { mountPlan, mountPlans } from './views/plans.js';
import { mountSession } from './views/session.js';
import { mountSpawn } from './views/spawn.js';

/**
 * The dashboard app: one live copy of the store (live.ts) and a hash router over the views.
 * `#/` sessions · `#/s/<id>` one session · `#/approvals` · `#/spawn` · `#/metrics` · `#/plans` · `#/plans/<id>`.
 */
const main = document.getElementById('main') as HTMLElement;
const conn = document.getElementById('conn') as HTMLElement;
const approvalCount = document.getElementById('approval-count') as HTMLElement;
const live = createLive();
mountGitHubBudget(document.getElementById('github-budget') as HTMLElement, live);

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  live: 'live',
  offline: 'offline — retrying',
  unauthorized: 'not signed in',
};
live.onConnection((state) => {
  setText(conn, CONNECTION_TEXT[state]);
  conn.dataset.state = state;
  if (state === 'unauthorized') {
    main.replaceChildren();
    const p = document.createElement('p');
    p.className = 'card';
    p.textContent = 'This page needs the dashboard token: run `ao dashboard` and open the URL it prints.';
    main.append(p);
  }
});
live.onApprovals(() => {
  const n = live.approvals.filter((a) => a.status === 'pending').length;
  setText(approvalCount, String(n));
  approvalCount.dataset.count = String(n);
});

let unmount: () => void = () => {};
const navigate = (hash: string): void => {
  if (location.hash === hash) route();
  else location.hash = hash;
};

function route(): void {
  unmount();
  const hash = location.hash || '#/';
  const session = /^#\/s\/(.+)$/.exec(hash);
  const plan = /^#\/plans\/(.+)$/.exec(hash);
  let view = 'list';
  if (plan) {
    view = 'plans';
    unmount = mountPlan(main, live, decodeURIComponent(plan[1] as string));
  } else if (hash === '#/plans') {
    view = 'plans';
    unmount = mountPlans(main, live);
  } else if (session) {
    view = 'session';
    unmount = mountSession(main, live, decodeURIComponent(session[1] as string));
  } else if (hash === '#/approvals') {
    view = 'approvals';
    unmount = mountApprovals(main, live);
  } else if (hash === '#/spawn') {
    view = 'spawn';
    unmount = mountSpawn(main, live, navigate);
  } else if (hash === '#/metrics') {
    view = 'metrics';
    unmount = mountMetrics(main, live);
  } else {
    unmount = mountList(main, live);
  }
  document.body.dataset.view = view;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (a.dataset.nav === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = view === 'session' && session ? `${decodeURIComponent(session[1] as string)} · ao` : 'ao dashboard';
}

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
route();
