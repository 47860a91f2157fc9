import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalIdFor, createApprovalStore, createSessionStore, isAoError, resolvePaths, type AoPaths, type Clock } from '../src/index.js';

let home: string;
let paths: AoPaths;
let now: number;
const clock: Clock = { now: () => now, sleep: async () => {} };

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ao-approvals-'));
  paths = resolvePaths({ AO_HOME: home });
  now = Date.parse('2025-01-01T00:00:00Z');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const input = (key: string) => ({
  key,
  project: 'app',
  sessionId: 'app-1',
  action: { type: 'merge' as const, payload: { prId: '1' } },
  reason: 'approved and green',
  reaction: 'approved-and-green',
});

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isAoError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('approval store', () => {
  it('creates one approval per key, as one JSON file under AO_HOME/approvals', async () => {
    const store = createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }) });
    const a = await store.create(input('approved-and-green:app-1:abc'));
    const again = await store.create(input('approved-and-green:app-1:abc'));
    expect(a.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.approval.id).toBe(a.approval.id);
    expect(a.approval.id).toBe(approvalIdFor('approved-and-green:app-1:abc'));
    expect(a.approval).toMatchObject({ status: 'pending', project: 'app', sessionId: 'app-1', createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-02T00:00:00.000Z' });
    const files = (await readdir(join(home, 'approvals'))).filter((f) => f.endsWith('.json'));
    expect(files).toEqual([`${a.approval.id}.json`]);
    expect(JSON.parse(await readFile(join(home, 'approvals', files[0]!), 'utf8')).action).toEqual({ type: 'merge', payload: { prId: '1' } });
  });

  it('decides once: approve or reject, then APPROVAL_STATE', async () => {
    const store = createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }) });
    const { approval } = await store.create(input('k1'));
    const decided = await store.decide(approval.id, 'rejected', { by: 'ann', message: 'not yet' });
    expect(decided).toMatchObject({ status: 'rejected', decidedBy: 'ann', message: 'not yet' });
    expect(await code(store.decide(approval.id, 'approved'))).toBe('APPROVAL_STATE');
    expect(await code(store.get('ap-00000000'))).toBe('APPROVAL_NOT_FOUND');
    expect(await code(store.get('../etc'))).toBe('APPROVAL_NOT_FOUND');
  });

  it('marks a pending approval expired when read after expiresAt, and refuses to approve it', async () => {
    const store = createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }), expiryHours: 2 });
    const { approval } = await store.create(input('k2'));
    const { approval: other } = await store.create(input('k3'));
    await store.decide(other.id, 'approved');
    now += 2 * 3_600_000 + 1;
    const listed = await store.list();
    expect(listed.approvals.find((a) => a.id === approval.id)?.status).toBe('expired');
    expect(listed.approvals.find((a) => a.id === other.id)?.status).toBe('approved');
    // Persisted: a store that never saw it sees it expired too.
    expect((await createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }) }).get(approval.id)).status).toBe('expired');
    expect(await code(store.decide(approval.id, 'approved'))).toBe('APPROVAL_STATE');
    expect((await store.list({ status: 'pending' })).approvals).toEqual([]);
  });

  it('skips a corrupt file and names it', async () => {
    const store = createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }) });
    await store.create(input('k4'));
    await writeFile(join(home, 'approvals', 'ap-deadbeef.json'), '{ not json');
    const { approvals, problems } = await store.list();
    expect(approvals).toHaveLength(1);
    expect(problems[0]?.path).toContain('ap-deadbeef.json');
  });

  it('records execution once', async () => {
    const store = createApprovalStore({ paths, clock, sessions: createSessionStore(paths, { clock }) });
    const { approval } = await store.create(input('k5'));
    await store.decide(approval.id, 'approved');
    const first = await store.markExecuted(approval.id, 'merged PR #1');
    now += 1000;
    const second = await store.markExecuted(approval.id, 'again');
    expect(second.outcome).toBe('merged PR #1');
    expect(second.executedAt).toBe(first.executedAt);
  });
});
