/**
 * Local CI runs like the project's own: the checkout gets the project's dependencies (reused from
 * a checkout with an identical lockfile, else installed offline-first), then `ci.setup`, then the
 * command. The dependency is a real npm package, packed into the repository as a tarball so npm
 * installs it with no network.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { detectPackageManager, detectTestCommand, installArgv } from '../src/index.js';
import { openInput, setup, type Fixture } from './setup.js';

const run = promisify(execFile);
const npm = (cwd: string, ...args: string[]) => run('npm', [...args, '--no-audit', '--no-fund', '--offline'], { cwd, env: { ...process.env, CI: 'true' } });

/**
 * The session's workspace gets an npm library whose `npm test` needs a bin from its devDependencies
 * (`lint-ok`, like eslint), installed with `npm install`; everything but node_modules is committed.
 * The test script writes into node_modules, to show a CI run cannot change the source's tree.
 */
async function npmLibrary(f: Fixture, dir = f.ws): Promise<void> {
  const pkg = join(f.home.path, 'lint-ok');
  if (!existsSync(pkg)) {
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'lint-ok', version: '1.0.0', bin: { 'lint-ok': 'cli.js' } }));
    await writeFile(join(pkg, 'cli.js'), "#!/usr/bin/env node\nconsole.log('lint-ok: 0 problems');\n", { mode: 0o755 });
    await run('npm', ['pack', '--quiet'], { cwd: pkg });
  }
  await mkdir(join(dir, 'vendor'), { recursive: true });
  await writeFile(join(dir, 'vendor', 'lint-ok-1.0.0.tgz'), await readFile(join(pkg, 'lint-ok-1.0.0.tgz')));
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'lib', version: '1.0.0', private: true, scripts: { test: 'lint-ok && node test.js' }, devDependencies: { 'lint-ok': 'file:vendor/lint-ok-1.0.0.tgz' } }, null, 2),
  );
  await writeFile(
    join(dir, 'test.js'),
    "const fs = require('fs'); fs.mkdirSync('node_modules/.cache', { recursive: true }); fs.writeFileSync('node_modules/.cache/ci-was-here', 'x');\n" +
      "console.log('node_modules is a ' + (fs.lstatSync('node_modules').isSymbolicLink() ? 'symlink' : 'directory'));\n" +
      "console.log('links=' + fs.statSync('node_modules/lint-ok/cli.js').nlink);\n",
  );
  await writeFile(join(dir, '.gitignore'), 'node_modules/\n');
  await npm(dir, 'install');
  await f.git(dir, 'add', 'package.json', 'package-lock.json', 'vendor', 'test.js', '.gitignore');
  await f.git(dir, 'commit', '--quiet', '-m', 'npm library');
}

describe('scm-local CI dependencies', () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.cleanup();
    f = undefined;
  });

  async function runFor(config: Record<string, unknown>) {
    f = await setup(config);
    await npmLibrary(f);
    const pr = await f.scm.openPullRequest({ ...openInput(), workspacePath: f.ws });
    const ci = await f.scm.runCi(pr);
    const record = (await f.scm.getPullRequest(pr.id))!.ci[pr.headSha!]!;
    return { f, pr, ci, record };
  }

  it('a bare checkout cannot run `npm test` (ci.dependencies: none): the bin is not found', async () => {
    const { ci } = await runFor({ ci: { command: ['npm', 'test'], dependencies: 'none' } });
    expect(ci.state).toBe('failing');
    expect(ci.logTail).toMatch(/lint-ok: (?:command )?not found/);
  });

  it("reuses the session workspace's node_modules for an identical lockfile: hard links, not a symlink, source untouched", async () => {
    const { f, ci, record } = await runFor({ ci: ['npm', 'test'] });
    expect(ci.state).toBe('passing');
    expect(ci.logTail).toContain('lint-ok: 0 problems');
    expect(ci.logTail).toContain('node_modules is a directory');
    expect(record.dependencies).toMatchObject({ how: 'reused' });
    expect(record.dependencies?.summary).toContain(`hard-linked from ${f.ws}`);
    expect(record.dependencies?.summary).toContain('package-lock.json identical');
    // The run's files were the workspace's (two links to one file), and what it wrote stayed its own.
    expect(ci.logTail).toContain('links=2');
    expect(existsSync(join(f.ws, 'node_modules', '.cache', 'ci-was-here'))).toBe(false);
    expect((await stat(join(f.ws, 'node_modules', 'lint-ok', 'cli.js'))).nlink).toBe(1);
  });

  it('installs offline-first with the lockfile`s package manager when no checkout has node_modules for that lockfile', async () => {
    f = await setup({ ci: ['npm', 'test'] });
    await npmLibrary(f);
    // The workspace's lockfile now differs from the committed one: its node_modules do not fit.
    const lock = JSON.parse(await readFile(join(f.ws, 'package-lock.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(f.ws, 'package-lock.json'), JSON.stringify({ ...lock, name: 'lib-renamed' }, null, 2));
    const pr = await f.scm.openPullRequest({ ...openInput(), workspacePath: f.ws });
    const ci = await f.scm.runCi(pr);
    expect(ci.state).toBe('passing');
    const record = (await f.scm.getPullRequest(pr.id))!.ci[pr.headSha!]!;
    expect(record.dependencies).toMatchObject({ how: 'installed' });
    expect(record.dependencies?.summary).toContain('npm ci --prefer-offline --no-audit --no-fund');
    expect(ci.logTail).toContain('lint-ok: 0 problems');

    // `reuse` never installs: the same run goes without, and says why.
    const reuseOnly = await f.create({ ci: { command: ['npm', 'test'], dependencies: 'reuse' } });
    await f.commit(f.ws, 'README.md', 'again\n');
    const again = await reuseOnly.runCi(pr);
    expect(again.state).toBe('failing');
    expect(again.logTail).toContain('no checkout has node_modules for this package-lock.json');
  });

  it('runs ci.setup after the dependencies and before the command; a failing setup fails the run without running it', async () => {
    const setupScript = ['node', '-e', "require('fs').writeFileSync('generated.txt', 'made by setup')"];
    const command = ['node', '-e', "console.log(require('fs').readFileSync('generated.txt', 'utf8'))"];
    const { f, pr, ci } = await runFor({ ci: { command, setup: setupScript } });
    expect(ci.state).toBe('passing');
    expect(ci.logTail).toContain('made by setup');

    const failing = await f.create({ ci: { command, setup: ['node', '-e', "console.error('codegen broke'); process.exit(4)"] } });
    await f.commit(f.ws, 'README.md', 'again\n');
    const broken = await failing.runCi(pr);
    expect(broken.state).toBe('failing');
    expect(broken.logTail).toContain('codegen broke');
    expect(broken.logTail).toContain('ci.setup `node -e');
    expect(broken.logTail).not.toContain('made by setup');
  });

  it('a failing install fails the run with the installer`s output and how to change it', async () => {
    f = await setup({ ci: { command: ['npm', 'test'], dependencies: 'install' } });
    await npmLibrary(f);
    // package.json asks for a dependency the lockfile does not have: `npm ci` refuses.
    const manifest = JSON.parse(await readFile(join(f.ws, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    manifest.devDependencies['left-pad'] = '1.3.0';
    await f.commit(f.ws, 'package.json', JSON.stringify(manifest, null, 2));
    const pr = await f.scm.openPullRequest({ ...openInput(), workspacePath: f.ws });
    const ci = await f.scm.runCi(pr);
    expect(ci.state).toBe('failing');
    expect(ci.logTail).toMatch(/npm ci --prefer-offline --no-audit --no-fund` \(package-lock\.json\) failed \(exit 1\)/);
    expect(ci.logTail).toMatch(/lock file|package-lock\.json/);
    expect(ci.logTail).toContain('ci.dependencies');
  });
});

describe('package manager detection', () => {
  let dirs: Fixture | undefined;
  afterEach(async () => {
    await dirs?.cleanup();
    dirs = undefined;
  });

  it('by lockfile, then `packageManager`, with the offline-first install of each', async () => {
    dirs = await setup({});
    const project = async (name: string, files: Record<string, string>) => {
      const dir = join(dirs!.home.path, name);
      await mkdir(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      const pm = await detectPackageManager(dir);
      return pm && installArgv(pm).join(' ');
    };
    expect(await project('none', { 'README.md': '' })).toBeUndefined();
    expect(await project('npm', { 'package.json': '{}', 'package-lock.json': '{}' })).toBe('npm ci --prefer-offline --no-audit --no-fund');
    expect(await project('npm-bare', { 'package.json': '{}' })).toBe('npm install --prefer-offline --no-audit --no-fund --no-package-lock');
    expect(await project('pnpm', { 'package.json': '{}', 'pnpm-lock.yaml': '' })).toBe('pnpm install --frozen-lockfile --prefer-offline');
    expect(await project('yarn', { 'package.json': '{}', 'yarn.lock': '' })).toBe('yarn install --frozen-lockfile --prefer-offline --non-interactive');
    expect(await project('berry', { 'package.json': '{}', 'yarn.lock': '', '.yarnrc.yml': '' })).toBe('yarn install --immutable');
    expect(await project('bun', { 'package.json': '{}', 'bun.lock': '' })).toBe('bun install --frozen-lockfile');
    expect(await project('declared', { 'package.json': '{"packageManager":"pnpm@9.1.0"}' })).toBe('pnpm install --frozen-lockfile --prefer-offline');
  });
});

describe('test command detection (ao init, ao doctor)', () => {
  let dirs: Fixture | undefined;
  afterEach(async () => {
    await dirs?.cleanup();
    dirs = undefined;
  });

  it('package.json scripts.test by lockfile, else a Makefile test target, pytest, go.mod, Cargo.toml', async () => {
    dirs = await setup({});
    const detect = async (name: string, files: Record<string, string>) => {
      const dir = join(dirs!.home.path, name);
      await mkdir(dir, { recursive: true });
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      return detectTestCommand(dir);
    };
    const test = JSON.stringify({ scripts: { test: 'tape test/*.js' } });
    expect(await detect('npm', { 'package.json': test })).toEqual({ command: ['npm', 'test'], source: 'package.json scripts.test (npm)' });
    expect((await detect('pnpm', { 'package.json': test, 'pnpm-lock.yaml': '' }))?.command).toEqual(['pnpm', 'test']);
    expect((await detect('bun', { 'package.json': test, 'bun.lockb': '' }))?.command).toEqual(['bun', 'run', 'test']);
    // npm's placeholder is no test suite: the Makefile beside it is.
    const placeholder = JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } });
    expect(await detect('placeholder', { 'package.json': placeholder })).toBeUndefined();
    expect(await detect('make', { 'package.json': placeholder, Makefile: 'TEST := x\ntest:\n\tgo vet\n' })).toEqual({ command: ['make', 'test'], source: 'Makefile test target' });
    expect(await detect('make-assign', { Makefile: 'test := 1\n' })).toBeUndefined();
    expect((await detect('pytest-ini', { 'pytest.ini': '[pytest]\n' }))?.command).toEqual(['pytest']);
    expect((await detect('setup-cfg', { 'setup.cfg': '[tool:pytest]\ntestpaths = tests\n' }))?.command).toEqual(['pytest']);
    expect((await detect('pyproject', { 'pyproject.toml': '[project]\ndependencies = []\n[project.optional-dependencies]\ntest = ["pytest>=8"]\n' }))?.command).toEqual(['pytest']);
    expect((await detect('go', { 'go.mod': 'module x\n' }))?.command).toEqual(['go', 'test', './...']);
    expect((await detect('cargo', { 'Cargo.toml': '[package]\nname = "x"\n' }))?.command).toEqual(['cargo', 'test']);
    expect(await detect('nothing', { 'README.md': '# x\n' })).toBeUndefined();
  });
});
