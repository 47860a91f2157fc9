import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ao-scripts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('./scripts/demo', () => {
  it('when the install fails, says so and shows the lines that say why (it used to exit 1 silently)', () => {
    // A pnpm that cannot reach its registry, as on a machine without network.
    const bin = join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    const version = (JSON.parse(spawnSync('cat', [join(root, 'package.json')], { encoding: 'utf8' }).stdout) as { packageManager: string }).packageManager.split('@')[1];
    writeFileSync(
      join(bin, 'pnpm'),
      `#!/bin/sh\nif [ "$1" = "--version" ]; then echo ${version}; exit 0; fi\necho "ERR_PNPM_META_FETCH_FAIL GET https://registry.example/left-pad: getaddrinfo ENOTFOUND" >&2\nexit 1\n`,
    );
    chmodSync(join(bin, 'pnpm'), 0o755);
    const r = spawnSync(join(root, 'scripts/demo'), [], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TMPDIR: dir },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^demo: (installing|checking)/);
    expect(r.stderr).toContain('demo: setup failed; its last lines:');
    expect(r.stderr).toContain('getaddrinfo ENOTFOUND');
    expect(r.stderr).toMatch(/the whole output is in .*ao-setup\..*\.log/);
  });
});
