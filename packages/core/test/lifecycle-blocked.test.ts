import { expect, it } from 'vitest';
import { deriveStatus, type Session } from '../src/index.js';

const session = (over: Partial<Session>): Session =>
  ({
    id: 'app-1',
    project: 'app',
    issue: null,
    title: 'x',
    branch: 'ao/app-1',
    baseBranch: 'main',
    workspacePath: '/tmp/ws',
    agent: 'claude-code',
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
    ...over,
  }) as Session;

it('a blocked agent (not logged in, bad key, usage limit) needs a human, with what blocks it', () => {
  const derived = deriveStatus({ session: session({ activity: 'blocked', activityDetail: 'Not logged in · Please run /login' }), stuck: false });
  expect(derived.status).toBe('needs_input');
  expect(derived.reason).toBe('blocked: Not logged in · Please run /login');
  // Final states stay final.
  expect(deriveStatus({ session: session({ status: 'killed', activity: 'blocked' }), stuck: false }).status).toBe('killed');
});
