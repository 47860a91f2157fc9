// Approvals are events: every change of an approval is an `approval.*` event in its session's log
// (the record of truth), and the approval file is repaired from the log after a crash between
// the two writes. Real session store and approval store in a temp AO_HOME.
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApprovalStore, createSessionStore, logApproval, resolvePaths, type AoPaths, type Clock, type Session, type SessionStore } from '../src/index.js';

let home: string;
let paths: AoPaths;
let now: number;
let sessions: SessionStore;
const clock: Clock = { now: () => now, sleep: async () => {} };

const session: Session = {
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
  status: 'mergeable',
  activity: 'idle',
  activityDetail: null,
  nativeSessionId: null,
  pr: { id: '1', state: 'open', ci: 'passing', review: 'approved' },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  startedAt: '2025-01-01T00:00:00.000Z',
  lastEvent: null,
  spawnMs: null,
};

const input = (key: string) => ({
  key,
  project: 'app',
  sessionId: 'app-1',
  action: { type: 'merge' as const, payload: { prId: '1' } },
  reason: 'approved and green',
  reaction: 'approved-and-green',
});

/** The session's `approval.*` events, as `ao session events` reads them. */
const approvalEvents = async () => (await sessions.events('app', 'app-1')).filter((e) => e.type.startsWith('approval.'));
const fileOf = async (id: string) => JSON.parse(await readFile(join(home, 'approvals', `${id}.json`), 'utf8')) as { status: string };

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ao-approval-events-'));
  paths = resolvePaths({ AO_HOME: home });
  now = Date.parse('2025-01-01T00:00:00Z');
  sessions = createSessionStore(paths, { clock });
  await sessions.create('app', session);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('approvals are events in the session log', () => {
  it('requesting, approving and executing each append one event with the approval: id, action, who, when', async () => {
    const store = createApprovalStore({ paths, clock, sessions });
    const { approval } = await store.create(input('k1'));
    await store.create(input('k1')); // the same key again: no second event
    now += 60_000;
    await store.decide(approval.id, 'approved', { by: 'ann', message: 'ship it' });
    await store.markExecuted(approval.id, 'done');
    await store.markExecuted(approval.id, 'done');

    const events = await approvalEvents();
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.approved', 'approval.executed']);
    expect(events[0]!.data).toMatchObject({ id: approval.id, status: 'pending', action: { type: 'merge', payload: { prId: '1' } }, reason: 'approved and green' });
    expect(events[1]!.data).toMatchObject({ id: approval.id, status: 'approved', decidedBy: 'ann', decidedAt: '2025-01-01T00:01:00.000Z', message: 'ship it' });
    expect(events[2]!.data).toMatchObject({ id: approval.id, outcome: 'done' });
    // The file says what the last event says.
    expect(await fileOf(approval.id)).toMatchObject({ status: 'approved', outcome: 'done' });
  });

  it('rejecting appends approval.rejected; a decision refused (already decided) appends nothing', async () => {
    const store = createApprovalStore({ paths, clock, sessions });
    const { approval } = await store.create(input('k2'));
    await store.decide(approval.id, 'rejected', { by: 'bob', message: 'not yet' });
    await expect(store.decide(approval.id, 'approved', { by: 'ann' })).rejects.toMatchObject({ code: 'APPROVAL_STATE' });
    const events = await approvalEvents();
    expect(events.map((e) => e.type)).toEqual(['approval.requested', 'approval.rejected']);
    expect(events[1]!.data).toMatchObject({ id: approval.id, status: 'rejected', decidedBy: 'bob', message: 'not yet' });
  });

  it('expiry (on read) and withdrawal append approval.expired, once', async () => {
    const store = createApprovalStore({ paths, clock, sessions, expiryHours: 1 });
    const { approval: old } = await store.create(input('k3'));
    const { approval: next } = await store.create(input('k4'));
    await store.supersede(next.id, 'merged', 'the PR was merged');
    now += 2 * 3_600_000;
    expect((await store.list()).approvals.find((a) => a.id === old.id)?.status).toBe('expired');
    await store.get(old.id);
    const expired = (await approvalEvents()).filter((e) => e.type === 'approval.expired');
    expect(expired.map((e) => [e.data?.id, e.data?.decidedBy])).toEqual([
      [next.id, 'ao'],
      [old.id, 'expiry'],
    ]);
    expect(expired[0]!.data).toMatchObject({ supersededBy: 'merged', message: 'the PR was merged' });
  });

  it('list({ record: false }) only reads: an overdue approval is listed expired, nothing is logged or written', async () => {
    const store = createApprovalStore({ paths, clock, sessions, expiryHours: 1 });
    const { approval } = await store.create(input('k8'));
    now += 2 * 3_600_000;
    expect((await store.list({}, { record: false })).approvals.map((a) => a.status)).toEqual(['expired']);
    expect(await fileOf(approval.id)).toMatchObject({ status: 'pending' });
    expect((await approvalEvents()).map((e) => e.type)).toEqual(['approval.requested']);
  });

  it('a crash between the event and the file: the log wins on the next read', async () => {
    const store = createApprovalStore({ paths, clock, sessions });
    const { approval } = await store.create(input('k5'));
    // The first half of a decision: its event is logged, the file still says pending.
    await logApproval(sessions, { ...approval, status: 'approved', decidedAt: '2025-01-01T00:00:30.000Z', decidedBy: 'ann' });
    expect(await fileOf(approval.id)).toMatchObject({ status: 'pending' });

    const listed = (await store.list({ status: 'pending' })).approvals;
    expect(listed).toEqual([]);
    expect(await fileOf(approval.id)).toMatchObject({ status: 'approved', decidedBy: 'ann' });
    await expect(store.decide(approval.id, 'rejected')).rejects.toMatchObject({ code: 'APPROVAL_STATE' });
    expect((await approvalEvents()).map((e) => e.type)).toEqual(['approval.requested', 'approval.approved']);
  });

  it('a create cut short after its event: the retried create restores the same approval from the log', async () => {
    const store = createApprovalStore({ paths, clock, sessions });
    const { approval } = await store.create(input('k6'));
    await unlink(join(home, 'approvals', `${approval.id}.json`));
    now += 3_600_000;
    const again = await store.create(input('k6'));
    // Nobody was told about it (the notification follows the create): created, with its first times.
    expect(again).toEqual({ approval, created: true });
    expect(await fileOf(approval.id)).toMatchObject({ status: 'pending' });
    expect((await approvalEvents()).map((e) => e.type)).toEqual(['approval.requested']);
  });

  it('an approval of a session with no log (archived) still changes, in its file alone', async () => {
    const store = createApprovalStore({ paths, clock, sessions });
    const { approval } = await store.create({ ...input('k7'), sessionId: 'app-9' });
    expect((await store.decide(approval.id, 'approved')).status).toBe('approved');
    expect(await approvalEvents()).toEqual([]);
  });
});
