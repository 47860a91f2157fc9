import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SessionSchema, type Session } from '../src/index.js';
import { compileFastCheck } from '../src/sessions/fast-check.js';

const full: Session = {
  id: 'app-1',
  project: 'app',
  issue: null,
  title: null,
  branch: 'ao/app-1',
  baseBranch: 'main',
  workspacePath: '/w',
  agent: 'codex',
  runtimeName: 'tmux',
  workspaceName: 'worktree',
  runtime: { runtime: 'tmux', id: 'ao-app-1', data: { pane: '%1', n: 2, ok: true, none: null } },
  status: 'pr_open',
  activity: 'waiting_input',
  activityDetail: 'asks a question',
  nativeSessionId: null,
  pr: { id: '3', url: 'http://x/3', state: 'open', ci: 'failing' },
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  startedAt: null,
  lastEvent: { type: 'pr.opened', ts: '2025-01-01T00:00:00.000Z' },
  spawnMs: 812,
};

describe('fast snapshot check', () => {
  const check = compileFastCheck(SessionSchema);

  it('accepts exactly what zod would return unchanged', () => {
    expect(SessionSchema.parse(full)).toEqual(full);
    expect(check(full)).toBe(true);
    expect(check({ ...full, runtime: null, pr: null, activity: null })).toBe(true);
  });

  it('defers to zod for anything zod would change or reject', () => {
    const { title: _title, ...noTitle } = full; // defaulted field missing: zod fills it
    const cases: unknown[] = [
      noTitle,
      { ...full, extra: 1 }, // zod strips unknown keys
      { ...full, pr: { ...full.pr, extra: 1 } },
      { ...full, status: 'sleeping' },
      { ...full, spawnMs: '812' },
      { ...full, runtime: { runtime: 'tmux', id: 'x', data: { deep: {} } } },
      { ...full, lastEvent: { type: 'x' } },
      null,
      [],
    ];
    for (const value of cases) expect(check(value)).toBe(false);
  });

  it('answers no for zod types it does not know, instead of guessing', () => {
    expect(compileFastCheck(z.string().min(2))('a')).toBe(false);
    expect(compileFastCheck(z.object({ a: z.string() }).strict())({ a: 'x' })).toBe(false);
    expect(compileFastCheck(z.array(z.string()))(['x'])).toBe(false);
    expect(compileFastCheck(z.object({ a: z.string().optional() }))({})).toBe(true);
  });
});
