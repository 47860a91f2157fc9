import { enc, get, type Approval, type SessionEvent } from '../api.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';
import { describeAction } from './approvals.js';

/** What an event says, in one line: the fields it set and the interesting bits of its data. */
export function describeEvent(event: SessionEvent): string {
  const parts: string[] = [];
  const set = event.set ?? {};
  if (event.type === 'session.created') return `created on ${String(set.branch ?? '?')}`;
  // Messages between sessions (core's crews/messages.ts): who wrote to whom, and what.
  if (event.type === 'message.received' || event.type === 'message.posted') {
    const d = event.data ?? {};
    const crew = typeof d.crew === 'string' ? ` (crew ${d.crew})` : '';
    const text = String(d.text ?? '');
    const quoted = `“${text.length > 300 ? `${text.slice(0, 299)}…` : text}”`;
    if (event.type === 'message.received') return `from ${String(d.from ?? '?')}${crew}: ${quoted}`;
    return `to ${Array.isArray(d.to) ? d.to.join(', ') || 'nobody' : String(d.to ?? '?')}${crew}: ${quoted}`;
  }
  // An approval's change (core's approvals/events.ts) carries the whole approval.
  if (event.type.startsWith('approval.') && event.data && typeof event.data.id === 'string') {
    const a = event.data as Approval;
    const who = a.decidedBy && event.type !== 'approval.requested' ? ` · by ${a.decidedBy}` : '';
    const outcome = event.type === 'approval.executed' ? ` · ${a.outcome ?? 'done'}` : event.type === 'approval.requested' ? ` · ${a.reason}` : a.message ? ` · ${a.message}` : '';
    return `${a.id}: ${describeAction(a)}${who}${outcome}`;
  }
  if (typeof set.status === 'string') parts.push(`status → ${set.status.replace(/_/g, ' ')}`);
  if (typeof set.activity === 'string') parts.push(`activity → ${set.activity.replace(/_/g, ' ')}`);
  if (set.pr && typeof set.pr === 'object') {
    const pr = set.pr as { id?: string; state?: string; ci?: string; review?: string };
    parts.push(`PR #${pr.id ?? '?'} ${pr.state ?? ''}${pr.ci ? `, CI ${pr.ci}` : ''}${pr.review && pr.review !== 'none' ? `, review ${pr.review.replace(/_/g, ' ')}` : ''}`);
  }
  const data = event.data ?? {};
  for (const key of ['reason', 'preview', 'outcome', 'error', 'reaction', 'activityDetail']) {
    const v = data[key] ?? (key === 'activityDetail' ? set.activityDetail : undefined);
    if (typeof v === 'string' && v) parts.push(key === 'preview' ? `“${v}”` : v);
  }
  if (typeof data.spawnMs === 'number') parts.push(`${data.spawnMs} ms`);
  return parts.join(' · ');
}

/**
 * The session's event log, newest first: the whole log once, then each live event prepended.
 * At most `limit` entries stay in the page.
 */
export function mountTimeline(container: HTMLElement, sessionId: string, limit = 300): { add(event: SessionEvent): void } {
  const list = h('ol', { class: 'timeline', reversed: true });
  const note = h('p', { class: 'muted small' }, 'loading…');
  replace(container, h('h2', {}, 'Events'), note, list);
  const item = (e: SessionEvent): HTMLLIElement =>
    h('li', { 'data-type': e.type }, h('time', { datetime: e.ts, title: e.ts }, time(e.ts)), h('code', { class: 'etype' }, e.type), h('span', { class: 'edesc' }, describeEvent(e)));
  const trim = (): void => {
    while (list.children.length > limit) list.lastElementChild?.remove();
  };
  const early: SessionEvent[] = [];
  let loaded = false;
  get<{ events: SessionEvent[] }>(`/api/sessions/${enc(sessionId)}/events`)
    .then(({ events }) => {
      const seen = new Set(events.map((e) => `${e.ts}|${e.type}|${e.key ?? ''}`));
      const all = [...events, ...early.filter((e) => !seen.has(`${e.ts}|${e.type}|${e.key ?? ''}`))];
      list.replaceChildren(...all.slice(-limit).reverse().map(item));
      note.hidden = true;
      loaded = true;
    })
    .catch((error: unknown) => replace(note, `Could not load events: ${(error as Error).message}`));
  return {
    add(event) {
      if (!loaded) {
        early.push(event);
        return;
      }
      list.prepend(item(event));
      trim();
    },
  };
}
