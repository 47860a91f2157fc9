// The lifecycle end to end with the built CLI: real repos, real tmux, the scripted fake agent,
// scm-local with a real CI command, and the example file notifier to observe notifications.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

const BAD_THEN_IDLE = { steps: [{ write: { path: 'f.txt', content: 'bad\n' } }, { commit: 'f: bad' }, { idle: true }] };
const GOOD_THEN_IDLE = { steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { idle: true }] };

function spawn(...args: string[]): string {
  const r = env.ao('spawn', ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').pop()!.trim();
}

const ciMessages = () => env.received().filter((t) => t.includes('CI failed'));

describe('lifecycle', () => {
  it('opens a PR for committed work, sends the CI failure exactly once', async () => {
    env.configure({ bad: BAD_THEN_IDLE }, 'autonomy: autopilot');
    const id = spawn('--prompt', 'make f.txt');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');

    const first = env.poll(); // opens the PR; its CI run keeps the command alive until recorded
    expect(first.stdout).toContain('opened PR #1');
    expect(env.session(id).pr).toMatchObject({ id: '1', state: 'open' });

    env.poll(); // CI failed → ci_failed, failure tail sent to the agent
    expect(env.session(id)).toMatchObject({ status: 'ci_failed', pr: { ci: 'failing' } });
    await until(() => ciMessages().length === 1, 10_000, 'the CI failure to reach the agent');
    expect(ciMessages()[0]).toContain('FAIL: f.txt says "bad", expected good');

    env.poll();
    env.poll();
    expect(ciMessages()).toHaveLength(1);
    const transitions = env.events(id).filter((e) => e.type === 'status.changed').map((e) => e.data?.to);
    expect(transitions).toEqual(['pr_open', 'ci_failed']);
    expect(env.events(id).filter((e) => e.type === 'reaction.done' && e.data?.reaction === 'ci-failed')).toHaveLength(1);
  });

  it('escalates after the retries: an approval in copilot, sent once approved', async () => {
    const agent = {
      steps: [
        { write: { path: 'f.txt', content: 'bad 1\n' } },
        { commit: 'f: bad 1' },
        { waitFor: 'CI failed' },
        { write: { path: 'f.txt', content: 'bad 2\n' } },
        { commit: 'f: bad 2' },
        { idle: true },
      ],
    };
    env.configure({ stubborn: agent }, 'autonomy: copilot\nreactions:\n  ci-failed: { retries: 1 }');
    const id = spawn('--prompt', 'make f.txt');
    await env.waitForLog('committed');
    env.poll(); // PR + CI run 1
    env.poll(); // failing → sent (attempt 1 of 1)
    await env.waitForLog('committed', 2);
    await env.waitForLog('waiting');
    env.poll(); // new head → CI run 2
    env.poll(); // failing again → retries used up → approval
    expect(ciMessages()).toHaveLength(1);
    const pending = env.json<{ id: string; action: { type: string }; sessionId: string; status: string }[]>('approvals', 'ls', '--json');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ sessionId: id, status: 'pending', action: { type: 'send' } });
    expect(env.notifications().some((n) => n.event === 'approval-requested' && n.body.includes(`ao approvals approve ${pending[0]!.id}`))).toBe(true);

    env.poll(); // asking again changes nothing
    expect(env.json<unknown[]>('approvals', 'ls', '--json')).toHaveLength(1);

    const approved = env.ao('approvals', 'approve', pending[0]!.id);
    expect(approved.code, approved.stderr).toBe(0);
    await until(() => ciMessages().length === 2, 10_000, 'the approved send');
    expect(env.ao('approvals', 'approve', pending[0]!.id).code).toBe(1); // once only
    env.poll();
    expect(ciMessages()).toHaveLength(2);
    expect(env.json<{ status: string; executedAt?: string }[]>('approvals', 'ls', '--json')[0]).toMatchObject({ status: 'approved' });
  });

  it('review: request-changes sends the comments; approve + green merges in autopilot, closes the issue, cleans up', async () => {
    env.configure({ good: GOOD_THEN_IDLE }, 'autonomy: autopilot');
    expect(env.ao('issue', 'new', 'Make f good').code).toBe(0);
    const id = spawn('1');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    env.poll(); // PR + CI (passing)
    env.poll();
    expect(env.session(id)).toMatchObject({ status: 'review_pending', pr: { ci: 'passing', review: 'pending' } });

    const badComment = env.ao('review', id, 'request-changes', '--comment', 'f.txt-without-a-line');
    expect(badComment.code).toBe(2);
    expect(badComment.stderr).toContain('expected <file>:<line>:<text>');
    const other = env.ao('review', id, 'request-changes', '-m', 'Please also explain why f.txt exists', '--comment', 'f.txt:1:why this word?');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('with 1 line comment');
    env.poll();
    expect(env.session(id).status).toBe('changes_requested');
    await until(
      () => env.received().some((t) => t.includes('Please also explain why f.txt exists') && /on f\.txt:1:\s+why this word\?/.test(t)),
      10_000,
      'review comments, the line comment with its file and line, at the agent',
    );
    env.poll();
    expect(env.received().filter((t) => t.includes('Please also explain'))).toHaveLength(1);

    expect(env.ao('review', id, 'approve', '-m', 'ok').code).toBe(0);
    const merged = env.poll();
    expect(merged.stdout).toContain('merged PR #1');
    const s = env.session(id);
    expect(s.status).toBe('done');
    expect(s.pr).toMatchObject({ state: 'merged' });
    expect(execFileSync('git', ['-C', env.repo, 'show', 'main:f.txt'], { encoding: 'utf8' })).toBe('good\n');
    expect(existsSync(s.workspacePath)).toBe(false);
    const closed = env.json<{ id: string; state: string }[]>('issue', 'ls', '--state', 'all', '--json');
    expect(closed.find((i) => i.id === '1')?.state).toBe('closed');
    expect(env.notifications().filter((n) => n.event === 'all-complete')).toHaveLength(1);
    env.poll();
    expect(env.notifications().filter((n) => n.event === 'all-complete')).toHaveLength(1);
  });

  it('copilot: one `ao review approve` merges (the review is the consent); a dirty workspace is kept', async () => {
    const dirty = { steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { write: { path: 'notes.txt', content: 'scratch\n' } }, { idle: true }] };
    env.configure({ dirty }, 'autonomy: copilot');
    const id = spawn('--prompt', 'make f.txt good');
    await env.waitForLog('wrote', 2);
    await env.waitForLog('waiting');
    env.poll();
    env.poll();
    expect(env.session(id).status).toBe('review_pending');
    expect(execFileSync('git', ['-C', env.repo, 'log', '--oneline', 'main'], { encoding: 'utf8' })).not.toContain('f: good');

    expect(env.ao('review', id, 'approve').code).toBe(0);
    expect(env.poll().stdout).toContain('merged PR #1');
    expect(env.json<unknown[]>('approvals', 'ls', '--json')).toEqual([]);
    expect(execFileSync('git', ['-C', env.repo, 'log', '--oneline', 'main'], { encoding: 'utf8' })).toContain('f: good');
    const s = env.session(id);
    expect(s.status).toBe('done');
    expect(readFileSync(join(s.workspacePath, 'notes.txt'), 'utf8')).toBe('scratch\n');
    expect(env.notifications().some((n) => n.event === 'workspace-kept' && n.sessionId === id)).toBe(true);
  });

  it('merged: the cleanup keeps gitignored work exactly as `ao session cleanup` does; --force-ignored removes it', async () => {
    writeFileSync(join(env.repo, '.gitignore'), `${readFileSync(join(env.repo, '.gitignore'), 'utf8')}*.log\n`);
    execFileSync('git', ['-C', env.repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'ignore logs']);
    const ignored = { steps: [{ write: { path: 'f.txt', content: 'good\n' } }, { commit: 'f: good' }, { write: { path: 'results.log', content: 'an hour of benchmarks\n' } }, { idle: true }] };
    env.configure({ ignored }, 'autonomy: copilot');
    const id = spawn('--prompt', 'make f.txt good');
    await env.waitForLog('wrote', 2);
    await env.waitForLog('waiting');
    env.poll();
    env.poll();
    expect(env.session(id).status).toBe('review_pending');
    expect(env.ao('review', id, 'approve').code).toBe(0);
    expect(env.poll().stdout).toContain('merged PR #1');
    const s = env.session(id);
    expect(s.status).toBe('done');
    // Clean to git and merged, but the gitignored results would go with it: kept, and said why.
    expect(readFileSync(join(s.workspacePath, 'results.log'), 'utf8')).toBe('an hour of benchmarks\n');
    const kept = env.notifications().find((n) => n.event === 'workspace-kept' && n.sessionId === id);
    expect(kept?.body).toContain(`gitignored files in ${s.workspacePath} would be deleted with it: results.log`);
    // `ao session cleanup` says the same, and removes it only when told to.
    expect(env.ao('session', 'cleanup').stdout).toContain(`kept ${id}: gitignored files in ${s.workspacePath} would be deleted with it: results.log`);
    expect(existsSync(s.workspacePath)).toBe(true);
    const forced = env.ao('session', 'cleanup', '--force-ignored');
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(s.workspacePath)).toBe(false);
  });

  it("an agent's own autonomy applies to its sessions; a project's level bounds it", async () => {
    const approveAndPoll = (id: string) => {
      env.poll();
      env.poll();
      expect(env.ao('review', id, 'approve').code).toBe(0);
      return env.poll();
    };
    // Top level copilot, the agent autopilot: its approved, green PR merges without asking.
    env.configure({ good: GOOD_THEN_IDLE }, 'autonomy: copilot', { good: 'autopilot' });
    const id = spawn('--prompt', 'make f.txt good');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    expect(approveAndPoll(id).stdout).toContain('merged PR #1');
    expect(env.json<unknown[]>('approvals', 'ls', '--json')).toEqual([]);

    // The project says manual itself: the more careful level wins, the PR and the merge wait.
    const more = { steps: [{ write: { path: 'g.txt', content: 'more\n' } }, { commit: 'g: more' }, { idle: true }] };
    env.configure({ good: more }, 'autonomy: copilot', { good: 'autopilot' });
    const config = join(env.repo, 'agent-orchestrator.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('    defaultBranch: main', '    defaultBranch: main\n    autonomy: manual'));
    const second = spawn('--prompt', 'add g.txt');
    await env.waitForLog('committed', 2);
    await env.waitForLog('waiting', 2);
    env.poll();
    const [openPr] = env.json<{ id: string; action: { type: string } }[]>('approvals', 'ls', '--json', '--status', 'pending');
    expect(openPr?.action.type).toBe('open-pr');
    expect(env.ao('approvals', 'approve', openPr!.id).code).toBe(0);
    const held = approveAndPoll(second);
    expect(held.stdout).not.toContain('merged PR #2');
    expect(env.session(second).status).toBe('mergeable');
    expect(env.json<{ action: { type: string }; sessionId: string }[]>('approvals', 'ls', '--json', '--status', 'pending')).toMatchObject([{ action: { type: 'merge' }, sessionId: second }]);
  });

  it('reject: the action never runs', async () => {
    env.configure({ good: GOOD_THEN_IDLE }, 'autonomy: manual');
    const id = spawn('--prompt', 'make f.txt good');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    env.poll();
    const [ask] = env.json<{ id: string; action: { type: string } }[]>('approvals', 'ls', '--json');
    expect(ask?.action.type).toBe('open-pr');
    expect(env.session(id).pr).toBeNull();
    expect(env.ao('approvals', 'reject', ask!.id, '-m', 'not yet').code).toBe(0);
    env.poll();
    expect(env.session(id).pr).toBeNull();
    expect(env.json<{ status: string; message?: string }[]>('approvals', 'ls', '--json')[0]).toMatchObject({ status: 'rejected', message: 'not yet' });
    expect(env.ao('approvals', 'approve', ask!.id).code).toBe(1);
  });

  it('notifies when the agent asks a question and when it exits', async () => {
    env.configure(
      {
        asker: { steps: [{ print: 'Do you want to proceed with the edit? (y/n)' }, { prompt: '' }, { idle: true }] },
        quitter: { steps: [{ print: 'bye' }, { exit: 0 }] },
      },
      'autonomy: autopilot',
    );
    const asker = spawn('--prompt', 'ask', '--agent', 'asker');
    const quitter = spawn('--prompt', 'quit', '--agent', 'quitter');
    await env.waitForLog('exited', 1, 'quitter');
    await env.waitForLog('waiting', 1, 'asker');
    env.poll();
    env.poll();
    expect(env.session(asker).status).toBe('needs_input');
    const notes = env.notifications();
    expect(notes.filter((n) => n.event === 'needs-input' && n.sessionId === asker)).toHaveLength(1);
    const exited = notes.filter((n) => n.event === 'agent-exited' && n.sessionId === quitter);
    expect(exited).toHaveLength(1);
    expect(exited[0]!.body).toContain(`ao session restore ${quitter}`);
  });

  it('stuck: an agent idle at its prompt with no commits is stuck, nudged, and then needs you', async () => {
    const idler = { steps: [{ print: 'I looked around.' }, { idle: true }] };
    env.configure({ idler }, 'autonomy: autopilot\nlifecycle: { stuckAfterMs: 100 }\nreactions:\n  stuck: { escalateAfterMs: 100, message: "still there? say what you need" }');
    const id = spawn('--prompt', 'do something');
    await env.waitForLog('waiting');
    await until(() => {
      env.poll();
      return env.session(id).status === 'stuck';
    }, 10_000, 'status stuck');
    expect(env.events(id).find((e) => e.type === 'status.changed' && e.data?.to === 'stuck')?.data?.reason).toBe('idle at its prompt with no commits');
    await until(() => env.received().some((t) => t.includes('still there?')), 10_000, 'the nudge at the agent');
    const needs = env.ao('status', '--attention');
    expect(needs.code).toBe(1);
    expect(needs.stdout).toContain(`! ${id}  stuck`);
  });

  it('stuck: nudges the agent once, then notifies after escalateAfterMs', async () => {
    const spinner = { steps: [{ print: '⠋ thinking very hard' }, { sleep: 600000 }] };
    env.configure({ spinner }, 'autonomy: autopilot\nlifecycle: { stuckAfterMs: 100 }\nreactions:\n  stuck: { escalateAfterMs: 100, message: "still there? say what you need" }');
    const id = spawn('--prompt', 'think');
    await env.waitForLog('started');
    await until(() => {
      env.poll();
      return env.session(id).status === 'stuck';
    }, 10_000, 'status stuck');
    const nudged = () => env.events(id).filter((e) => e.type === 'message.sent' && String(e.data?.preview).includes('still there?'));
    expect(nudged()).toHaveLength(1);
    const escalated = () => env.notifications().filter((n) => n.event === 'stuck' && n.sessionId === id);
    // Polled until the nudge has gone unanswered for escalateAfterMs: then it escalates, once.
    await until(() => {
      env.poll();
      return escalated().length > 0;
    }, 20_000, 'the stuck notification');
    env.poll();
    env.poll();
    expect(nudged()).toHaveLength(1);
    expect(escalated()).toHaveLength(1);
  });

  it('pr open and review errors say what to do', async () => {
    env.configure({ good: GOOD_THEN_IDLE }, 'autonomy: manual');
    const id = spawn('--prompt', 'make f.txt good');
    const early = env.ao('review', id, 'approve');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`ao pr open ${id}`);
    await env.waitForLog('committed');
    const opened = env.ao('pr', 'open', id);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toContain('PR #1 open');
    expect(env.session(id)).toMatchObject({ status: 'pr_open', pr: { id: '1', state: 'open' } });
    expect(env.ao('review', id, 'maybe').code).toBe(2);
  });
});

describe('lifecycle durability', () => {
  it('a poll killed right after reaction.pending: the next poll sends once', async () => {
    env.configure({ bad: BAD_THEN_IDLE }, 'autonomy: autopilot');
    const id = spawn('--prompt', 'make f.txt');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    env.poll(); // PR + CI
    await env.pollAndKill('reaction.pending', 'ci-failed');
    const pending = env.events(id).filter((e) => e.type === 'reaction.pending' && e.data?.reaction === 'ci-failed');
    expect(pending).toHaveLength(1);
    expect(ciMessages()).toHaveLength(0);

    env.poll();
    await until(() => ciMessages().length === 1, 10_000, 'the resumed send');
    env.poll();
    expect(ciMessages()).toHaveLength(1);
    const done = env.events(id).filter((e) => e.type === 'reaction.done' && e.data?.reaction === 'ci-failed');
    expect(done).toHaveLength(1);
    expect(String(done[0]!.data?.outcome)).toMatch(/^sent/);
  });

  it('a poll killed once its send began: the next poll finds it never arrived and sends it once', async () => {
    env.configure({ bad: BAD_THEN_IDLE }, 'autonomy: autopilot');
    const id = spawn('--prompt', 'make f.txt');
    await env.waitForLog('committed');
    await env.waitForLog('waiting');
    env.poll();
    await env.pollAndKill('reaction.attempt', 'ci-failed');
    env.poll();
    await until(() => ciMessages().length === 1, 10_000, 'the resent CI failure');
    env.poll();
    expect(ciMessages()).toHaveLength(1);
    const done = env.events(id).filter((e) => e.type === 'reaction.done' && e.data?.reaction === 'ci-failed');
    expect(done).toHaveLength(1);
    expect(String(done[0]!.data?.outcome)).toMatch(/^sent/);
  });
});
