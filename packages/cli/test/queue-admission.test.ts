// Admission in-process, with the free-memory reading injected: the same SessionManager and queue
// the daemon uses, over real git worktrees, real tmux and the scripted fake agent.
import { join } from 'node:path';
import {
  createSessionManager,
  createSessionStore,
  createSpawnQueue,
  exec,
  loadConfig,
  resolveConfig,
  resolvePaths,
  silentLogger,
  systemClock,
  type SessionManager,
  type SpawnQueue,
} from '@ao/core';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/context.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

/** The manager and the queue, both reading free memory from `memory.mb`. */
async function open(extraConfig: string): Promise<{ manager: SessionManager; queue: SpawnQueue; memory: { mb: number } }> {
  env.writeConfig(extraConfig);
  const processEnv = { ...process.env, AO_HOME: env.home };
  const registry = createRegistry();
  const config = await resolveConfig(loadConfig({ file: join(env.repo, 'agent-orchestrator.yaml'), env: processEnv }), registry, { env: processEnv });
  const paths = resolvePaths(processEnv);
  const store = createSessionStore(paths);
  const memory = { mb: 0 };
  const freeMemoryMb = (): number => memory.mb;
  const manager = createSessionManager({ config, registry, store, paths, logger: silentLogger, clock: systemClock, exec, env: processEnv, freeMemoryMb });
  const queue = createSpawnQueue({ config, manager, store, paths, logger: silentLogger, freeMemoryMb });
  return { manager, queue, memory };
}

describe('admission', () => {
  it('admits queued work only while free memory stays above limits.minFreeMemoryMb', async () => {
    const { manager, queue, memory } = await open('limits:\n  maxConcurrentSessions: 4\n  minFreeMemoryMb: 1000\n');
    memory.mb = 600;
    const waiting = await manager.spawn({ prompt: 'memory hungry task', cwd: env.repo });
    expect(waiting.status).toBe('queued');
    expect((await queue.list())[0]?.waiting).toMatch(/^600 MiB of memory is free and limits\.minFreeMemoryMb is 1000 \(/);

    const blocked = await queue.admit();
    expect(blocked.started).toEqual([]);
    expect(blocked.blocked?.reason).toBe('memory');
    expect((await manager.get(waiting.id)).status).toBe('queued');

    // --no-queue refuses with the same reason.
    await expect(manager.spawn({ prompt: 'x', cwd: env.repo, queue: 'never' })).rejects.toMatchObject({ code: 'SESSION_LIMIT', message: expect.stringContaining('limits.minFreeMemoryMb is 1000') });

    memory.mb = 4000;
    const admitted = await queue.admit();
    expect(admitted.started.map((s) => s.id)).toEqual([waiting.id]);
    expect((await manager.get(waiting.id)).status).toBe('working');
    await until(() => env.received().some((t) => t.includes('memory hungry task')), 10_000, 'the prompt');
    expect(await queue.list()).toEqual([]);
  });

  it("respects agents.<name>.maxConcurrent, letting another agent's work past a blocked one", async () => {
    const limited = JSON.stringify(fakeAgentArgv(['--log', env.log]));
    const { manager, queue, memory } = await open(`  limited: { command: ${limited}, prompt: arg, maxConcurrent: 1 }\nlimits:\n  maxConcurrentSessions: 3\n`);
    memory.mb = 10_000;
    const one = await manager.spawn({ prompt: 'limited one', agent: 'limited', cwd: env.repo });
    expect(one.status).toBe('working');
    const two = await manager.spawn({ prompt: 'limited two', agent: 'limited', cwd: env.repo });
    expect(two.status).toBe('queued');
    // Queued work goes first: a new spawn of another agent queues behind it, and the daemon sorts them out.
    const other = await manager.spawn({ prompt: 'fake three', cwd: env.repo });
    expect(other.status).toBe('queued');
    expect((await queue.list()).map((e) => [e.id, e.waiting])).toEqual([
      [two.id, expect.stringMatching(/^1 limited session is already running and agents\.limited\.maxConcurrent is 1 \(/)],
      [other.id, undefined],
    ]);

    const admitted = await queue.admit();
    expect(admitted.started.map((s) => s.id)).toEqual([other.id]);
    expect(admitted.blocked?.reason).toBe('agent');
    expect((await manager.get(two.id)).status).toBe('queued');

    await manager.kill(one.id);
    expect((await queue.admit()).started.map((s) => s.id)).toEqual([two.id]);
    await until(() => env.received().some((t) => t.includes('limited two')), 10_000, 'the prompt');
  });
});
