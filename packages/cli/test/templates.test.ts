import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSessionEnv, until, type SessionEnv } from './session-env.js';

let env: SessionEnv;
beforeEach(async () => {
  env = await createSessionEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const spawn = (prompt: string): { id: string; template?: string } => {
  const r = env.ao('spawn', '--prompt', prompt, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { id: string; template?: string };
};
const receivedFor = async (marker: string): Promise<string> => {
  await until(() => env.received().some((t) => t.includes(marker)), 10_000, `the prompt with ${marker}`);
  return env.received().find((t) => t.includes(marker)) as string;
};

describe('ao template', () => {
  it('set makes a new version the next spawn uses; rollback brings the old one back; sessions record which', async () => {
    const first = spawn('first job');
    expect(first.template).toBe('task@1');
    expect(await receivedFor('first job')).toContain('Your task:');

    const file = join(env.home, '..', 'task-v2.txt');
    writeFileSync(file, 'V2 for {{session.id}}: {{prompt}}');
    const set = env.ao('template', 'set', 'task', '--file', file);
    expect(set.stdout).toContain('task@2 is current');
    const second = spawn('second job');
    expect(second.template).toBe('task@2');
    expect(await receivedFor('second job')).toBe(`V2 for ${second.id}: second job`);

    expect(env.ao('template', 'show', 'task@2').stdout).toBe('V2 for {{session.id}}: {{prompt}}\n');
    const diff = env.ao('template', 'diff', 'task', '1', '2').stdout;
    expect(diff).toContain('--- task@1\n+++ task@2');
    expect(diff).toContain('-Your task:');
    expect(diff).toContain('+V2 for {{session.id}}: {{prompt}}');
    expect(env.ao('template', 'ls').stdout).toMatch(/task@2\s+2 \(current\)/);

    expect(env.ao('template', 'rollback', 'task').stdout).toContain('task@1 is current');
    const third = spawn('third job');
    expect(third.template).toBe('task@1');
    expect(await receivedFor('third job')).toContain('Your task:');
    expect(env.ao('template', 'rollback', 'task', '2').stdout).toContain('task@2 is current');
    expect(spawn('fourth job').template).toBe('task@2');

    // A version that could not render is refused before it is stored.
    writeFileSync(file, 'Fix {{issue.title}}');
    const bad = env.ao('template', 'set', 'task', '--file', file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Template task uses {{issue.title}}, which is not available (available: prompt, session, project)');
    expect(env.ao('template', 'rollback', 'task', '7').stderr).toContain('Template task has no version 7 (versions 1..2)');
  }, 60_000);
});
