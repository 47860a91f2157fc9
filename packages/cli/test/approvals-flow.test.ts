// Approvals are never a dead end (issue 12 §4), end to end with the built CLI: real repos, real
// tmux, the scripted fake agent, scm-local with a real CI command, the example file notifier.
// copilot: the approving review is the consent to merge (for the head it saw); manual: a merge
// approval; expired and rejected approvals are told to a human and asked again on the next change;
// `ao pr merge` merges by hand.
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from './session-env.js';
import { createLifecycleEnv, type LifecycleEnv } from './lifecycle-env.js';

let env: LifecycleEnv;
beforeEach(async () => {
  env = await createLifecycleEnv();
});
afterEach(async () => {
  await env.cleanup();
});

interface ApprovalJson {
  id: string;
  status: string;
  sessionId: string;
  action: { type: string; payload: Record<string, unknown> };
  reason: string;
  supersededBy?: string;
}

const GOOD_THEN_IDLE = { steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { idle: true }] };
/** Commits good work, then one more commit when told "one more". */
const GOOD_THEN_MORE = {
  steps: [
    { write: { path: 'f.txt', content: 'good\n' } },
    { commit: 'f: good' },
    { waitFor: 'one more' },
    { write: { path: 'g.txt', content: 'more\n' } },
    { commit: 'g: more' },
    { idle: true },
  ],
};

function spawn(...args: string[]): string {
  const r = env.ao('spawn', ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').pop()!.trim();
}

const mainLog = () => execFileSync('git', ['-C', env.repo, 'log', '--oneline', 'main'], { encoding: 'utf8' });
const approvals = (status?: string) => env.json<ApprovalJson[]>('approvals', 'ls', '--json', ...(status ? ['--status', status] : []));
const notes = (event: string) => env.notifications().filter((n) => n.event === event);

/** Polls until the session has `status` (CI runs between polls). */
async function pollUntil(id: string, status: string): Promise<void> {
  await until(() => {
    env.poll();
    return env.session(id).status === status;
  }, 30_000, `${id} ${status}`);
}

/** A session whose PR (opened by hand) is green and waits for review. */
async function greenPr(agent: unknown, extra: string): Promise<string> {
  env.configure({ agent }, `${extra}\nlifecycle: { autoOpenPr: false }`);
  const id = spawn('--prompt', 'make f.txt good');
  await env.waitForLog('committed');
  await env.waitForLog('waiting');
  expect(env.ao('pr', 'open', id).code).toBe(0);
  await pollUntil(id, 'review_pending');
  return id;
}

describe('approvals are never a dead end', () => {
  it('manual: the approving review, then the merge approval', async () => {
    const id = await greenPr(GOOD_THEN_IDLE, 'autonomy: manual');
    expect(env.ao('review', id, 'approve').code).toBe(0);
    env.poll();
    expect(env.session(id).status).toBe('mergeable');
    expect(mainLog()).not.toContain('f: good');
    const [merge] = approvals('pending');
    expect(merge).toMatchObject({ sessionId: id, action: { type: 'merge', payload: { prId: '1' } } });
    const r = env.ao('approvals', 'approve', merge!.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('merged PR #1');
    expect(mainLog()).toContain('f: good');
  });

  it('copilot: the review is the consent for the head it saw; commits after it are asked about', async () => {
    const id = await greenPr(GOOD_THEN_MORE, 'autonomy: copilot');
    expect(env.ao('review', id, 'approve').code).toBe(0);
    // The agent commits again before ao merges: the approval saw the first head only.
    expect(env.ao('send', id, 'one more thing').code).toBe(0);
    await env.waitForLog('committed', 2);
    await pollUntil(id, 'mergeable');
    expect(mainLog()).not.toContain('f: good');
    const [ask] = approvals('pending');
    expect(ask).toMatchObject({ sessionId: id, action: { type: 'merge' } });
    expect(ask!.reason).toMatch(/was approved at [0-9a-f]{8} and has new commits since/);
    expect(notes('approval-requested').some((n) => n.body.includes(`ao approvals approve ${ask!.id}`))).toBe(true);

    // A new approving review of the new head is the consent again: one step, no approval needed.
    expect(env.ao('review', id, 'approve').code).toBe(0);
    expect(env.poll().stdout).toContain('merged PR #1');
    expect(mainLog()).toContain('g: more');
    // The question about the older state was withdrawn, and cannot be approved any more.
    expect(approvals().find((a) => a.id === ask!.id)).toMatchObject({ status: 'expired', supersededBy: 'merged' });
    expect(env.ao('approvals', 'ls').stdout).toContain('withdrawn (merged)');
    const late = env.ao('approvals', 'approve', ask!.id);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('was withdrawn: PR #1 was merged');
  });

  it('expired: a human is told once, Needs you shows it, a new review asks again; ao pr merge merges', async () => {
    // Approvals expire ~4 ms after they are asked: the next ao process always finds them overdue.
    const id = await greenPr(GOOD_THEN_IDLE, 'autonomy: manual\napprovals: { expiryHours: 0.000001 }');
    expect(env.ao('review', id, 'approve').code).toBe(0);
    env.poll();
    const [first] = approvals();
    expect(first).toMatchObject({ sessionId: id, status: 'expired', action: { type: 'merge' } });

    env.poll();
    env.poll();
    const expired = notes('approval-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ sessionId: id, level: 'action' });
    expect(expired[0]!.body).toContain(`ao pr merge ${id}`);
    expect(expired[0]!.body).toContain('asks again on the next change');
    expect(approvals()).toHaveLength(1); // nothing changed: not asked again
    const late = env.ao('approvals', 'approve', first!.id);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('expired');
    const attention = env.ao('status', '--attention');
    expect(attention.code).toBe(1);
    expect(attention.stdout).toContain(`ao pr merge ${id}`);

    // The next change (a new review) asks again, with a new approval.
    expect(env.ao('review', id, 'approve', '-m', 'still good').code).toBe(0);
    env.poll();
    const all = approvals();
    expect(all).toHaveLength(2);
    const second = all.find((a) => a.id !== first!.id)!;
    expect(second).toMatchObject({ sessionId: id, action: { type: 'merge' } });
    expect(notes('approval-requested').filter((n) => n.body.includes(`ao approvals approve ${second.id}`))).toHaveLength(1);

    const merged = env.ao('pr', 'merge', id);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('merged PR #1');
    expect(mainLog()).toContain('f: good');
    expect(env.events(id).filter((e) => e.type === 'reaction.done' && e.data?.reaction === 'pr-merge')).toHaveLength(1);
    env.poll(); // merged → cleanup asks (manual); the moot merge questions are not told again
    expect(env.session(id).status).toBe('merged');
    expect(notes('approval-expired').filter((n) => n.title.includes('merge PR'))).toHaveLength(1);
  });

  it('rejected: a human is told, a new commit asks again, and that approval merges', async () => {
    const id = await greenPr(GOOD_THEN_MORE, 'autonomy: manual');
    expect(env.ao('review', id, 'approve').code).toBe(0);
    env.poll();
    const [first] = approvals('pending');
    expect(env.ao('approvals', 'reject', first!.id, '-m', 'not before the release').code).toBe(0);
    env.poll();
    env.poll();
    const rejected = notes('approval-rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.body).toContain('"not before the release"');
    expect(rejected[0]!.body).toContain(`ao pr merge ${id}`);
    expect(approvals('pending')).toHaveLength(0);

    expect(env.ao('send', id, 'one more thing').code).toBe(0);
    await env.waitForLog('committed', 2);
    await until(() => {
      env.poll();
      return approvals('pending').length === 1;
    }, 30_000, 'a new merge approval for the new head');
    const [second] = approvals('pending');
    expect(second!.id).not.toBe(first!.id);
    const r = env.ao('approvals', 'approve', second!.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('merged PR #1');
    expect(mainLog()).toContain('g: more');
  });

  it('ao pr merge refuses failing CI unless --force, and says so', async () => {
    const bad = { steps: [{ write: { path: 'f.txt', content: 'bad\n' } }, { commit: 'f: bad' }, { idle: true }] };
    env.configure({ bad }, 'autonomy: copilot\nlifecycle: { autoOpenPr: false }\nreactions:\n  ci-failed: { enabled: false }');
    const id = spawn('--prompt', 'make f.txt');
    await env.waitForLog('committed');
    const none = env.ao('pr', 'merge', id);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`ao pr open ${id}`);
    expect(env.ao('pr', 'open', id).code).toBe(0);
    await pollUntil(id, 'ci_failed');

    const refused = env.ao('pr', 'merge', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('CI is failing');
    expect(refused.stderr).toContain(`ao pr merge ${id} --force`);
    expect(mainLog()).not.toContain('f: bad');

    const forced = env.ao('pr', 'merge', id, '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ session: id, outcome: 'merged PR #1', pr: { state: 'merged' } });
    expect(mainLog()).toContain('f: bad');
    const done = env.events(id).find((e) => e.type === 'reaction.pending' && e.data?.reaction === 'pr-merge');
    expect(done?.data).toMatchObject({ action: 'merge', forced: [expect.stringContaining('CI is failing')] });
    expect(env.ao('pr', 'merge', id).stderr).toContain('already merged');
  });
});
