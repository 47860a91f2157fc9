import { enc, get, post, type Session } from '../api.js';
import { debounce, h, replace, setAttr, setText } from '../dom.js';
import { age, statusLabel, tokens, tone, usd } from '../format.js';
import type { Live } from '../live.js';
import { mountReview } from './review.js';
import { mountTerminal } from './terminal.js';
import { mountTimeline } from './timeline.js';
import { mountTrace } from './trace.js';

interface DiffStat {
  base: string;
  files: { path: string; added: number | null; removed: number | null }[];
  added: number;
  removed: number;
  dirty: boolean;
  error?: string;
}
interface PrDetail {
  pr: Session['pr'];
  ci?: { state: string; failing: string[]; logTail?: string };
  review?: { decision: string; comments: { author: string; body: string; path?: string; line?: number }[] };
  error?: string;
}

/** Runs an action from a button: disabled while it runs, the outcome in `out` (a live region). */
async function act(button: HTMLButtonElement, out: HTMLElement, run: () => Promise<string>): Promise<void> {
  button.disabled = true;
  out.dataset.tone = 'info';
  setText(out, `${button.textContent ?? ''}…`);
  try {
    setText(out, await run());
    out.dataset.tone = 'good';
  } catch (error) {
    setText(out, (error as Error).message);
    out.dataset.tone = 'bad';
  } finally {
    button.disabled = false;
  }
}

/**
 * One session: its state, PR/CI/review (with the failing CI log), diff stat, a message box, kill and
 * restore, the live terminal and the event timeline. Live events update the header and timeline in
 * place; PR detail and diff stat are re-read only when an event for this session arrives.
 */
export function mountSession(root: HTMLElement, live: Live, id: string): () => void {
  const title = h('h1', {}, id);
  const badge = h('span', { class: 'status' });
  const meta = h('dl', { class: 'meta' });
  const out = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const killBtn = h('button', { type: 'button', class: 'danger' }, 'Kill');
  const restoreBtn = h('button', { type: 'button' }, 'Restore');
  const prBox = h('section', { class: 'card pr', 'aria-labelledby': 'pr-h' });
  const diffBox = h('section', { class: 'card diff', 'aria-labelledby': 'diff-h' });
  const message = h('textarea', { id: 'message', rows: 3, placeholder: 'Message to the agent (Ctrl+Enter sends). Delivered literally, as one submission.' });
  const sendBtn = h('button', { type: 'submit' }, 'Send');
  const sendOut = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const termBox = h('section', { class: 'card term', 'aria-label': 'Terminal' });
  const timelineBox = h('section', { class: 'card events' });
  const traceBox = h('section', { class: 'card trace-box', 'aria-label': 'Trace' });
  const reviewBox = h('section', { class: 'card review', 'aria-labelledby': 'review-h', hidden: true });
  const form = h('form', { class: 'card send', 'aria-labelledby': 'send-h' }, h('h2', { id: 'send-h' }, h('label', { for: 'message' }, 'Send a message')), message, h('div', { class: 'row' }, sendBtn, sendOut));

  root.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, '← Sessions')),
    h('header', { class: 'session-head' }, h('div', { class: 'title-row' }, title, badge), meta, h('div', { class: 'actions' }, killBtn, restoreBtn, out)),
    h('div', { class: 'session-grid' }, h('div', { class: 'col-main' }, termBox, form, reviewBox), h('div', { class: 'col-side' }, traceBox, prBox, diffBox, timelineBox)),
  );

  const metaCells = new Map<string, HTMLElement>();
  for (const [key, label] of [['agent', 'Agent'], ['issue', 'Issue'], ['branch', 'Branch'], ['activity', 'Activity'], ['project', 'Project'], ['age', 'Age'], ['runtime', 'Runtime'], ['tokens', 'Tokens']] as const) {
    const dd = h('dd', { 'data-key': key }, '–');
    metaCells.set(key, dd);
    meta.append(h('div', {}, h('dt', {}, label), dd));
  }

  let lastPrKey = '';
  let lastUsage = '';
  let costText = '';
  const renderHeader = (s: Session): void => {
    setText(title, s.title ? `${s.id} — ${s.title}` : s.id);
    setText(badge, statusLabel(s.status));
    setAttr(badge, 'data-tone', tone(s.status));
    const tokenText = s.usage ? `${tokens(s.usage.input)} in · ${tokens(s.usage.output)} out · ${tokens(s.usage.cacheRead + s.usage.cacheWrite)} cache` : '– (not read from the agent\'s log yet)';
    const values: Record<string, string> = {
      agent: s.agent,
      issue: s.issue ? `#${s.issue}` : 'free prompt',
      branch: `${s.branch} (from ${s.baseBranch})`,
      activity: `${s.activity ? statusLabel(s.activity) : '–'}${s.activityDetail ? ` — ${s.activityDetail}` : ''}`,
      project: s.project,
      age: `${age(s.createdAt)} · since ${new Date(s.createdAt).toLocaleString([], { hourCycle: 'h23' })}`,
      runtime: s.runtime ? `${s.runtime.runtime} ${s.runtime.id}` : s.runtimeName,
      tokens: `${tokenText}${s.usage ? costText : ''}`,
    };
    for (const [k, v] of Object.entries(values)) setText(metaCells.get(k) as HTMLElement, v);
    const finished = ['killed', 'merged', 'done'].includes(s.status);
    killBtn.disabled = finished || s.activity === 'exited';
    restoreBtn.disabled = s.status === 'merged' || s.status === 'done';
    // Review is for an open PR; a merged or closed one has nothing left to decide.
    reviewBox.hidden = s.pr?.state !== 'open';
    // The cost is priced by the daemon (config `pricing:`): read it again when the tokens change.
    if (s.usage && s.usage.updatedAt !== lastUsage) {
      lastUsage = s.usage.updatedAt;
      void get<{ cost: { bySession: Record<string, { costUsd: number | null }> } }>('/api/metrics')
        .then((m) => {
          costText = ` · ${usd(m.cost.bySession[s.id]?.costUsd ?? null)}`;
          setText(metaCells.get('tokens') as HTMLElement, `${tokenText}${costText}`);
        })
        .catch(() => undefined);
    }
    const prKey = JSON.stringify(s.pr);
    if (prKey !== lastPrKey) {
      lastPrKey = prKey;
      void loadPr(s);
    }
  };

  const loadPr = async (s: Session): Promise<void> => {
    if (!s.pr) {
      replace(prBox, h('h2', { id: 'pr-h' }, 'Pull request'), h('p', { class: 'muted' }, 'No pull request yet.'));
      return;
    }
    const pr = s.pr;
    const head = h('p', { class: 'pr-line' }, pr.url ? h('a', { href: pr.url, target: '_blank', rel: 'noreferrer' }, `#${pr.id}`) : `#${pr.id}`, ` ${pr.state}`);
    const badges = h('p', { class: 'badges' }, h('span', { class: 'status', 'data-tone': pr.ci === 'failing' ? 'bad' : pr.ci === 'passing' ? 'good' : 'info' }, `CI ${pr.ci ?? 'none'}`), ' ', h('span', { class: 'status', 'data-tone': pr.review === 'changes_requested' ? 'bad' : pr.review === 'approved' ? 'good' : 'info' }, `review ${statusLabel(pr.review ?? 'none')}`));
    const detail = h('div', { class: 'pr-detail' }, h('p', { class: 'muted small' }, 'asking the SCM…'));
    replace(prBox, h('h2', { id: 'pr-h' }, 'Pull request'), head, badges, detail);
    try {
      const d = await get<PrDetail>(`/api/sessions/${enc(s.id)}/pr`);
      const parts: (Node | string)[] = [];
      if (d.error) parts.push(h('p', { class: 'muted small' }, d.error));
      if (d.ci?.failing.length) parts.push(h('p', {}, `Failing: ${d.ci.failing.join(', ')}`));
      if (d.ci?.logTail?.trim()) parts.push(h('details', { open: d.ci.state === 'failing' }, h('summary', {}, 'CI log (tail)'), h('pre', { class: 'log' }, d.ci.logTail.trimEnd())));
      if (d.review?.comments.length) {
        parts.push(h('h3', {}, 'Review comments'), h('ul', { class: 'comments' }, ...d.review.comments.map((c) => h('li', {}, h('strong', {}, c.author), c.path ? ` ${c.path}${c.line ? `:${c.line}` : ''}` : '', h('div', {}, c.body)))));
      }
      replace(detail, ...(parts.length ? parts : [h('p', { class: 'muted small' }, 'No failing checks or open comments.')]));
    } catch (error) {
      replace(detail, h('p', { class: 'muted small' }, (error as Error).message));
    }
  };

  const loadDiff = async (): Promise<void> => {
    try {
      const d = await get<DiffStat>(`/api/sessions/${enc(id)}/diffstat`);
      const files = d.files.slice(0, 50).map((f) => h('li', {}, h('span', { class: 'add' }, f.added === null ? 'bin' : `+${f.added}`), ' ', h('span', { class: 'del' }, f.removed === null ? '' : `−${f.removed}`), ' ', h('code', {}, f.path)));
      replace(
        diffBox,
        h('h2', { id: 'diff-h' }, 'Changes'),
        d.error
          ? h('p', { class: 'muted small' }, d.error)
          : h('p', {}, `${d.files.length} file(s) vs ${d.base}: `, h('span', { class: 'add' }, `+${d.added}`), ' ', h('span', { class: 'del' }, `−${d.removed}`), d.dirty ? ' (uncommitted changes included)' : ''),
        files.length ? h('ul', { class: 'files' }, ...files) : '',
      );
    } catch (error) {
      replace(diffBox, h('h2', { id: 'diff-h' }, 'Changes'), h('p', { class: 'muted small' }, (error as Error).message));
    }
  };
  const diffSoon = debounce(() => void loadDiff(), 1500);

  mountReview(reviewBox, id);
  const timeline = mountTimeline(timelineBox, id);
  const trace = mountTrace(traceBox, id);
  const traceSoon = debounce(() => trace.refresh(), 500);
  const terminal = mountTerminal(termBox, id);

  killBtn.addEventListener('click', () =>
    void act(killBtn, out, async () => {
      const r = await post<{ session: Session }>(`/api/sessions/${enc(id)}/kill`);
      live.upsert(r.session);
      return 'Killed. The workspace and branch are kept; Restore starts the agent again.';
    }),
  );
  restoreBtn.addEventListener('click', () =>
    void act(restoreBtn, out, async () => {
      const s = await post<Session>(`/api/sessions/${enc(id)}/restore`);
      live.upsert(s);
      return 'Restored.';
    }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = message.value;
    if (!text.trim()) return;
    void act(sendBtn, sendOut, async () => {
      await post(`/api/sessions/${enc(id)}/send`, { message: text });
      message.value = '';
      return `Sent (${text.length} chars).`;
    });
  });
  message.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const current = live.sessions.get(id);
  if (current) renderHeader(current);
  else
    void live.ready.then(() => {
      const s = live.sessions.get(id);
      if (s) renderHeader(s);
      else setText(out, `No session ${id} (it may have been cleaned up).`);
    });
  void loadDiff();

  const offs = [
    live.onSession((sid, s) => {
      if (sid === id && s) renderHeader(s);
    }),
    live.onEvent((m) => {
      if (m.sessionId !== id) return;
      timeline.add(m.event);
      diffSoon();
      traceSoon();
    }),
  ];
  return () => {
    for (const off of offs) off();
    diffSoon.cancel();
    traceSoon.cancel();
    terminal.dispose();
  };
}
