import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

it('a spinner turning frame after frame is one activity.changed event, not one per frame', async () => {
  // An agent busy for good: a new spinner frame every 100 ms (its screen changes between polls).
  const scenario = join(env.repo, '..', `spinner-${Date.now()}.yaml`);
  writeFileSync(scenario, 'steps:\n  - print: "⠋ Working (esc to interrupt)"\n  - sleep: 100\n  - print: "⠙ Thinking (esc to interrupt)"\n  - sleep: 100\n  - repeat: true\n');
  env.writeConfig('', ['--scenario', scenario]);
  const spawned = env.ao('spawn', '--prompt', 'go', '--json');
  expect(spawned.code, spawned.stderr).toBe(0);
  const { id } = JSON.parse(spawned.stdout) as { id: string };
  const capture = () => env.screen(id);
  const frames = new Set<string>();
  for (let i = 0; i < 6; i++) {
    // Each poll sees a screen that differs from the previous poll's: wait for the change (a signal).
    const before = capture();
    await until(() => capture() !== before, 10_000, 'the next spinner frame');
    // The lifecycle poll records activity (ao status only shows it).
    expect(env.ao('lifecycle', 'poll').code).toBe(0);
    const status = JSON.parse(env.ao('status', '--json').stdout) as { id: string; activity: string; activityDetail: string | null }[];
    const s = status.find((x) => x.id === id);
    expect(s?.activity).toBe('active');
    frames.add(capture());
  }
  expect(frames.size).toBeGreaterThan(1);
  const events = env
    .ao('session', 'events', id, '--json')
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string });
  expect(events.filter((e) => e.type === 'activity.changed').length).toBeLessThanOrEqual(1);
});
