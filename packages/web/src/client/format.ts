import { attentionOf, type Attention } from '@ao/core/attention';
import type { Session } from './api.js';

export { compareAttention } from '@ao/core/attention';

/** How the list groups sessions: what needs a human first, then work in progress, then finished. */
export type Group = 'attention' | 'working' | 'done';

export const GROUPS: { id: Group; title: string; empty: string }[] = [
  { id: 'attention', title: 'Needs you', empty: 'Nothing is waiting for you.' },
  { id: 'working', title: 'Working', empty: 'No session is working.' },
  { id: 'done', title: 'Done', empty: 'No finished sessions yet.' },
];

const FINISHED = new Set(['merged', 'done', 'killed']);

/** The session's attention (core's one model, the same `ao status` shows), or null. */
export function attentionFor(s: Session, pendingApproval: boolean): Attention | null {
  return attentionOf(s, { pendingApproval });
}

export function groupOf(s: Session, pendingApproval: boolean): Group {
  if (attentionFor(s, pendingApproval)) return 'attention';
  return FINISHED.has(s.status) || s.status === 'errored' ? 'done' : 'working';
}

/** Why a session is in "Needs you", in words (empty when it is not). */
export function attentionReason(s: Session, pendingApproval: boolean): string {
  return attentionFor(s, pendingApproval)?.text ?? '';
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

/** Token counts for people: 950, 12.3k, 1.20M. */
export function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** US dollars, or `?` when the model has no price (see `pricing:` in the config). */
export function usd(v: number | null): string {
  if (v === null) return '?';
  return v > 0 && v < 0.01 ? '<$0.01' : `$${v.toFixed(2)}`;
}
