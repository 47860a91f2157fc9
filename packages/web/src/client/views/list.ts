import type { Session } from '../api.js';
import { h, setAttr, setText } from '../dom.js';
import { age, attentionFor, attentionReason, compareAttention, groupOf, GROUPS, prLabel, statusLabel, tone, type Group } from '../format.js';
import type { Live } from '../live.js';

/**
 * The session list: three groups (needs you, working, done), one persistent row per session.
 * A change touches only that row's changed cells, and moves the row only when its group or
 * place changes; the table has fixed column widths, so nothing around it shifts.
 */
interface Row {
  tr: HTMLTableRowElement;
  cells: Record<'id' | 'agent' | 'issue' | 'branch' | 'status' | 'activity' | 'pr' | 'age', HTMLElement>;
  link: HTMLAnchorElement;
  reason: HTMLElement;
  badge: HTMLElement;
}

const COLUMNS = [
  ['id', 'Session'],
  ['agent', 'Agent'],
  ['issue', 'Task'],
  ['branch', 'Branch'],
  ['status', 'Status'],
  ['activity', 'Activity'],
  ['pr', 'PR · CI'],
  ['age', 'Age'],
] as const;

function makeRow(id: string): Row {
  const link = h('a', { href: `#/s/${encodeURIComponent(id)}`, class: 'sid' }, id);
  const reason = h('span', { class: 'reason' });
  const badge = h('span', { class: 'status' });
  const cells = {} as Row['cells'];
  const tr = h('tr', { 'data-session': id });
  for (const [key, label] of COLUMNS) {
    const td = h('td', { class: `c-${key}`, 'data-label': label });
    cells[key] = td;
    tr.append(td);
  }
  cells.id.append(link, reason);
  cells.status.append(badge);
  return { tr, cells, link, reason, badge };
}

function fill(row: Row, s: Session, pending: boolean): void {
  setText(row.reason, attentionReason(s, pending));
  setText(row.cells.agent, s.agent);
  setText(row.cells.issue, [s.issue ? `#${s.issue}` : '', s.title ?? (s.issue ? '' : 'free prompt')].filter(Boolean).join(' '));
  setAttr(row.cells.issue, 'title', s.title ?? null);
  setText(row.cells.branch, s.branch);
  setAttr(row.cells.branch, 'title', s.branch);
  setText(row.badge, statusLabel(s.status));
  setAttr(row.badge, 'data-tone', tone(s.status));
  setText(row.cells.activity, s.activity ? statusLabel(s.activity) : '–');
  setText(row.cells.pr, prLabel(s));
  setAttr(row.cells.pr, 'data-ci', s.pr?.ci ?? null);
  setAttr(row.cells.pr, 'data-none', s.pr ? null : '');
  setText(row.cells.age, age(s.createdAt));
  setAttr(row.cells.age, 'title', s.createdAt);
}

export function mountList(root: HTMLElement, live: Live): () => void {
  const rows = new Map<string, Row>();
  const bodies = new Map<Group, HTMLTableSectionElement>();
  const counts = new Map<Group, HTMLElement>();
  const empties = new Map<Group, HTMLElement>();
  const sections: HTMLElement[] = [];

  for (const g of GROUPS) {
    const tbody = h('tbody');
    const count = h('span', { class: 'count' }, '0');
    const empty = h('p', { class: 'empty' }, g.empty);
    const colgroup = h('colgroup');
    for (const [key] of COLUMNS) colgroup.append(h('col', { class: `c-${key}` }));
    const head = h('tr');
    for (const [key, label] of COLUMNS) head.append(h('th', { scope: 'col', class: `c-${key}` }, label));
    const section = h(
      'section',
      { class: `group group-${g.id}`, 'aria-labelledby': `g-${g.id}` },
      h('h2', { id: `g-${g.id}` }, g.title, ' ', count),
      h('table', { class: 'sessions' }, colgroup, h('thead', {}, head), tbody),
      empty,
    );
    bodies.set(g.id, tbody);
    counts.set(g.id, count);
    empties.set(g.id, empty);
    sections.push(section);
  }
  root.replaceChildren(h('h1', { class: 'sr-only' }, 'Sessions'), ...sections);

  /** Urgency first in "needs you", newest first elsewhere. */
  const order = (a: Session, b: Session): number => {
    const byAttention = compareAttention(attentionFor(a, live.pendingFor(a.id)), attentionFor(b, live.pendingFor(b.id)));
    return byAttention || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);
  };

  /** Puts every row in its group and order, moving only rows that are out of place. */
  const place = (): void => {
    const byGroup = new Map<Group, Session[]>(GROUPS.map((g) => [g.id, []]));
    for (const s of live.sessions.values()) {
      if (s.role === 'orchestrator' && s.status === 'killed') continue;
      byGroup.get(groupOf(s, live.pendingFor(s.id)))?.push(s);
    }
    for (const [group, list] of byGroup) {
      list.sort(order);
      const tbody = bodies.get(group) as HTMLTableSectionElement;
      let cursor = tbody.firstElementChild;
      for (const s of list) {
        const row = rows.get(s.id);
        if (!row) continue;
        if (row.tr !== cursor) tbody.insertBefore(row.tr, cursor);
        else cursor = cursor.nextElementSibling;
      }
      // Whatever is left belongs elsewhere (a later group inserts it there) or nowhere.
      while (cursor) {
        const next = cursor.nextElementSibling;
        cursor.remove();
        cursor = next;
      }
      setText(counts.get(group) as HTMLElement, String(list.length));
      (empties.get(group) as HTMLElement).hidden = list.length > 0;
      tbody.parentElement?.toggleAttribute('data-empty', list.length === 0);
    }
  };

  const refill = (id: string, s: Session): void => {
    let row = rows.get(id);
    if (!row) {
      row = makeRow(id);
      rows.set(id, row);
    }
    fill(row, s, live.pendingFor(id));
  };

  const update = (id: string, s: Session | undefined): void => {
    if (s) refill(id, s);
    else {
      rows.get(id)?.tr.remove();
      rows.delete(id);
    }
    place();
  };

  const all = (): void => {
    for (const [id, row] of rows) if (!live.sessions.has(id)) (row.tr.remove(), rows.delete(id));
    for (const [id, s] of live.sessions) refill(id, s);
    place();
  };
  all();
  const offs = [live.onSession(update), live.onReset(all), live.onApprovals(all)];
  // Ages tick on the page; nothing is fetched for them.
  const ticker = setInterval(() => {
    for (const [id, row] of rows) {
      const s = live.sessions.get(id);
      if (s) setText(row.cells.age, age(s.createdAt));
    }
  }, 15_000);
  return () => {
    clearInterval(ticker);
    for (const off of offs) off();
  };
}
