/**
 * CI failure reports on the REAL output of the JavaScript test runners npm installs: each test
 * writes a small suite (40 passing tests around one failing one) into a temp dir, runs the runner
 * there as a CI would, and checks what the agent would be told.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ciFailureReport, extractCiFailures } from '../src/ci/failures.js';

const require = createRequire(import.meta.url);

/** node + the package's bin script, resolved from this package (core's devDependencies, or the workspace's vitest). */
async function binOf(pkg: string, bin = pkg): Promise<string[]> {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { bin: string | Record<string, string> };
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[bin]!;
  return [process.execPath, join(dirname(manifestPath), rel)];
}

/** The environment of a CI run: this test process's own runner variables left out. */
function ciEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(?:VITEST|TEST|NODE_OPTIONS|NODE_TEST|JEST|MOCHA|FORCE_COLOR|NO_COLOR)/.test(key)) env[key] = value;
  }
  return { ...env, CI: 'true', ...extra };
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, env, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function suiteDir(files: Record<string, string>, links: string[] = []): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'ao-ci-failures-')));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  // The suite imports its runner by name, as a project's tests do.
  for (const pkg of links) {
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await symlink(dirname(require.resolve(`${pkg}/package.json`)), join(dir, 'node_modules', pkg));
  }
  return dir;
}

/** Blank lines around the failing test, so a code frame (±2 lines) shows none of the passing ones. */
const PAD = '\n\n\n';
const GREETER = "const greet = (name) => 'hello ' + name;\n";
const BEFORE = Array.from({ length: 20 }, (_, i) => `ok-case-${String(i + 1).padStart(2, '0')}`);
const AFTER = Array.from({ length: 20 }, (_, i) => `ok-case-${String(i + 21).padStart(2, '0')}`);

/**
 * What every runner's report must say: the failing test's name, the assertion's expected and
 * actual values, where in the suite it failed (relative to the checkout), and none of the passing
 * tests printed before the failure.
 */
function expectNamesTheFailure(report: string, dir: string, file: string): void {
  expect(report).toContain('greets by name');
  expect(report).toContain('Hello, Ada!');
  expect(report).toContain('hello ada');
  expect(report).toMatch(new RegExp(`${file.replace('.', '\\.')}:\\d+`));
  expect(report).not.toContain(dir);
  for (const name of BEFORE) expect(report).not.toContain(name);
  expect(report.length).toBeLessThanOrEqual(3000);
}

describe('CI failure reports on real runner output', () => {
  it('tape: the `# test` name, the `not ok` assertion and its expected/actual, not the passing tail', async () => {
    const tests = (names: string[]) => names.map((n) => `test('${n}', (t) => { t.equal(greet('x'), 'hello x'); t.end(); });`).join('\n');
    const dir = await suiteDir(
      {
        'package.json': '{ "name": "greeter", "private": true }\n',
        'test.js': `const test = require('tape');\n${GREETER}${tests(BEFORE)}\ntest('greets by name', (t) => {\n  t.equal(greet('ada'), 'Hello, Ada!', 'capitalised greeting');\n  t.end();\n});\n${PAD}${tests(AFTER)}\n`,
      },
      ['tape'],
    );
    const { code, output } = await run([process.execPath, 'test.js'], dir, ciEnv());
    expect(code).not.toBe(0);
    // The 40-line tail the agent used to get: passing lines and the counts, no failure.
    expect(output.trimEnd().split('\n').slice(-40).join('\n')).not.toContain('Hello, Ada!');

    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'test.js');
    expect(report).toContain('greets by name › capitalised greeting');
    expect(report).toContain('# fail  1');
  });

  it('node:test (TAP reporter, as node 20 prints when not on a terminal)', async () => {
    const tests = (names: string[]) => names.map((n) => `  it('${n}', () => { assert.equal(greet('x'), 'hello x'); });`).join('\n');
    const dir = await suiteDir({
      'greeter.test.mjs': `import { describe, it } from 'node:test';\nimport assert from 'node:assert/strict';\n${GREETER}describe('greeter', () => {\n${tests(BEFORE)}\n${PAD}  it('greets by name', () => {\n    assert.equal(greet('ada'), 'Hello, Ada!');\n  });\n${PAD}${tests(AFTER)}\n});\n`,
    });
    const { code, output } = await run([process.execPath, '--test', '--test-reporter=tap'], dir, ciEnv());
    expect(code).not.toBe(0);
    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'greeter.test.mjs');
    // The suite's own roll-up ("1 subtest failed") is not a failure of its own.
    expect(extractCiFailures(output).map((f) => f.test)).toEqual(['greeter › greets by name']);
  });

  it('node:test (spec reporter)', async () => {
    const tests = (names: string[]) => names.map((n) => `  it('${n}', () => { assert.equal(greet('x'), 'hello x'); });`).join('\n');
    const dir = await suiteDir({
      'greeter.test.mjs': `import { describe, it } from 'node:test';\nimport assert from 'node:assert/strict';\n${GREETER}describe('greeter', () => {\n${tests(BEFORE)}\n${PAD}  it('greets by name', () => {\n    assert.equal(greet('ada'), 'Hello, Ada!');\n  });\n${PAD}${tests(AFTER)}\n});\n`,
    });
    const { code, output } = await run([process.execPath, '--test', '--test-reporter=spec'], dir, ciEnv());
    expect(code).not.toBe(0);
    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'greeter.test.mjs');
    // The closing "failing tests" summary repeats it: reported once.
    expect(extractCiFailures(output).map((f) => f.test)).toEqual(['greets by name']);
  });

  it('vitest (with colours, as a CI with FORCE_COLOR prints them)', async () => {
    const tests = (names: string[]) => names.map((n) => `  it('${n}', () => { expect(greet('x')).toBe('hello x'); });`).join('\n');
    const dir = await suiteDir(
      {
        'package.json': '{ "name": "greeter", "private": true, "type": "module" }\n',
        'greeter.test.js': `import { describe, expect, it } from 'vitest';\n${GREETER}describe('greeter', () => {\n${tests(BEFORE)}\n${PAD}  it('greets by name', () => {\n    expect(greet('ada')).toBe('Hello, Ada!');\n  });\n${PAD}${tests(AFTER)}\n});\n`,
      },
      ['vitest'],
    );
    const { code, output } = await run([...(await binOf('vitest')), 'run', '--reporter=verbose'], dir, ciEnv({ FORCE_COLOR: '1' }));
    expect(code).not.toBe(0);
    expect(output).toContain('\x1b[');
    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'greeter.test.js');
    expect(report).not.toContain('\x1b[');
    expect(extractCiFailures(output).map((f) => f.test)).toEqual(['greeter.test.js › greeter › greets by name']);
  });

  it('jest', async () => {
    const tests = (names: string[]) => names.map((n) => `  test('${n}', () => { expect(greet('x')).toBe('hello x'); });`).join('\n');
    const dir = await suiteDir({
      'package.json': '{ "name": "greeter", "private": true }\n',
      'greeter.test.js': `${GREETER}describe('greeter', () => {\n${tests(BEFORE)}\n${PAD}  test('greets by name', () => {\n    expect(greet('ada')).toBe('Hello, Ada!');\n  });\n${PAD}${tests(AFTER)}\n});\n`,
    });
    const { code, output } = await run([...(await binOf('jest')), '--verbose'], dir, ciEnv({ FORCE_COLOR: '1' }));
    expect(code).not.toBe(0);
    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'greeter.test.js');
    expect(report).toContain('Expected: "Hello, Ada!"');
    expect(report).toContain('Received: "hello ada"');
    expect(extractCiFailures(output).map((f) => f.test)).toEqual(['greeter › greets by name']);
  });

  it('mocha', async () => {
    const tests = (names: string[]) => names.map((n) => `  it('${n}', () => { assert.strictEqual(greet('x'), 'hello x'); });`).join('\n');
    const dir = await suiteDir({
      'package.json': '{ "name": "greeter", "private": true }\n',
      'test/greeter.test.js': `const assert = require('node:assert');\n${GREETER}describe('greeter', () => {\n${tests(BEFORE)}\n${PAD}  it('greets by name', () => {\n    assert.strictEqual(greet('ada'), 'Hello, Ada!');\n  });\n${PAD}${tests(AFTER)}\n});\n`,
    });
    const { code, output } = await run(await binOf('mocha'), dir, ciEnv());
    expect(code).not.toBe(0);
    const report = ciFailureReport(output, { root: dir, tailLines: 10, maxChars: 3000 });
    expectNamesTheFailure(report, dir, 'greeter.test.js');
    expect(extractCiFailures(output).map((f) => f.test)).toEqual(['greeter › greets by name']);
  });
});
