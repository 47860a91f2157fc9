import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whichSync } from '@ao/core';
import { VERIFIED_VERSION as CLAUDE_VERIFIED } from '@ao/plugin-agent-claude-code';
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
    // Desktop notifications where a desktop can show them, as without a notifiers list.
    const json = runAo(['config', 'show', '--json'], { cwd: r.path, env: { AO_HOME: home.path } });
    const notifiers = (JSON.parse(json.stdout) as { projects: Record<string, { notifiers: unknown[] }> }).projects;
    expect(Object.values(notifiers)[0]?.notifiers).toEqual(['console', { plugin: 'desktop', whenAvailable: true }]);
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

describe('ao init: CI from the repository', () => {
  async function initIn(files: Record<string, string>, env: Record<string, string> = {}) {
    const r = await repo();
    for (const [name, text] of Object.entries(files)) writeFileSync(join(r.path, name), text);
    const home = await tempDir();
    const res = runAo(['init', '--auto'], { cwd: r.path, env: { AO_HOME: home.path, GITHUB_TOKEN: '', GH_TOKEN: '', ...env } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const show = runAo(['config', 'show'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(show.code).toBe(0);
    return { text: readFileSync(join(r.path, 'agent-orchestrator.yaml'), 'utf8'), stdout: res.stdout, show: show.stdout, r, home };
  }

  it('writes `ci` from package.json scripts.test, run by the package manager of the lockfile', async () => {
    const scripts = JSON.stringify({ name: 'lib', scripts: { test: 'eslint . && tape test/*.js' } });
    const npm = await initIn({ 'package.json': scripts, 'package-lock.json': '{}' });
    expect(npm.text).toContain('scm: { plugin: local, ci: ["npm", "test"] }');
    expect(npm.stdout).toContain('ci npm test (from package.json scripts.test (npm: package-lock.json))');
    // The config ao reads has it: the local SCM runs `npm test`.
    expect(npm.show).toMatch(/ci:\s*\n\s*- npm\n\s*- test/);

    expect((await initIn({ 'package.json': scripts, 'pnpm-lock.yaml': '' })).text).toContain('ci: ["pnpm", "test"]');
    expect((await initIn({ 'package.json': scripts, 'yarn.lock': '' })).text).toContain('ci: ["yarn", "test"]');
  });

  it("ignores npm's placeholder test script, says no test command was found, and doctor warns", async () => {
    const placeholder = JSON.stringify({ name: 'lib', scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    const { text, stdout, r, home } = await initIn({ 'package.json': placeholder });
    expect(text).not.toMatch(/^\s*scm: \{ plugin: local, ci/m);
    expect(text).toContain('# No test command found');
    expect(stdout).toContain('no test command found');

    const doctor = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(doctor.stdout).toMatch(/! ci [\w-]+ +no CI: pull requests are reviewed and merged without running the tests/);
    expect(doctor.stdout).toContain('["<your test command>"]');
  });

  it('finds go test, cargo test, pytest and a Makefile test target', async () => {
    expect((await initIn({ 'go.mod': 'module example.com/calc\n\ngo 1.22\n' })).text).toContain('ci: ["go", "test", "./..."]');
    expect((await initIn({ 'Cargo.toml': '[package]\nname = "calc"\nversion = "0.1.0"\n' })).text).toContain('ci: ["cargo", "test"]');
    expect((await initIn({ 'pyproject.toml': '[project]\nname = "calc"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n' })).text).toContain('ci: ["pytest"]');
    expect((await initIn({ Makefile: 'build:\n\tcc -o calc calc.c\n\ntest: build\n\t./calc --self-test\n' })).text).toContain('ci: ["make", "test"]');
  });
});

describe('ao doctor', () => {
  /** A PATH of only git, tmux and, when asked, an executable `claude` that says it is the verified version. */
  async function barePath(withClaude: boolean) {
    const d = await tempDir();
    for (const tool of ['git', 'tmux']) symlinkSync(whichSync(tool)!, join(d.path, tool));
    if (withClaude) writeFileSync(join(d.path, 'claude'), `#!/bin/sh\n[ "$1" = --version ] && echo '${CLAUDE_VERIFIED} (Claude Code)'\nexit 0\n`, { mode: 0o755 });
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

  it('warns about a project without CI, with the test command it found, and shows the configured one', async () => {
    const r = await repo();
    const home = await tempDir();
    writeFileSync(join(r.path, 'package.json'), JSON.stringify({ name: 'lib', scripts: { test: 'tape test/*.js' } }));
    writeFileSync(join(r.path, 'agent-orchestrator.yaml'), 'projects:\n  lib:\n    path: .\n    defaultBranch: main\n');
    const bare = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(bare.stdout).toContain('! ci lib');
    expect(bare.stdout).toContain('Set scm: { plugin: local, ci: ["npm", "test"] } under projects.lib (found in package.json scripts.test (npm))');

    writeFileSync(join(r.path, 'agent-orchestrator.yaml'), 'projects:\n  lib:\n    path: .\n    defaultBranch: main\n    scm: { plugin: local, ci: { command: [npm, test], setup: [npm, run, build] } }\n');
    const configured = runAo(['doctor'], { cwd: r.path, env: { AO_HOME: home.path } });
    expect(configured.stdout).toMatch(/✓ ci lib +npm test \(setup: npm run build\), dependencies: auto/);
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
