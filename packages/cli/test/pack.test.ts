import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// A global `ao` without an alias: the tarball ./scripts/pack makes installs with plain
// `npm install -g`, offline, and the installed command runs the whole demo loop.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ao-pack-'));
const tmux = join(dir, 'tmux');
mkdirSync(tmux, { mode: 0o700 });
afterAll(() => {
  spawnSync('tmux', ['kill-server'], { env: { ...process.env, TMUX_TMPDIR: tmux } });
  rmSync(dir, { recursive: true, force: true });
});

describe('./scripts/pack', () => {
  it('makes a tarball that `npm install -g` installs offline, as a working `ao`', () => {
    const pack = spawnSync(join(root, 'scripts/pack'), [join(dir, 'out')], { encoding: 'utf8', env: { ...process.env, TMPDIR: dir } });
    expect(pack.stderr).toBe('');
    expect(pack.status).toBe(0);
    const tarball = pack.stdout.trim();
    expect(tarball).toMatch(/ao-cli-\d+\.\d+\.\d+\.tgz$/);

    const prefix = join(dir, 'global');
    const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], {
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: join(dir, 'npm-cache') },
    });
    expect(install.stderr).not.toMatch(/npm error/);
    expect(install.status).toBe(0);

    const ao = join(prefix, 'bin', 'ao');
    const version = spawnSync(ao, ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);

    const work = join(dir, 'work');
    mkdirSync(work);
    const demo = spawnSync(ao, ['demo'], { cwd: work, encoding: 'utf8', env: { ...process.env, TMUX_TMPDIR: tmux, AO_HOME: join(dir, 'home') } });
    expect(demo.stdout).toContain('✓ both changes merged');
    expect(demo.status).toBe(0);
  });
});
