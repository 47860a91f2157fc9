/**
 * The test command of a repository, as `ao init` writes it into `ci` and `ao doctor` suggests it:
 * package.json `scripts.test` (run with the package manager its lockfile names), a Makefile `test`
 * target, pytest, go test, cargo test — the first found, in that order.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { detectPackageManager } from './deps.js';

export interface DetectedTestCommand {
  /** argv for `ci`. */
  command: string[];
  /** Where it came from, for the user: `package.json scripts.test (npm: package-lock.json)`. */
  source: string;
}

/** What `npm init` writes as the test script: not a test suite. */
const NPM_PLACEHOLDER = /no test specified/;

const read = (path: string) => readFile(path, 'utf8').catch(() => undefined);
const exists = (path: string) => stat(path).then(() => true, () => false);

export async function detectTestCommand(dir: string): Promise<DetectedTestCommand | undefined> {
  const manifest = await read(join(dir, 'package.json'));
  if (manifest !== undefined) {
    let test: unknown;
    try {
      test = (JSON.parse(manifest) as { scripts?: Record<string, unknown> }).scripts?.test;
    } catch {
      test = undefined;
    }
    if (typeof test === 'string' && test.trim() && !NPM_PLACEHOLDER.test(test)) {
      const pm = (await detectPackageManager(dir)) ?? { name: 'npm' as const };
      const command = pm.name === 'bun' ? ['bun', 'run', 'test'] : [pm.name, 'test'];
      return { command, source: `package.json scripts.test (${pm.name}${pm.lockfile ? `: ${pm.lockfile}` : ''})` };
    }
  }
  for (const name of ['GNUmakefile', 'makefile', 'Makefile']) {
    const makefile = await read(join(dir, name));
    if (makefile !== undefined && /^test\s*:(?!=)/m.test(makefile)) return { command: ['make', 'test'], source: `${name} test target` };
  }
  const pyproject = await read(join(dir, 'pyproject.toml'));
  if (pyproject !== undefined && /\[tool\.pytest|\bpytest\b/.test(pyproject)) return { command: ['pytest'], source: 'pyproject.toml (pytest)' };
  if (await exists(join(dir, 'pytest.ini'))) return { command: ['pytest'], source: 'pytest.ini' };
  if (/\[tool:pytest\]/.test((await read(join(dir, 'setup.cfg'))) ?? '')) return { command: ['pytest'], source: 'setup.cfg [tool:pytest]' };
  if (/\[pytest\]/.test((await read(join(dir, 'tox.ini'))) ?? '')) return { command: ['pytest'], source: 'tox.ini [pytest]' };
  if (await exists(join(dir, 'go.mod'))) return { command: ['go', 'test', './...'], source: 'go.mod' };
  if (await exists(join(dir, 'Cargo.toml'))) return { command: ['cargo', 'test'], source: 'Cargo.toml' };
  return undefined;
}
