import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whichSync } from '@ao/core';
import { createTempDir, createTempRepo } from '@ao/testkit/temp-repo';
import { afterEach, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function repo(branch = 'main') {
  const r = await createTempRepo({ branch });
  cleanups.push(r.cleanup);
  return r;
}
async function tempDir() {
  const d = await createTempDir('ao-cli-init-');
  cleanups.push(d.cleanup);
  return d;
}

describe('ao init', () => {
  it('writes a config that validates, with the repo real default branch', async () => {
    const r = await repo('master');
    const home = await tempDir();
    const res = runAo(['init', '--auto'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const file = join(r.path, 'agent-orchestrator.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('defaultBranch: master');
    const show = runAo(['config', 'show'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('defaultBranch: master');
  });

  it('works from a subdirectory and writes at the repo root', async () => {
    const r = await repo();
    const sub = join(r.path, 'src');
    await r.git('status');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const res = runAo(['init', '--auto'], { cwd: sub, env: {} });
    expect(res.code).toBe(0);
    expect(existsSync(join(r.path, 'agent-orchestrator.yaml'))).toBe(true);
  });

  it('refuses to overwrite without --force, overwrites with it', async () => {
    const r = await repo();
    const file = join(r.path, 'agent-orchestrator.yaml');
    writeFileSync(file, '# mine\n');
    const refused = runAo(['init', '--auto'], { cwd: r.path });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already exists');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    const forced = runAo(['init', '--auto', '--force'], { cwd: r.path });
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('projects:');
  });

  it('without tmux writes the process runtime, and the config validates', async () => {
    const r = await repo();
    const d = await tempDir();
    const { symlinkSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    symlinkSync(process.execPath, join(d.path, 'node'));
    symlinkSync(execFileSync('which', ['git'], { encoding: 'utf8' }).trim(), join(d.path, 'git'));
    const res = runAo(['init', '--auto'], { cwd: r.path, env: { PATH: d.path } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readFileSync(join(r.path, 'agent-orchestrator.yaml'), 'utf8')).toContain('runtime: process');
    const show = runAo(['config', 'show'], { cwd: r.path, env: { PATH: d.path } });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('terminal: web');
  });

  it('outside a git repository says so and writes nothing', async () => {
    const d = await tempDir();
    const res = runAo(['init', '--auto'], { cwd: d.path });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('not inside a git repository');
    expect(existsSync(join(d.path, 'agent-orchestrator.yaml'))).toBe(false);
  });

  it('detects a GitHub remote and mentions the GitHub plugins', async () => {
    const r = await repo();
    await r.git('remote', 'add', 'origin', 'git@github.com:acme/widgets.git');
    const res = runAo(['init', '--auto'], { cwd: r.path });
    expect(res.code).toBe(0);
    expect(readFileSync(join(r.path, 'agent-orchestrator.yaml'), 'utf8')).toContain('git@github.com:acme/widgets.git');
  });
});

describe('ao doctor', () => {
  /** A PATH of only git, tmux and, when asked, an executable `claude` that does nothing. */
  async function barePath(withClaude: boolean) {
    const d = await tempDir();
    for (const tool of ['git', 'tmux']) symlinkSync(whichSync(tool)!, join(d.path, tool));
    if (withClaude) writeFileSync(join(d.path, 'claude'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return d.path;
  }

  it('passes on a configured repo and says how to fix warnings', async () => {
    const r = await repo();
    const home = await tempDir();
    const PATH = await barePath(true);
    expect(runAo(['init', '--auto'], { cwd: r.path, env: { AO_HOME: home.path, PATH } }).code).toBe(0);
    const res = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path, PATH } });
    expect(res.stdout).toMatch(/✓ git/);
    expect(res.stdout).toMatch(/✓ node/);
    expect(res.stdout).toMatch(/✓ config/);
    expect(res.stdout).toMatch(/✓ agent claude-code/);
    expect(res.stdout).toMatch(/✓ data dir/);
    // Agents the config does not use are only warnings, each with how to install it.
    expect(res.stdout).toMatch(/! agent codex +codex not found: install Codex/);
    expect(res.code).toBe(0);
  });

  it('fails when the agent the config selects is not installed', async () => {
    const r = await repo();
    const home = await tempDir();
    writeFileSync(
      join(r.path, 'agent-orchestrator.yaml'),
      'defaults: { agent: mine }\nprojects:\n  app: { path: . }\nagents:\n  mine: { command: ["no-such-agent-cli", "--yes"] }\n  spare: { command: ["no-such-spare-cli"] }\n',
    );
    const res = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ agent mine +no-such-agent-cli not found on PATH: install it or fix agents\.mine\.command/);
    expect(res.stdout).toMatch(/! agent spare /);

    writeFileSync(join(r.path, 'agent-orchestrator.yaml'), 'defaults: { agent: claude-code }\nprojects:\n  app: { path: . }\n');
    const claude = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path, PATH: await barePath(false) } });
    expect(claude.code).toBe(1);
    expect(claude.stdout).toMatch(/✗ agent claude-code +claude not found \(your config uses it\): install Claude Code/);
  });

  it('fails with exit 1 on an invalid config and names the problem', async () => {
    const r = await repo();
    writeFileSync(join(r.path, 'agent-orchestrator.yaml'), 'projects:\n  app:\n    path: .\n    runtime: nonesuch\n');
    const res = runAo(['doctor'], { cwd: r.path });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ config .*unknown runtime plugin "nonesuch"/);
  });

  it('fails when the data dir is not writable', async () => {
    const r = await repo();
    const d = await tempDir();
    const blocker = join(d.path, 'file');
    writeFileSync(blocker, 'not a dir');
    const res = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: join(blocker, 'home') } });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ data dir .*AO_HOME/);
  });

  it('says how to install a missing tool', async () => {
    const r = await repo();
    const d = await tempDir();
    // A PATH with only node: git and tmux are missing.
    const { symlinkSync } = await import('node:fs');
    symlinkSync(process.execPath, join(d.path, 'node'));
    const res = runAo(['doctor'], { cwd: r.path, env: { PATH: d.path } });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✗ git .*install git/);
    expect(res.stdout).toMatch(/tmux .*install tmux/);
  });
});
