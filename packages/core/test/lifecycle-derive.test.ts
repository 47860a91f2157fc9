import { describe, expect, it } from 'vitest';
import {
  ConfigSchema,
  createLedger,
  deriveStatus,
  needsApproval,
  type PullRequestStatus,
  type Session,
  type SessionEvent,
} from '../src/index.js';

const session = (over: Partial<Session> = {}): Session => ({
  id: 'app-1',
  project: 'app',
  issue: '1',
  title: 'Add x',
  branch: 'feat/x',
  baseBranch: 'main',
  workspacePath: '/tmp/ws',
  agent: 'fake',
  runtimeName: 'tmux',
  workspaceName: 'worktree',
  runtime: { runtime: 'tmux', id: 't' },
  status: 'working',
  activity: 'active',
  activityDetail: null,
  nativeSessionId: null,
  pr: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  startedAt: '2025-01-01T00:00:00.000Z',
  lastEvent: null,
  spawnMs: null,
  ...over,
});

const prStatus = (over: { ci?: PullRequestStatus['ci']['state']; review?: PullRequestStatus['review']['decision']; mergeable?: boolean; conflicts?: boolean; state?: 'open' | 'merged' | 'closed' } = {}): PullRequestStatus => ({
  pr: { id: '1', title: 't', branch: 'feat/x', baseBranch: 'main', state: over.state ?? 'open', headSha: 'abc' },
  ci: { state: over.ci ?? 'pending', failing: over.ci === 'failing' ? ['ci'] : [] },
  review: { decision: over.review ?? 'pending', comments: [] },
  mergeability: { mergeable: over.mergeable ?? true, conflicts: over.conflicts ?? false },
});

describe('deriveStatus', () => {
  const withPr = session({ pr: { id: '1', state: 'open' } });
  it.each([
    [{ ci: 'pending' as const }, 'pr_open'],
    [{ ci: 'failing' as const }, 'ci_failed'],
    [{ ci: 'passing' as const }, 'review_pending'],
    [{ ci: 'none' as const }, 'review_pending'],
    [{ ci: 'passing' as const, review: 'changes_requested' as const }, 'changes_requested'],
    [{ ci: 'pending' as const, review: 'approved' as const }, 'approved'],
    [{ ci: 'passing' as const, review: 'approved' as const }, 'mergeable'],
    [{ ci: 'passing' as const, review: 'approved' as const, mergeable: false, conflicts: true }, 'approved'],
    [{ state: 'merged' as const }, 'merged'],
  ])('PR %j → %s', (over, expected) => {
    expect(deriveStatus({ session: withPr, pr: prStatus(over), stuck: false }).status).toBe(expected);
  });

  it('keeps the PR fields current', () => {
    expect(deriveStatus({ session: withPr, pr: prStatus({ ci: 'failing', review: 'pending' }), stuck: false }).pr).toEqual({ id: '1', state: 'open', ci: 'failing', review: 'pending' });
  });

  it('needs_input and stuck replace working statuses, never merged or killed', () => {
    expect(deriveStatus({ session: session({ activity: 'waiting_input' }), stuck: false }).status).toBe('needs_input');
    expect(deriveStatus({ session: session(), stuck: true }).status).toBe('stuck');
    expect(deriveStatus({ session: session({ status: 'stuck', activity: 'idle' }), stuck: false }).status).toBe('working');
    expect(deriveStatus({ session: session({ status: 'killed', activity: 'waiting_input' }), stuck: true }).status).toBe('killed');
    expect(deriveStatus({ session: withPr, pr: prStatus({ state: 'merged' }), stuck: true }).status).toBe('merged');
  });

  it('queued stays queued: only admission starts it', () => {
    expect(deriveStatus({ session: session({ status: 'queued', runtime: null }), stuck: false })).toMatchObject({ status: 'queued', reason: 'waiting in the queue' });
  });

  it('spawning becomes working once the runtime is up', () => {
    expect(deriveStatus({ session: session({ status: 'spawning' }), stuck: false }).status).toBe('working');
    expect(deriveStatus({ session: session({ status: 'spawning', runtime: null }), stuck: false }).status).toBe('spawning');
  });
});

describe('reaction ledger', () => {
  const ev = (type: string, data: Record<string, unknown>, ts = '2025-01-01T00:00:00.000Z'): SessionEvent => ({ ts, type, data });
  it('folds pending/attempt/sent/failed/done per key', () => {
    const ledger = createLedger([
      ev('reaction.pending', { key: 'ci-failed:app-1:a', reaction: 'ci-failed', attempt: 1, pid: 1 }),
      ev('reaction.attempt', { key: 'ci-failed:app-1:a', attempt: 1 }),
      ev('message.sent', { chars: 3 }),
      ev('reaction.pending', { key: 'merged:app-1:1', reaction: 'merged', attempt: 1 }),
      ev('reaction.failed', { key: 'merged:app-1:1', attempt: 1, error: 'boom' }),
      ev('reaction.done', { key: 'ci-failed:app-1:a', outcome: 'sent' }),
    ]);
    expect(ledger.get('ci-failed:app-1:a')).toMatchObject({ done: { outcome: 'sent' }, attempts: [{ n: 1, started: true, delivered: true }] });
    expect(ledger.get('merged:app-1:1')?.attempts[0]?.failed).toBe('boom');
    expect(ledger.ofReaction('ci-failed', 'ci-failed:app-1:')).toHaveLength(1);
  });

  it('an attempt without a following message.sent is not delivered', () => {
    const ledger = createLedger([
      ev('reaction.pending', { key: 'k', reaction: 'stuck', attempt: 1 }),
      ev('reaction.attempt', { key: 'k', attempt: 1 }),
    ]);
    expect(ledger.get('k')?.attempts[0]).toMatchObject({ started: true, delivered: false });
  });

  it('a send is delivered by the message.sent of its own delivery id only, and keeps its message', () => {
    const ledger = createLedger([
      ev('reaction.pending', { key: 'k', reaction: 'ci-failed', attempt: 1, message: 'CI failed…' }),
      ev('reaction.attempt', { key: 'k', attempt: 1, deliveryId: 'd1' }),
      // A human's `ao send` logged meanwhile is not the reaction's delivery.
      ev('message.sending', { deliveryId: 'h1' }),
      ev('message.sent', { deliveryId: 'h1', chars: 5 }),
      ev('message.sending', { deliveryId: 'd1' }),
    ]);
    expect(ledger.get('k')).toMatchObject({ message: 'CI failed…', attempts: [{ started: true, deliveryId: 'd1', delivered: false, unsent: false }] });
    ledger.add([ev('message.unsent', { deliveryId: 'd1' })]);
    expect(ledger.get('k')?.attempts[0]).toMatchObject({ delivered: false, unsent: true });
    ledger.add([ev('reaction.pending', { key: 'k', attempt: 2 }), ev('reaction.attempt', { key: 'k', attempt: 2, deliveryId: 'd2' }), ev('message.sent', { deliveryId: 'd2' })]);
    expect(ledger.get('k')?.attempts[1]).toMatchObject({ n: 2, delivered: true });
  });
});

describe('autonomy', () => {
  it('manual asks for everything, copilot for merges and escalations, autopilot for nothing', () => {
    expect(needsApproval('manual', 'send', false)).toBe(true);
    expect(needsApproval('manual', 'cleanup', false)).toBe(true);
    expect(needsApproval('copilot', 'send', false)).toBe(false);
    expect(needsApproval('copilot', 'send', true)).toBe(true);
    expect(needsApproval('copilot', 'merge', false)).toBe(true);
    expect(needsApproval('autopilot', 'merge', true)).toBe(false);
  });
});

describe('config', () => {
  const base = { projects: { app: {} } };
  it('fills reaction, lifecycle and approval defaults', () => {
    const c = ConfigSchema.parse(base);
    expect(c.reactions['ci-failed']).toEqual({ enabled: true, retries: 3 });
    expect(c.reactions.stuck.escalateAfterMs).toBe(600_000);
    expect(c.lifecycle).toEqual({ pollIntervalMs: 15_000, stuckAfterMs: 600_000, autoOpenPr: true });
    expect(c.approvals).toEqual({ expiryHours: 24 });
  });
  it('is strict per reaction', () => {
    expect(ConfigSchema.safeParse({ ...base, reactions: { 'ci-failed': { retires: 2 } } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ ...base, reactions: { 'ci-fail': {} } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ ...base, reactions: { 'ci-failed': { retries: 1, escalateAfterMs: 60000 } } }).success).toBe(true);
  });
});
