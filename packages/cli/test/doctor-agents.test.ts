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
  const doctorWith = async (agent: string, home: string, aoHome: string, agentConfig = '') => {
    const agents = agentConfig ? `agents:\n  ${agent}: { plugin: ${agent}, ${agentConfig} }\n` : '';
    await writeFile(join(repo.path, 'agent-orchestrator.yaml'), `defaults:\n  agent: ${agent}\nprojects:\n  app:\n    path: .\n    defaultBranch: main\n${agents}`);
    const r = await runAoAsync(['doctor'], { cwd: repo.path, env: { AO_HOME: aoHome, HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-scripted-model-server-key-0123456789', OPENAI_API_KEY: '' } });
    return r.stdout.split('\n').filter((l) => l.includes(`agent ${agent} setup`));
  };

  it("Claude Code: trust is ao's own; the API-key question is the user's, with its fix; ok once answered", async () => {
    const aoHome = join(dir.path, 'ao-claude');
    const fresh = (await doctorWith('claude-code', join(dir.path, 'home-claude-fresh'), aoHome)).join('\n');
    expect(fresh).toMatch(/✓ agent claude-code setup\s+ao trusts each workspace at launch/);
    expect(fresh).toMatch(/! agent claude-code setup\s+Claude Code will ask whether to use the ANTHROPIC_API_KEY set here \(your answer, not ao's\): run `claude` once and answer it/);
    expect(fresh).toContain("first-run screens are not done");
    // With ao's part turned off, the user's fix: trust the worktrees directory once.
    const off = (await doctorWith('claude-code', join(dir.path, 'home-claude-fresh'), aoHome, 'trustWorkspace: false')).join('\n');
    expect(off).toContain(`cd ${join(aoHome, 'worktrees')} && claude`);
    const home = join(dir.path, 'home-claude-set');
    await writeAgentHome('claude', { home, modelUrl: 'http://127.0.0.1:9', trusted: [join(aoHome, 'worktrees')] });
    const set = await doctorWith('claude-code', home, aoHome);
    expect(set.every((l) => l.startsWith('✓')), set.join('\n')).toBe(true);
    expect(set.join('\n')).toContain('uses the ANTHROPIC_API_KEY set here');
    expect((await doctorWith('claude-code', home, aoHome, 'trustWorkspace: false')).join('\n')).toContain(`${join(aoHome, 'worktrees')} is trusted`);
  });

  it('Codex: trust and commits are ao\'s own unless trustWorkspace: false, then doctor says what to set; login is the user\'s', async () => {
    const aoHome = join(dir.path, 'ao-codex');
    const fresh = (await doctorWith('codex', join(dir.path, 'home-codex-fresh'), aoHome)).join('\n');
    expect(fresh).toContain('ao trusts each workspace at launch');
    expect(fresh).toContain('commits need nobody under approvals: ask');
    expect(fresh).toContain('run `codex login`');
    const off = (await doctorWith('codex', join(dir.path, 'home-codex-fresh'), aoHome, 'trustWorkspace: false')).join('\n');
    expect(off).toContain(`[projects.${JSON.stringify(repo.path)}] trust_level = "trusted"`);
    expect(off).toContain('each commit waits for your approval: set trustWorkspace: true');
    const home = join(dir.path, 'home-codex-set');
    await writeAgentHome('codex', { home, modelUrl: 'http://127.0.0.1:9', trusted: [repo.path] });
    const set = (await doctorWith('codex', home, aoHome, 'trustWorkspace: false')).join('\n');
    expect(set).toContain(`${repo.path} is trusted`);
    expect(set).not.toContain('codex login');
  });
});
