import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ciArgv } from '../src/index.js';
import { openInput, setup, type Fixture } from './setup.js';

/** `node -e <script> <args…>`: inside the script, `process.argv[1]` is the first arg. */
const node = (script: string, ...args: string[]) => ['node', '-e', script, ...args];

/** Appends one `x` to the file in argv[1] each time CI runs, then passes. */
const COUNT = "require('fs').appendFileSync(process.argv[1], 'x')";

describe('scm-local CI', () => {
  let f: Fixture | undefined;

  afterEach(async () => {
    await f?.cleanup();
    f = undefined;
  });

  async function openPr(config: Record<string, unknown>) {
    f = await setup(config);
    await f.commit(f.ws, 'feature.txt', 'feature\n');
    return { f, pr: await f.scm.openPullRequest(openInput()) };
  }

  const runs = async (file: string) => (existsSync(file) ? (await readFile(file, 'utf8')).length : 0);

  it('passes in a temporary checkout of the PR head that is removed afterwards', async () => {
    // Prints where it ran, checks it sees the PR's commit, and leaves a file behind in its cwd.
    const script =
      "const fs = require('fs'); console.log('cwd=' + process.cwd());" +
      "if (!fs.existsSync('feature.txt')) process.exit(9); fs.writeFileSync('ci-marker.txt', 'x')";
    const { f, pr } = await openPr({ ci: node(script) });
    await writeFile(join(f.ws, 'uncommitted.txt'), 'agent work in progress\n');
    const wsStatus = await f.git(f.ws, 'status', '--porcelain');
    const repoStatus = await f.git(f.repo.path, 'status', '--porcelain');

    const ci = await f.scm.runCi(pr);
    expect(ci).toMatchObject({ state: 'passing', sha: pr.headSha, failing: [] });
    const run = (await f.scm.getPullRequest('1'))?.ci[pr.headSha!];
    expect(run).toMatchObject({ state: 'passing', exitCode: 0 });
    expect(run?.finishedAt).toEqual(expect.any(String));

    const cwd = /cwd=(.*)/.exec(run?.logTail ?? '')?.[1];
    expect(cwd).toBeDefined();
    expect(cwd).not.toBe(f.repo.path);
    expect(cwd).not.toBe(f.ws);
    expect(existsSync(cwd!)).toBe(false);
    expect(await f.repo.git('worktree', 'list', '--porcelain')).not.toContain(cwd!);
    // Neither the user's tree nor the agent's workspace saw the run.
    expect(existsSync(join(f.repo.path, 'ci-marker.txt'))).toBe(false);
    expect(existsSync(join(f.ws, 'ci-marker.txt'))).toBe(false);
    expect(await f.git(f.ws, 'status', '--porcelain')).toBe(wsStatus);
    expect(await f.git(f.repo.path, 'status', '--porcelain')).toBe(repoStatus);
  });

  it('fails with the exit code and, for output it recognises no test in, its first and last lines (stdout, then stderr)', async () => {
    const script = "for (let i = 1; i <= 100; i++) console.log('line ' + i); console.error('boom'); process.exit(3)";
    const { f, pr } = await openPr({ ci: node(script), logTailLines: 5 });
    const ci = await f.scm.runCi(pr);
    expect(ci).toMatchObject({ state: 'failing', sha: pr.headSha, failing: ['ci'] });
    expect(ci.logTail).toMatch(/^No failing test recognised in the log \(102 lines\); its start and its end:\nao: dependencies: none \(no package.json\)/);
    expect(ci.logTail).toContain('\nline 1\nline 2\n');
    expect(ci.logTail).toMatch(/\nline 97\nline 98\nline 99\nline 100\nboom$/);
    expect(ci.logTail).not.toContain('line 50\n');
    expect((await f.scm.getPullRequest('1'))?.ci[pr.headSha!]).toMatchObject({ state: 'failing', exitCode: 3 });

    const status = (await f.scm.pollPullRequests([pr])).get('1');
    expect(status?.ci).toEqual(ci);
    expect(await f.repo.git('worktree', 'list', '--porcelain')).not.toContain('ao-ci-');
  });

  it("tells the agent which test failed and why, with paths relative to the repository, not the passing tail", async () => {
    f = await setup({ ci: ['node', '--test', '--test-reporter=tap'], logTailLines: 10 });
    const passing = (from: number) => Array.from({ length: 30 }, (_, i) => `  it('passes ${from + i}', () => assert.equal(1, 1));`).join('\n');
    const suite = [
      "import { describe, it } from 'node:test';",
      "import assert from 'node:assert/strict';",
      "const slugify = (s) => s.toLowerCase().replace(/ /g, '_');",
      "describe('slugify', () => {",
      passing(1),
      "  it('joins words with dashes', () => {",
      "    assert.equal(slugify('Hello World'), 'hello-world');",
      '  });',
      passing(31),
      '});',
    ].join('\n');
    await f.commit(f.ws, 'slugify.test.mjs', `${suite}\n`);
    const pr = await f.scm.openPullRequest(openInput());
    const ci = await f.scm.runCi(pr);
    expect(ci.state).toBe('failing');
    expect(ci.logTail).toContain('slugify › joins words with dashes');
    expect(ci.logTail).toContain("expected: 'hello-world'");
    expect(ci.logTail).toContain("actual: 'hello_world'");
    expect(ci.logTail).toMatch(/at .*\(slugify\.test\.mjs:\d+:\d+\)/);
    expect(ci.logTail).not.toContain('ao-ci-');
    expect(ci.logTail).not.toContain('passes 1\n');
    expect(ci.logTail).toContain('# fail 1');
  });

  it('runs once per head sha, and again for a new commit', async () => {
    const counter = await setupCounter();
    const { f, pr } = await openPr({ ci: node(COUNT, counter) });
    await Promise.all([f.scm.runCi(pr), f.scm.runCi(pr), (await f.create()).runCi(pr)]);
    await f.scm.runCi(pr);
    expect((await f.scm.pollPullRequests([pr])).get('1')?.ci.state).toBe('passing');
    expect(await runs(counter)).toBe(1);

    const next = await f.commit(f.ws, 'feature.txt', 'second\n');
    const polled = (await f.scm.pollPullRequests([pr])).get('1');
    expect(polled?.ci).toMatchObject({ state: 'pending', sha: next });
    expect(await f.scm.runCi(pr)).toMatchObject({ state: 'passing', sha: next });
    expect(await runs(counter)).toBe(2);
    expect(Object.keys((await f.scm.getPullRequest('1'))!.ci).sort()).toEqual([pr.headSha, next].sort());
  });

  it('poll starts CI in the background and returns pending while it runs', async () => {
    const dir = await tempFileDir();
    const [started, gate] = [join(dir, 'started'), join(dir, 'gate')];
    // Says it started, then runs until the gate file appears (or gives up after 20 s so a failed
    // test leaves no process behind).
    const script =
      "const fs = require('fs'); fs.writeFileSync(process.argv[1], ''); setTimeout(() => process.exit(1), 20000).unref();" +
      'const t = setInterval(() => { if (fs.existsSync(process.argv[2])) clearInterval(t); }, 20)';
    const { f, pr } = await openPr({ ci: node(script, started, gate) });
    const first = (await f.scm.pollPullRequests([pr])).get('1');
    expect(first?.ci).toEqual({ state: 'pending', sha: pr.headSha, failing: [] });
    await waitForFile(started);
    expect((await f.scm.pollPullRequests([pr])).get('1')?.ci.state).toBe('pending');
    expect((await f.scm.getPullRequest('1'))?.ci[pr.headSha!]).toMatchObject({ state: 'pending', pid: process.pid });

    await writeFile(gate, '');
    expect(await f.scm.runCi(pr)).toMatchObject({ state: 'passing' });
    expect((await f.scm.pollPullRequests([pr])).get('1')?.ci.state).toBe('passing');
  });

  it('restarts a run whose process died, and leaves one a live process owns alone', async () => {
    const counter = await setupCounter();
    const { f, pr } = await openPr({ ci: node(COUNT, counter) });
    const sha = pr.headSha!;
    const markPending = async (pid: number) => {
      const file = f.prFile('1');
      const record = JSON.parse(await readFile(file, 'utf8'));
      record.ci[sha] = { state: 'pending', startedAt: new Date().toISOString(), pid };
      await writeFile(file, JSON.stringify(record));
    };

    const owner = spawn('node', ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await markPending(owner.pid!);
      expect((await f.scm.pollPullRequests([pr])).get('1')?.ci.state).toBe('pending');
      expect(await runs(counter)).toBe(0);
    } finally {
      owner.kill('SIGKILL');
      await new Promise((resolve) => owner.once('exit', resolve));
    }

    const dead = spawnSync('node', ['-e', '']).pid;
    await markPending(dead);
    expect(await f.scm.runCi(pr)).toMatchObject({ state: 'passing', sha });
    expect(await runs(counter)).toBe(1);
  });

  it('removes CI checkouts left behind by an ao process that died', async () => {
    const { f, pr } = await openPr({ ci: node('') });
    const dead = spawnSync('node', ['-e', '']).pid;
    const leftover = join(tmpdir(), `ao-ci-${dead}-leftover${process.pid}`);
    await f.repo.git('worktree', 'add', '--quiet', '--detach', leftover, 'main');
    cleanups.push(() => rm(leftover, { recursive: true, force: true }));
    await f.scm.runCi(pr);
    expect(existsSync(leftover)).toBe(false);
    expect(await f.repo.git('worktree', 'list', '--porcelain')).not.toContain(leftover);
  });

  it('kills a run that exceeds ciTimeoutMs and counts it as failing', async () => {
    const { f, pr } = await openPr({ ci: node('setInterval(() => {}, 1000)'), ciTimeoutMs: 500 });
    const ci = await f.scm.runCi(pr);
    expect(ci.state).toBe('failing');
    expect(ci.logTail).toContain('timed out');
    expect((await f.scm.getPullRequest('1'))?.ci[pr.headSha!]?.exitCode).toBeNull();
    expect(await f.repo.git('worktree', 'list', '--porcelain')).not.toContain('ao-ci-');
  });

  it('reports a command that is not installed as a failing run', async () => {
    const { f, pr } = await openPr({ ci: ['ao-no-such-ci-command-xyz', 'test'] });
    const ci = await f.scm.runCi(pr);
    expect(ci.state).toBe('failing');
    expect(ci.logTail).toContain('ao-no-such-ci-command-xyz');
  });

  it('accepts the command as a whitespace-split string (no shell)', async () => {
    expect(ciArgv('  npm   run test ')).toEqual(['npm', 'run', 'test']);
    expect(ciArgv(['node', 'a b.js'])).toEqual(['node', 'a b.js']);
    expect(ciArgv(undefined)).toBeUndefined();
    const { f, pr } = await openPr({ ci: 'node -e process.exit(0)' });
    expect((await f.scm.runCi(pr)).state).toBe('passing');
  });

  it('reports no CI when no command is configured', async () => {
    const { f, pr } = await openPr({});
    expect(await f.scm.runCi(pr)).toEqual({ state: 'none', failing: [] });
  });

  function waitForFile(file: string): Promise<void> {
    return vi.waitFor(
      () => {
        if (!existsSync(file)) throw new Error(`waiting for ${file} to be written`);
      },
      { timeout: 20_000, interval: 20 },
    );
  }

  // A file outside every repo, so counting runs never dirties a checkout.
  async function setupCounter(): Promise<string> {
    return join(await tempFileDir(), 'runs');
  }
  async function tempFileDir(): Promise<string> {
    const { createTempDir } = await import('@ao/testkit/temp-repo');
    const dir = await createTempDir('ao-scm-ci-');
    cleanups.push(dir.cleanup);
    return dir.path;
  }
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
});
