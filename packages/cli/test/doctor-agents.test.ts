import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureAgentClis } from '@ao/testkit/agent-clis';
import { createTempDir, createTempRepo, type TempDir } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAoAsync } from './run-ao.js';

let dir: TempDir;
let repo: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
  dir = await createTempDir('ao-doctor-agents-');
  repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
});
afterAll(async () => {
  await repo.cleanup();
  await dir.cleanup();
});

describe('ao doctor and agent CLI versions', () => {
  it('says the real Claude Code, Codex and OpenCode at the pinned versions are verified', async () => {
    const bin = await ensureAgentClis();
    const r = await runAoAsync(['doctor'], { cwd: repo.path, env: { AO_HOME: join(dir.path, 'ao1'), HOME: join(dir.path, 'home1'), PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(r.stdout).toMatch(/agent claude-code.*2\.1\.197 \(verified\)/);
    expect(r.stdout).toMatch(/agent codex.*0\.171\.0 \(verified\)/);
    expect(r.stdout).toMatch(/agent opencode.*1\.18\.33 \(verified\)/);
  }, 600_000);

  it('warns about another version and prints the install command for the verified one', async () => {
    const fake = join(dir.path, 'fake-bin');
    await mkdir(fake, { recursive: true });
    await writeFile(join(fake, 'claude'), '#!/bin/sh\necho "2.0.3 (Claude Code)"\n');
    await chmod(join(fake, 'claude'), 0o755);
    const r = await runAoAsync(['doctor'], { cwd: repo.path, env: { AO_HOME: join(dir.path, 'ao2'), HOME: join(dir.path, 'home2'), PATH: `${fake}:${process.env.PATH ?? ''}` } });
    const line = r.stdout.split('\n').find((l) => l.includes('agent claude-code')) ?? '';
    expect(line).toContain('2.0.3');
    expect(line).toContain('npm install -g @anthropic-ai/claude-code@2.1.197');
    expect(line).toMatch(/^!/); // a warning, not a failure
  });
});
