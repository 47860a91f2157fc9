// The plan runner in-process with an injected clock, over real git worktrees, tmux and the fake
// agent: retries with backoff, timeouts, and the crash window between starting a step and saving it.
import { join } from 'node:path';
import {
  createPlanRunner,
  createPlanStore,
  createSessionManager,
  createSessionStore,
  createSpawnQueue,
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

async function open() {
  env.writeConfig('limits:\n  maxConcurrentSessions: 4\n');
  const processEnv = { ...process.env, AO_HOME: env.home };
  const registry = createRegistry();
  const config = await resolveConfig(loadConfig({ file: join(env.repo, 'agent-orchestrator.yaml'), env: processEnv }), registry, { env: processEnv });
  const paths = resolvePaths(processEnv);
  const store = createSessionStore(paths);
  const time = { ms: Date.parse('2026-01-01T00:00:00Z') };
  // Time moves only when the test says so; waits (for an agent's first screen) are real.
  const clock: Clock = { now: () => time.ms, sleep: async (ms) => void (time.ms += ms) };
  const manager = createSessionManager({ config, registry, store, paths, logger: silentLogger, clock, exec, env: processEnv });
  const queue = createSpawnQueue({ config, manager, store, paths, logger: silentLogger });
  const plans = createPlanStore(paths);
  const runner = createPlanRunner({ config, manager, queue, store, plans, logger: silentLogger, clock });
  const planFile = (yaml: string) => ({ text: yaml, file: join(env.repo, 'p.plan.yaml') });
  return { manager, queue, plans, runner, time, planFile, store };
}

describe('plan runner', () => {
  it('a step that times out is killed (work kept) and retried after its backoff; out of retries it fails', async () => {
    const { manager, queue, runner, time, planFile } = await open();
    const { text, file } = planFile(['name: slow', 'steps:', '  - id: slow', '    prompt: never finishes', '    retries: 1', '    timeoutMinutes: 10', ''].join('\n'));
    const { record } = await runner.run(text, file);
    const id = record!.id;
    expect((await queue.admit()).started).toHaveLength(1);
    let plan = await runner.advance(id);
    expect(plan.steps[0]).toMatchObject({ state: 'running' });
    const first = plan.steps[0]!.runs[0]!.sessionId;

    time.ms += 10 * 60_000;
    plan = await runner.advance(id);
    const killed = await manager.get(first);
    expect(killed.status).toBe('killed');
    expect(plan.steps[0]!.runs[0]).toMatchObject({ state: 'failed', reason: expect.stringContaining('timed out after 10 minutes (killed; its work is kept in') });
    // The first retry waits one minute.
    expect(plan.steps[0]).toMatchObject({ state: 'running', retryAt: { '': new Date(time.ms + 60_000).toISOString() } });
    time.ms += 59_000;
    plan = await runner.advance(id);
    expect(plan.steps[0]!.runs).toHaveLength(1);

    time.ms += 1_000;
    plan = await runner.advance(id);
    expect(plan.steps[0]!.runs.map((r) => [r.attempt, r.state])).toEqual([
      [1, 'failed'],
      [2, 'queued'],
    ]);
    const second = plan.steps[0]!.runs[1]!.sessionId;
    expect((await manager.get(second)).plan).toEqual({ id, step: 'slow', attempt: 2 });

    await queue.admit();
    time.ms += 10 * 60_000;
    plan = await runner.advance(id);
    expect(plan.steps[0]).toMatchObject({ state: 'failed' });
    expect(plan.state).toBe('failed');
  });

  it('every change of a step state is a plan.step event in a session log, after the plan is saved', async () => {
    const { manager, queue, runner, store, plans, planFile } = await open();
    const { text, file } = planFile(['name: announced', 'steps:', '  - id: a', '    prompt: will be killed', '  - id: b', '    dependsOn: [a]', '    prompt: needs a merged', ''].join('\n'));
    const { record } = await runner.run(text, file);
    const id = record!.id;
    const a = record!.steps[0]!.runs[0]!.sessionId;
    await queue.admit();
    await runner.advance(id);
    await manager.kill(a);
    const ended = await runner.advance(id);
    expect(ended.steps.map((s) => s.state)).toEqual(['failed', 'skipped']);

    const planEvents = (await store.events('app', a)).filter((e) => e.type === 'plan.step').map((e) => e.data);
    expect(planEvents).toEqual([
      { plan: id, step: 'a', from: 'pending', to: 'queued', planState: 'running' },
      { plan: id, step: 'a', from: 'queued', to: 'running', planState: 'running' },
      expect.objectContaining({ plan: id, step: 'a', from: 'running', to: 'failed', planState: 'failed' }),
      // b never had a session: its skip is told in the log of the plan's latest session.
      expect.objectContaining({ plan: id, step: 'b', from: 'pending', to: 'skipped', reason: expect.stringContaining('a ended failed'), planState: 'failed' }),
    ]);
    // Saved before it was told: a reader woken by the event sees the state the event names.
    expect((await plans.get(id)).steps.map((s) => s.state)).toEqual(['failed', 'skipped']);
  });

  it('a plan.step event written between the admission of a step and its start does not stop the start', async () => {
    const { manager, runner, store, planFile } = await open();
    const { text, file } = planFile(['name: interleaved', 'steps:', '  - id: a', '    prompt: starts anyway', ''].join('\n'));
    const { record } = await runner.run(text, file);
    const id = record!.id;
    const a = record!.steps[0]!.runs[0]!.sessionId;
    // Admission marks the session (as queue.admit does); another process advances the plan before it is started.
    await store.update('app', a, 'queue.admitted', { status: 'spawning' }, { priority: 5, pid: process.pid });
    await runner.advance(id);
    expect((await store.events('app', a)).at(-1)).toMatchObject({ type: 'plan.step', data: { step: 'a', from: 'queued', to: 'running' } });
    const started = await manager.startAdmitted(a);
    expect(started).toMatchObject({ id: a, status: 'working' });
  });

  it('a step started by a run that died before saving the plan is adopted, not started again', async () => {
    const { runner, plans, store, planFile } = await open();
    const { text, file } = planFile(['name: crash', 'steps:', '  - id: a', '    prompt: only once', ''].join('\n'));
    const { record } = await runner.run(text, file);
    const id = record!.id;
    const sessionId = record!.steps[0]!.runs[0]!.sessionId;
    // What a kill -9 between the spawn and the plan's save leaves: the session, and the plan as it was before.
    await plans.update(id, async (r) => ({ ...r, steps: r.steps.map((s) => ({ ...s, state: 'pending' as const, runs: [] })) }));

    const advanced = await runner.advance(id);
    expect(advanced.steps[0]!.runs.map((r) => r.sessionId)).toEqual([sessionId]);
    expect((await store.list()).sessions.filter((s) => s.plan?.step === 'a')).toHaveLength(1);
  });
});
