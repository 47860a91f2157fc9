import { describe, expect, it } from 'vitest';
import { decideFromTurn, detectWithFallback, type TurnState } from '../src/activity/index.js';

const now = 1_800_000_000_000;
const probe = (extra: Record<string, unknown> = {}) => ({ workspacePath: '/w', alive: true, startedAt: now - 600_000, now, ...extra });
const decide = (turn: TurnState, logAgeMs: number, extra: Record<string, unknown> = {}) =>
  decideFromTurn({ probe: probe(extra), turn, logMtimeMs: now - logAgeMs, source: 'test-log', nativeSessionId: 'abc', screen: { idle: [/^> ?$/m] } });

describe('decideFromTurn', () => {
  it('maps turn states to activities and carries the native session id', () => {
    expect(decide({ kind: 'working' }, 1_000)).toMatchObject({ activity: 'active', source: 'test-log', nativeSessionId: 'abc' });
    expect(decide({ kind: 'tool', detail: 'running Bash' }, 120_000)).toMatchObject({ activity: 'active', detail: 'running Bash' });
    expect(decide({ kind: 'ended' }, 1_000)?.activity).toBe('idle');
    expect(decide({ kind: 'failed', detail: 'rate_limit' }, 1_000)).toMatchObject({ activity: 'blocked', detail: 'rate_limit' });
    expect(decide({ kind: 'asking' }, 1_000)?.activity).toBe('waiting_input');
    expect(decide({ kind: 'unknown' }, 1_000)).toBeUndefined();
  });

  it('calls a bare reply idle only once the log is quiet or the screen rests at the prompt', () => {
    expect(decide({ kind: 'replied' }, 5_000)?.activity).toBe('active');
    expect(decide({ kind: 'replied' }, 31_000)?.activity).toBe('idle');
    expect(decide({ kind: 'replied' }, 5_000, { screen: 'All done.\n> ', msSinceScreenChange: 6_000 })?.activity).toBe('idle');
    expect(decide({ kind: 'replied' }, 5_000, { screen: 'All done.\n> ', msSinceScreenChange: 1_000 })?.activity).toBe('active');
  });

  it('lets a question on screen win over a running tool (approval menus are not logged)', () => {
    const report = decide({ kind: 'tool' }, 1_000, { screen: 'Bash(rm -rf dist)\nDo you want to proceed?\n❯ 1. Yes\n  2. No' });
    expect(report).toMatchObject({ activity: 'waiting_input', nativeSessionId: 'abc' });
  });

  it('reports blocked from a quiet screen the log does not explain', () => {
    const report = decide({ kind: 'working' }, 60_000, { screen: 'Claude usage limit reached. Resets 5pm', msSinceScreenChange: 60_000 });
    expect(report?.activity).toBe('blocked');
  });

  it('says exited when the process is gone', () => {
    expect(decide({ kind: 'working' }, 0, { alive: false })?.activity).toBe('exited');
  });
});

describe('detectWithFallback', () => {
  const screen = () => ({ activity: 'idle' as const, source: 'screen' });
  it('uses the native answer, else the screen, and never throws', async () => {
    expect(await detectWithFallback(probe(), async () => ({ activity: 'active', source: 'log' }), screen)).toMatchObject({ source: 'log' });
    expect(await detectWithFallback(probe(), async () => undefined, screen)).toMatchObject({ source: 'screen' });
    expect(
      await detectWithFallback(probe(), async () => {
        throw new Error('EACCES');
      }, screen),
    ).toMatchObject({ source: 'screen' });
  });

  it('answers exited when the process is gone, with the conversation its log names', async () => {
    const report = await detectWithFallback(probe({ alive: false }), async () => ({ activity: 'active', source: 'log' }), screen);
    expect(report).toEqual({ activity: 'exited', source: 'runtime', detail: 'process ended' });
    const named = await detectWithFallback(probe({ alive: false }), async () => ({ activity: 'exited', source: 'log', nativeSessionId: 'c-1' }), screen);
    expect(named).toMatchObject({ activity: 'exited', nativeSessionId: 'c-1' });
    const unreadable = await detectWithFallback(probe({ alive: false }), async () => {
      throw new Error('EACCES');
    }, screen);
    expect(unreadable.activity).toBe('exited');
  });
});
