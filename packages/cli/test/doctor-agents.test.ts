import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureAgentClis, writeAgentHome } from '@ao/testkit/agent-clis';
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

describe('ao doctor and what each agent needs to run unattended', () => {
  const doctorWith = async (agent: string, home: string, aoHome: string) => {
    await writeFile(join(repo.path, 'agent-orchestrator.yaml'), `defaults:\n  agent: ${agent}\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n`);
    const r = await runAoAsync(['doctor'], { cwd: repo.path, env: { AO_HOME: aoHome, HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-scripted-model-server-key-0123456789' } });
    return r.stdout.split('\n').filter((l) => l.includes(`agent ${agent} setup`));
  };

  it('Claude Code: says how to trust the worktrees directory and that the API-key question is the user\'s; ok once done', async () => {
    const aoHome = join(dir.path, 'ao-claude');
    const fresh = await doctorWith('claude-code', join(dir.path, 'home-claude-fresh'), aoHome);
    expect(fresh.join('\n')).toContain(`cd ${join(aoHome, 'worktrees')} && claude`);
    expect(fresh.join('\n')).toContain('will ask whether to use the ANTHROPIC_API_KEY');
    const home = join(dir.path, 'home-claude-set');
    await writeAgentHome('claude', { home, modelUrl: 'http://127.0.0.1:9', trusted: [join(aoHome, 'worktrees')] });
    const set = await doctorWith('claude-code', home, aoHome);
    expect(set).toHaveLength(1);
    expect(set[0]).toContain('is trusted');
  });

  it('Codex: prints the config.toml entry that trusts the repository; ok once it is there', async () => {
    const aoHome = join(dir.path, 'ao-codex');
    const fresh = await doctorWith('codex', join(dir.path, 'home-codex-fresh'), aoHome);
    expect(fresh.join('\n')).toContain(`[projects.${JSON.stringify(repo.path)}] trust_level = "trusted"`);
    const home = join(dir.path, 'home-codex-set');
    await writeAgentHome('codex', { home, modelUrl: 'http://127.0.0.1:9', trusted: [repo.path] });
    const set = await doctorWith('codex', home, aoHome);
    expect(set.join('\n')).toContain(`${repo.path} is trusted`);
    expect(set.join('\n')).not.toContain('codex login');
  });
});
