import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from './run-ao.js';

// A global `ao` without an alias: the tarball ./scripts/pack makes installs with plain
// `npm install -g`, offline, and the installed command runs the whole demo loop and the daemon.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ao-pack-'));
const tmux = join(dir, 'tmux');
mkdirSync(tmux, { mode: 0o700 });
afterAll(() => {
  spawnSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: tmux } });
  rmSync(dir, { recursive: true, force: true });
});

describe('./scripts/pack', () => {
  it('makes a tarball that `npm install -g` installs offline, as a working `ao`', async () => {
    // The long steps run without blocking this worker's event loop (vitest's RPC would time out).
    const pack = await runCommand(join(root, 'scripts/pack'), [join(dir, 'out')], { env: { TMPDIR: dir } });
    expect(pack.stderr).toBe('');
    expect(pack.code).toBe(0);
    const tarball = pack.stdout.trim();
    expect(tarball).toMatch(/ao-cli-\d+\.\d+\.\d+\.tgz$/);

    const prefix = join(dir, 'global');
    const install = await runCommand('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
      env: { npm_config_cache: join(dir, 'npm-cache') },
    });
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.code).toBe(0);

    // The testkit is for tests only: `ao demo` runs the built @ao/demo-agent, and builds nothing.
    const installed = join(prefix, 'lib', 'node_modules', 'ao-cli', 'node_modules', '@ao');
    expect(existsSync(join(installed, 'demo-agent', 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'testkit'))).toBe(false);

    const ao = join(prefix, 'bin', 'ao');
    const version = spawnSync(ao, ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);

    const work = join(dir, 'work');
    mkdirSync(work);
    const demo = await runCommand(ao, ['demo'], { cwd: work, env: { TMUX_TMPDIR: tmux, AO_HOME: join(dir, 'home') } });
    expect(demo.stdout).toContain('✓ both changes merged');
    expect(demo.code).toBe(0);

    // The daemon (@ao/daemon, with the dashboard mounted) runs from the installed package too.
    const project = join(dir, 'project');
    mkdirSync(project);
    spawnSync('git', ['init', '-q'], { cwd: project });
    writeFileSync(join(project, 'agent-orchestrator.yaml'), 'projects:\n  app:\n    path: .\ndashboard:\n  port: 0\n');
    const daemonEnv = { ...process.env, TMUX_TMPDIR: tmux, AO_HOME: join(dir, 'daemon-home') };
    const start = spawnSync(ao, ['start', '--no-orchestrator'], { cwd: project, encoding: 'utf8', env: daemonEnv });
    try {
      expect(start.stderr).toBe('');
      expect(start.status).toBe(0);
      const dashboard = /dashboard: (http:\/\/[^/]+)\/\?token=(\w+)/.exec(start.stdout);
      expect(dashboard).not.toBeNull();
      const [, origin, token] = dashboard as RegExpExecArray;
      const fetchPage = 'fetch(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }).then(async (r) => console.log(r.status, (await r.text()).includes("<html")))';
      const page = spawnSync(process.execPath, ['-e', fetchPage, `${origin}/`, String(token)], { encoding: 'utf8' });
      expect(page.stdout.trim()).toBe('200 true');
    } finally {
      const stop = spawnSync(ao, ['stop'], { cwd: project, encoding: 'utf8', env: daemonEnv });
      expect(stop.stdout).toContain('ao daemon stopped');
    }
  }, 300_000);
});
