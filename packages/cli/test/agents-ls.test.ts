/**
 * `ao agents ls`: the agent CLIs on this machine (the real Claude Code, Codex and OpenCode at their
 * pinned versions, from `@ao/testkit/agent-clis`), the version found and the one verified with, and
 * each one's health for unattended runs, from the same checks as `ao doctor`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureAgentClis, writeAgentHome } from '@ao/testkit/agent-clis';
import { createTempDir, createTempRepo, type TempDir } from '@ao/testkit/temp-repo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAoAsync } from './run-ao.js';

interface Row {
  name: string;
  plugin: string;
  bin: string;
  installed: boolean;
  path: string | null;
  version: string | null;
  verifiedVersion: string | null;
  verified: boolean;
  used: boolean;
  health: { level: string; short: string; detail: string }[];
}

let dir: TempDir;
let repo: { path: string; cleanup(): Promise<void> };
let binDir: string;
beforeAll(async () => {
  binDir = await ensureAgentClis();
  dir = await createTempDir('ao-agents-ls-');
  repo = await createTempRepo({ branch: 'main', files: { 'README.md': '# app\n' } });
}, 600_000);
afterAll(async () => {
  await repo.cleanup();
  await dir.cleanup();
});

const config = (agents: string) =>
  writeFile(join(repo.path, 'agent-orchestrator.yaml'), `defaults:\n  agent: codex\nprojects:\n  app:\n    path: .\n    defaultBranch: main\nagents:\n${agents}`);
const ls = async (env: Record<string, string>, ...args: string[]) => {
  const r = await runAoAsync(['agents', 'ls', ...args], { cwd: repo.path, env: { AO_HOME: join(dir.path, 'ao'), OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', ...env } });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const byName = (out: string) => Object.fromEntries((JSON.parse(out) as Row[]).map((r) => [r.name, r]));
const shorts = (row: Row | undefined) => row?.health.map((h) => `${h.level} ${h.short}`);

describe('ao agents ls', () => {
  it("lists each CLI installed at its verified version with its health once the user's part is done", async () => {
    const home = join(dir.path, 'home-set');
    const claude = await writeAgentHome('claude', { home, modelUrl: 'http://127.0.0.1:9' });
    const codex = await writeAgentHome('codex', { home, modelUrl: 'http://127.0.0.1:9' });
    await config('  scripted: { command: ["no-such-agent-cli", "--yes"] }\n');
    const env = { ...claude, ...codex, PATH: `${binDir}:${process.env.PATH ?? ''}` };
    const rows = byName(await ls(env, '--json'));
    expect(rows['claude-code']).toMatchObject({ bin: 'claude', installed: true, version: '2.1.197', verifiedVersion: '2.1.197', verified: true, used: false });
    expect(rows['claude-code']?.path).toBe(join(binDir, 'claude'));
    expect(shorts(rows['claude-code'])).toEqual(['ok verified', 'ok trust: by ao', 'ok key: accepted']);
    expect(rows.codex).toMatchObject({ installed: true, version: '0.171.0', verifiedVersion: '0.171.0', verified: true, used: true });
    expect(shorts(rows.codex)).toEqual(['ok verified', 'ok trust: by ao', 'ok provider set']);
    expect(rows.opencode).toMatchObject({ installed: true, version: '1.18.33', verified: true });
    expect(rows.aider).toMatchObject({ installed: false, path: null, version: null });
    // A command agent from the config, its program missing.
    expect(rows.scripted).toMatchObject({ plugin: 'command', bin: 'no-such-agent-cli', installed: false });
    expect(shorts(rows.scripted)).toEqual(['warn not installed']);

    const table = (await ls(env)).split('\n');
    expect(table[0]).toMatch(/^AGENT\s+CLI\s+INSTALLED\s+VERSION\s+VERIFIED WITH\s+USED\s+HEALTH$/);
    expect(table.find((l) => l.startsWith('codex '))).toMatch(/^codex\s+codex\s+yes\s+0\.171\.0\s+0\.171\.0\s+yes\s+✓ verified, ✓ trust: by ao, ✓ provider set$/);
  }, 120_000);

  it("shows what is left to the user (the API-key answer, a login) and, with trustWorkspace: false, trust and commits; doctor has the fix", async () => {
    const home = join(dir.path, 'home-fresh');
    await mkdir(home, { recursive: true });
    await config('  codex: { plugin: codex, trustWorkspace: false }\n');
    const env = { HOME: home, ANTHROPIC_API_KEY: 'sk-ant-api03-not-yet-answered-key-0123456789', PATH: `${binDir}:${process.env.PATH ?? ''}` };
    const rows = byName(await ls(env, '--json'));
    expect(shorts(rows['claude-code'])).toEqual(['warn onboarding: not done', 'warn key: will ask', 'ok verified', 'ok trust: by ao']);
    expect(shorts(rows.codex)).toEqual(['warn trust: will ask', 'warn commits: need you', 'warn not logged in', 'ok verified']);
    expect(rows.codex?.health.find((h) => h.short === 'commits: need you')?.detail).toContain('set trustWorkspace: true');
    const table = await ls(env);
    expect(table).toContain('run `ao doctor` for the fix of each ! and ✗');
    const doctor = await runAoAsync(['doctor'], { cwd: repo.path, env: { AO_HOME: join(dir.path, 'ao'), OPENAI_API_KEY: '', ...env } });
    for (const h of rows.codex?.health.filter((x) => x.level !== 'ok') ?? []) expect(doctor.stdout).toContain(h.detail);
  }, 120_000);
});
