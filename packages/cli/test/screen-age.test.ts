// The screen's age, measured across the looks of one SessionManager (as the daemon's lifecycle
// polls make them): a screen still changing is work going on, even with the CLI's prompt drawn
// below it (Codex keeps its input box on screen mid-turn; the content alone read as idle).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionManager, createSessionStore, exec, loadConfig, resolveConfig, resolvePaths, silentLogger, type Clock } from '@ao/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRegistry } from '../src/context.js';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

it('a screen that keeps changing above the prompt is active; once it stays the same it is idle', async () => {
  // An agent streaming its reply with its prompt always drawn below (until a `stop` file appears).
  const stop = join(env.repo, '..', `stop-${Date.now()}`);
  const script = `i=0; while [ ! -e "$1" ]; do i=$((i+1)); printf '\\033[2J\\033[Hstreaming part %s of the reply\\n> ' "$i"; sleep 0.1; done; printf '\\033[2J\\033[Hreply done\\n> '; exec cat >/dev/null`;
  env.writeConfig(`  streamer: { command: ${JSON.stringify(['sh', '-c', script, 'streamer', stop])}, prompt: arg, idlePattern: '^> ?$' }\n`);
  const processEnv = { ...process.env, AO_HOME: env.home };
  const registry = createRegistry();
  const config = await resolveConfig(loadConfig({ file: join(env.repo, 'agent-orchestrator.yaml'), env: processEnv }), registry, { env: processEnv });
  // The clock the manager measures ages with: moved by the test, never read from the wall.
  let now = Date.parse('2026-12-03T12:00:00Z');
  const clock: Clock = { now: () => now, sleep: async () => {} };
  const paths = resolvePaths(processEnv);
  const manager = createSessionManager({ config, registry, store: createSessionStore(paths), paths, logger: silentLogger, clock, exec, env: processEnv });
  const session = await manager.spawn({ cwd: env.repo, agent: 'streamer', prompt: 'go' });
  const capture = () => env.screen(session.id);
  const activity = async () => (await manager.list({ activity: true })).sessions.find((s) => s.id === session.id)?.activity;

  await until(() => capture().includes('streaming part'), 10_000, 'the agent streaming');
  await activity(); // the first look: no age yet
  for (let i = 0; i < 3; i++) {
    const before = capture();
    await until(() => capture() !== before, 10_000, 'the next part of the reply');
    now += 10_000; // long after the stable time: only the change itself says "active"
    expect(await activity()).toBe('active');
  }

  writeFileSync(stop, '');
  await until(() => capture().includes('reply done'), 10_000, 'the reply to end');
  await activity(); // the screen changed since the last look
  now += 10_000;
  expect(await activity()).toBe('idle');
});
