import type { Session } from './api.js';

/** How the list groups sessions: what needs a human first, then work in progress, then finished. */
export type Group = 'attention' | 'working' | 'done';

export const GROUPS: { id: Group; title: string; empty: string }[] = [
  { id: 'attention', title: 'Needs you', empty: 'Nothing is waiting for you.' },
  { id: 'working', title: 'Working', empty: 'No session is working.' },
  { id: 'done', title: 'Done', empty: 'No finished sessions yet.' },
];

const FINISHED = new Set(['merged', 'done', 'killed', 'errored']);

/** Lower is more urgent; null when the session needs no human now. */
export function attentionRank(s: Session, pendingApproval: boolean): number | null {
  if (FINISHED.has(s.status)) return null;
  if (s.status === 'needs_input' || s.activity === 'waiting_input') return 0;
  if (pendingApproval) return 1;
  if (s.status === 'ci_failed') return 2;
  if (s.status === 'changes_requested') return 3;
  if (s.status === 'stuck' || s.activity === 'blocked') return 4;
  return null;
}

export function groupOf(s: Session, pendingApproval: boolean): Group {
  if (FINISHED.has(s.status)) return 'done';
  return attentionRank(s, pendingApproval) === null ? 'working' : 'attention';
}

/** Why a session is in "Needs you", in words. */
export function attentionReason(s: Session, pendingApproval: boolean): string {
  switch (attentionRank(s, pendingApproval)) {
    case 0:
      return 'waiting for input';
    case 1:
      return 'approval pending';
    case 2:
      return 'CI failed';
    case 3:
      return 'changes requested';
    case 4:
      return s.status === 'stuck' ? 'stuck' : 'blocked';
    default:
      return '';
  }
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

/** Compact age: 42s, 5m, 3h, 2d. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function prLabel(s: Session): string {
  if (!s.pr) return 'no PR';
  const ci = s.pr.ci && s.pr.ci !== 'none' ? ` · CI ${s.pr.ci}` : '';
  return `#${s.pr.id} ${s.pr.state}${ci}`;
}

/** A tone for status badges: the CSS picks colours from it. */
export function tone(status: string): 'bad' | 'warn' | 'good' | 'info' | 'muted' {
  if (['ci_failed', 'errored', 'changes_requested', 'stuck'].includes(status)) return 'bad';
  if (['needs_input', 'review_pending', 'spawning'].includes(status)) return 'warn';
  if (['approved', 'mergeable', 'merged', 'done'].includes(status)) return 'good';
  if (status === 'killed') return 'muted';
  return 'info';
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  if (value < 3_600_000) return `${(value / 60_000).toFixed(1)} min`;
  return `${(value / 3_600_000).toFixed(1)} h`;
}

export function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}
