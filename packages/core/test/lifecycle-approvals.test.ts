// Approvals are never a dead end: the pure rules (which merges ask, what an approval key is made
// of, who is told about expired and rejected approvals, what Needs you says) and the store's
// withdrawal. The end-to-end flows run the built CLI in packages/cli/test/approvals-flow.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attentionOf,
  ConfigSchema,
  createApprovalStore,
  createLedger,
  createSessionStore,
  isAoError,
  needsApproval,
  resolvePaths,
  type Approval,
  type Autonomy,
  type Clock,
  type PullRequestStatus,
  type ResolvedProject,
  type Session,
} from '../src/index.js';
import type { ActionExecutor } from '../src/lifecycle/actions.js';
import { planReactions } from '../src/lifecycle/reactions.js';

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
  ...over,
});

const green = (over: { head?: string; reviewedAt?: string; reviewedSha?: string } = {}): PullRequestStatus => ({
  pr: { id: '1', title: 't', branch: 'feat/x', baseBranch: 'main', state: 'open', headSha: over.head ?? 'aaaa1111' },
  ci: { state: 'passing', sha: over.head ?? 'aaaa1111', failing: [] },
  review: { decision: 'approved', comments: [], latest: { at: over.reviewedAt ?? '2025-01-01T01:00:00.000Z', sha: over.reviewedSha ?? over.head ?? 'aaaa1111' } },
  mergeability: { mergeable: true, conflicts: false },
});

const reactions = ConfigSchema.parse({ projects: { app: {} } }).reactions;
// Planning never runs an effect: the executor is only captured by the runs it returns.
const exec = {} as ActionExecutor;

function plan(level: Autonomy, pr: PullRequestStatus | undefined, approvals: Approval[] = [], over: Partial<Session> = {}) {
  return planReactions({
    session: session(over),
    project: { name: 'app', autonomy: level } as ResolvedProject,
    reactions,
    ...(pr ? { pr } : {}),
    ledger: createLedger(),
    exec,
    now: Date.parse('2025-01-01T02:00:00.000Z'),
    enteredAt: '2025-01-01T00:00:00.000Z',
    stuckAfterMs: 600_000,
    approvals,
  });
}
const merge = (level: Autonomy, pr: PullRequestStatus) => plan(level, pr).find((r) => r.reaction === 'approved-and-green')!;

describe('merging on a human approval', () => {
  it('copilot: the approving review is the consent; manual still asks', () => {
    expect(needsApproval('copilot', 'merge', false, true)).toBe(false);
    expect(needsApproval('copilot', 'merge', false, false)).toBe(true);
    expect(needsApproval('manual', 'merge', false, true)).toBe(true);
    expect(merge('copilot', green()).detail).toEqual({ action: 'merge' });
    expect(merge('manual', green()).detail).toEqual({ action: 'merge', approval: true });
  });

  it('copilot: an approval of an older head is no consent for the new commits', () => {
    expect(merge('copilot', green({ head: 'bbbb2222', reviewedSha: 'aaaa1111' })).detail).toEqual({ action: 'merge', approval: true });
  });

  it('the key changes with the head, a new review and a new CI result, and only then', () => {
    const key = merge('manual', green()).key;
    expect(merge('manual', green()).key).toBe(key);
    expect(merge('manual', green({ head: 'bbbb2222' })).key).not.toBe(key);
    expect(merge('manual', green({ reviewedAt: '2025-01-01T01:30:00.000Z' })).key).not.toBe(key);
    const rerun = green();
    rerun.ci.sha = 'cccc3333';
    expect(merge('manual', rerun).key).not.toBe(key);
  });
});

describe('expired and rejected approvals', () => {
  const approval = (over: Partial<Approval>): Approval => ({
    id: 'ap-00000001',
    project: 'app',
    sessionId: 'app-1',
    action: { type: 'merge', payload: { prId: '1' } },
    reason: 'approved and green',
    reaction: 'approved-and-green',
    key: 'k',
    status: 'expired',
    createdAt: '2025-01-01T00:00:00.000Z',
    expiresAt: '2025-01-02T00:00:00.000Z',
    ...over,
  });
  const notices = (approvals: Approval[], over: Partial<Session> = {}) => plan('manual', undefined, approvals, over).filter((r) => r.reaction.startsWith('approval-'));

  it('each is told once (its own key), with how to do it by hand; withdrawn ones are not', () => {
    const runs = notices([
      approval({}),
      approval({ id: 'ap-00000002', status: 'rejected', decidedBy: 'ann', message: 'not yet' }),
      approval({ id: 'ap-00000003', supersededBy: 'ap-00000004' }),
      approval({ id: 'ap-00000004', status: 'pending' }),
    ]);
    expect(runs.map((r) => r.key)).toEqual(['approval-expired:app-1:ap-00000001', 'approval-rejected:app-1:ap-00000002']);
  });

  it('a merge question is moot once the PR is merged; a cleanup one is not', () => {
    const cleanup = approval({ id: 'ap-00000005', action: { type: 'cleanup', payload: {} } });
    const runs = notices([approval({}), cleanup], { status: 'merged', pr: { id: '1', state: 'merged' } });
    expect(runs.map((r) => r.key)).toEqual(['approval-expired:app-1:ap-00000005']);
  });

  it('Needs you: an approved, green PR that nobody is asked about waits for a human', () => {
    expect(attentionOf(session(), { pendingApproval: false })).toMatchObject({ reason: 'approval', text: expect.stringContaining('ao pr merge app-1') });
    expect(attentionOf(session(), { pendingApproval: true })).toMatchObject({ reason: 'approval', text: expect.stringContaining('ao approvals ls') });
    expect(attentionOf(session({ status: 'merged', pr: { id: '1', state: 'merged' } }))).toBeNull();
  });
});

describe('approval store: withdrawal', () => {
  let home: string;
  const clock: Clock = { now: () => Date.parse('2025-01-01T00:00:00Z'), sleep: async () => {} };
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'ao-approvals-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('withdraws a pending approval once; deciding it then says which one to decide instead', async () => {
    const store = createApprovalStore({ paths: resolvePaths({ AO_HOME: home }), clock, sessions: createSessionStore(resolvePaths({ AO_HOME: home }), { clock }) });
    const input = { project: 'app', sessionId: 'app-1', action: { type: 'merge' as const, payload: { prId: '1' } }, reason: 'r', reaction: 'approved-and-green' };
    const { approval: old } = await store.create({ ...input, key: 'k1' });
    const { approval: next } = await store.create({ ...input, key: 'k2' });
    expect(await store.supersede(old.id, next.id, 'the PR has a new head')).toMatchObject({ status: 'expired', decidedBy: 'ao', supersededBy: next.id, message: 'the PR has a new head' });
    expect(await store.supersede(old.id, next.id, 'again')).toBeUndefined();
    const error = await store.decide(old.id, 'approved').catch((e: unknown) => e);
    expect(isAoError(error) && error.code).toBe('APPROVAL_STATE');
    expect((error as Error).message).toContain(`decide ${next.id} instead`);
  });
});
