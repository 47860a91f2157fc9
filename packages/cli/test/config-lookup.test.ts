import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionEnv, type SessionEnv } from './session-env.js';

// Names every JavaScript object inherits: a config map must not find them.
const INHERITED = ['toString', '__proto__', 'constructor', 'hasOwnProperty'];

let env: SessionEnv;
beforeAll(async () => {
  env = await createSessionEnv();
});
afterAll(async () => {
  await env.cleanup();
});

describe('names looked up in config maps are never found on the prototype', () => {
  it.each(INHERITED)('--agent %s is an unknown agent, with the available ones listed', (name) => {
    const r = env.ao('spawn', '--prompt', 'x', '--agent', name);
    expect(r.stderr).toContain(`Unknown agent "${name}" (available: `);
    expect(r.stderr).toContain('fake');
    expect(r.code).toBe(2);
  });

  it.each(INHERITED)('--project %s is an unknown project, with the configured ones listed', (name) => {
    const r = env.ao('spawn', '--prompt', 'x', '--project', name);
    expect(r.stderr).toContain(`Unknown project "${name}" (projects in `);
    expect(r.code).toBe(1);
  });

  it.each(INHERITED)('a project whose agent: is %s names it as an unknown agent plugin', (name) => {
    writeFileSync(
      join(env.repo, 'agent-orchestrator.yaml'),
      `defaults:\n  runtime: tmux\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n    agent: ${JSON.stringify(name)}\n`,
    );
    const r = env.ao('spawn', '--prompt', 'x');
    env.writeConfig();
    expect(r.stderr).toContain(`projects.app.agent: unknown agent plugin "${name}" (available: `);
    expect(r.stderr).toContain('claude-code');
    expect(r.code).toBe(1);
  });
});
