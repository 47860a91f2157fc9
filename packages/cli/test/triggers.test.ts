// Triggers in-process with an injected clock (cron) and the real local tracker (issue events),
// over the same SessionManager and queue the daemon uses.
import { join } from 'node:path';
import {
  createSessionManager,
  createSessionStore,
  createSpawnQueue,
  createTriggerRunner,
  exec,
  loadConfig,
  resolveConfig,
  resolvePaths,
  silentLogger,
  type Clock,
} from '@ao/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/context.js';
import { createSessionEnv, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

async function open(triggersYaml: string, at: string) {
  env.writeConfig(`triggers:\n${triggersYaml}`);
  const processEnv = { ...process.env, AO_HOME: env.home };
  const registry = createRegistry();
  const config = await resolveConfig(loadConfig({ file: join(env.repo, 'agent-orchestrator.yaml'), env: processEnv }), registry, { env: processEnv });
  const paths = resolvePaths(processEnv);
  const store = createSessionStore(paths);
  const time = { ms: Date.parse(at) };
  const clock: Clock = { now: () => time.ms, sleep: async (ms) => void (time.ms += ms) };
  const manager = createSessionManager({ config, registry, store, paths, logger: silentLogger, clock, exec, env: processEnv });
  const queue = createSpawnQueue({ config, manager, store, paths, logger: silentLogger });
  const triggers = createTriggerRunner({ config, manager, queue, store, paths, logger: silentLogger, clock });
  const sessions = async () => (await store.list()).sessions;
  return { triggers, time, sessions, queue, manager, store };
}

describe('triggers', () => {
  it('a cron trigger fires once per slot, on the injected clock, and skips while its work still runs', async () => {
    const { triggers, time, sessions, store } = await open(
      '  - id: nightly\n    cron: "0 3 * * *"\n    timezone: UTC\n    prompt: Update the dependencies\n    priority: 3\n',
      '2026-01-01T02:59:00Z',
    );
    expect(await triggers.tick()).toEqual([]); // first sight: the schedule starts now
    expect((await triggers.list())[0]).toMatchObject({ id: 'nightly', when: 'cron 0 3 * * * (UTC)', nextRun: '2026-01-01T03:00:00.000Z' });

    time.ms = Date.parse('2026-01-01T03:00:00Z');
    const [fired] = await triggers.tick();
    expect(fired).toMatchObject({ trigger: 'nightly', key: '2026-01-01T03:00:00.000Z', outcome: expect.stringMatching(/^queued app-1$/) });
    const [s] = await sessions();
    expect(s).toMatchObject({ id: 'app-1', status: 'queued', priority: 3, trigger: { id: 'nightly', key: '2026-01-01T03:00:00.000Z' }, title: 'Update the dependencies' });
    // The firing is an event in the log of the work it queued (what /api/events subscribers see).
    expect((await store.events('app', 'app-1')).filter((e) => e.type === 'trigger.fired').map((e) => e.data)).toEqual([{ trigger: 'nightly', key: '2026-01-01T03:00:00.000Z', policy: 'skip-if-running' }]);

    time.ms = Date.parse('2026-01-01T03:00:30Z');
    expect(await triggers.tick()).toEqual([]);

    // A day (and a missed slot) later, its first work still waits: skip-if-running.
    time.ms = Date.parse('2026-01-03T03:00:05Z');
    const [skipped] = await triggers.tick();
    expect(skipped).toMatchObject({ key: '2026-01-03T03:00:00.000Z', outcome: 'skipped: app-1 still runs' });
    expect(await sessions()).toHaveLength(1);
    expect((await triggers.list())[0]).toMatchObject({ lastOutcome: 'skipped: app-1 still runs', nextRun: '2026-01-04T03:00:00.000Z' });

    // `ao trigger run` fires now, by the same policy.
    expect((await triggers.run('nightly'))[0]?.outcome).toBe('skipped: app-1 still runs');
  });

  it('policy replace takes the earlier work out of the queue; policy queue adds to it', async () => {
    const { triggers, time, sessions } = await open(
      '  - id: replacing\n    cron: "*/10 * * * * *"\n    prompt: again\n    policy: replace\n  - id: stacking\n    cron: "*/10 * * * * *"\n    prompt: more\n    policy: queue\n',
      '2026-01-01T00:00:01Z',
    );
    await triggers.tick();
    time.ms += 10_000;
    await triggers.tick();
    time.ms += 10_000;
    const second = await triggers.tick();
    expect(second.find((f) => f.trigger === 'replacing')?.outcome).toMatch(/^queued app-\d \(replacing app-\d\)$/);
    const left = await sessions();
    expect(left.filter((s) => s.trigger?.id === 'replacing')).toHaveLength(1);
    expect(left.filter((s) => s.trigger?.id === 'stacking' && s.status === 'queued')).toHaveLength(2);
  });

  it('issue.labeled fires once for each issue that appears with the label; issues there before are not replayed', async () => {
    const { triggers, sessions } = await open('  - id: ready\n    on: issue.labeled\n    label: ready\n    prompt: Keep the change small.\n', '2026-01-01T00:00:00Z');
    expect(env.ao('issue', 'new', 'Old one', '--label', 'ready').code).toBe(0);
    expect(await triggers.tick()).toEqual([]);

    expect(env.ao('issue', 'new', 'Add dark mode', '--label', 'ready').code).toBe(0);
    expect(env.ao('issue', 'new', 'Not ready yet').code).toBe(0);
    const fired = await triggers.tick();
    expect(fired).toEqual([expect.objectContaining({ trigger: 'ready', key: 'issue:2', outcome: expect.stringMatching(/^queued app-1$/) })]);
    expect(await sessions()).toEqual([expect.objectContaining({ issue: '2', status: 'queued', title: 'Add dark mode', trigger: { id: 'ready', key: 'issue:2' } })]);
    expect(await triggers.tick()).toEqual([]);
  });
});
