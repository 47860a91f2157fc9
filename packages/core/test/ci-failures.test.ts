/**
 * CI failure reports on recorded output of runners npm cannot install (pytest, go test, cargo
 * test: real runs, kept under test/fixtures/ci-logs), and the report's budget and fallback.
 * The JavaScript runners are run for real in ci-failures-runners.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ciFailureReport, extractCiFailures, normaliseCiLog } from '../src/ci/failures.js';

const fixture = (name: string) => readFileSync(join(fileURLToPath(new URL('./fixtures/ci-logs', import.meta.url)), name), 'utf8');

describe('CI failure extraction on recorded logs', () => {
  it('pytest: the FAILURES blocks (the failing line, E lines, file:line), named as in the summary', () => {
    for (const name of ['pytest.txt', 'pytest-verbose.txt']) {
      const failures = extractCiFailures(fixture(name));
      expect(failures.map((f) => f.test)).toEqual(['test_math.py::test_adds_numbers', 'test_math.py::test_compares_lists']);
      expect(failures[0]!.detail).toEqual(['>       assert add(1, 1) == 3', 'E       assert 2 == 3', 'E        +  where 2 = add(1, 1)', 'test_math.py:10: AssertionError']);
      const report = ciFailureReport(fixture(name), { tailLines: 5 });
      expect(report).toContain('At index 2 diff: 3 != 4');
      // -v prints a PASSED line per test: none reaches the agent.
      expect(report).not.toContain('PASSED');
      expect(report).not.toContain('test_more_');
    }
  });

  it('pytest without tracebacks (--tb=no): the short summary lines', () => {
    const log = fixture('pytest.txt').replace(/=+ FAILURES =+[\s\S]*?(?==+ short test summary)/, '');
    const failures = extractCiFailures(log);
    expect(failures.map((f) => [f.test, f.detail])).toEqual([
      ['test_math.py::test_adds_numbers', ['assert 2 == 3']],
      ['test_math.py::test_compares_lists', ['assert [1, 2, 3] == [1, 2, 4]']],
    ]);
  });

  it('go test: `--- FAIL` with the lines under it (testify too), subtests by their full name, -v output', () => {
    const plain = extractCiFailures(fixture('go-test.txt'));
    expect(plain.map((f) => f.test)).toEqual(['TestAdd', 'TestTable/negative']);
    expect(plain[0]!.detail.join('\n')).toMatch(/expected: 3\n.*actual {2}: 2/);
    expect(plain[1]!.detail).toEqual(['calc_test.go:31: Add(-1, -1) = -2, want -3']);

    const verbose = extractCiFailures(fixture('go-test-verbose.txt'));
    expect(verbose.map((f) => [f.test, f.detail])).toEqual([
      ['TestAdd', ['calc_test.go:9: Add(1, 1) = 2, want 3']],
      ['TestTable/negative', ['calc_test.go:31: Add(-1, -1) = -2, want -3']],
    ]);
    expect(ciFailureReport(fixture('go-test-verbose.txt'), { tailLines: 3 })).not.toContain('TestSub');
  });

  it('go test: a panic with its message and the first frame in the module, not the runtime', () => {
    const [failure, ...rest] = extractCiFailures(fixture('go-test-panic.txt'));
    expect(rest).toEqual([]);
    expect(failure!.test).toBe('TestParse');
    expect(failure!.detail.join('\n')).toContain('index out of range [3] with length 3');
    expect(failure!.detail.join('\n')).toContain('/home/dev/calc/parse.go:14');
    expect(failure!.detail.join('\n')).not.toContain('/usr/local/go/src');
  });

  it('cargo test: each `---- test stdout ----` panic with left/right, without the backtrace', () => {
    for (const name of ['cargo-test.txt', 'cargo-test-backtrace.txt']) {
      const failures = extractCiFailures(fixture(name));
      expect(failures.map((f) => f.test)).toEqual(['tests::adds_numbers', 'tests::parses_config']);
      expect(failures[0]!.detail).toEqual(["thread 'tests::adds_numbers' panicked at src/lib.rs:16:9:", 'assertion `left == right` failed', '  left: 2', ' right: 3']);
      expect(failures[1]!.detail).toEqual(["thread 'tests::parses_config' panicked at src/lib.rs:22:11:", 'config has a port']);
      const report = ciFailureReport(fixture(name), { tailLines: 4 });
      expect(report).not.toContain('rust_begin_unwind');
      expect(report).not.toContain('... ok');
      expect(report).toContain('test result: FAILED. 1 passed; 2 failed');
    }
  });
});

describe('the CI failure report', () => {
  const passing = (n: number) => Array.from({ length: n }, (_, i) => `ok ${i + 1} passing assertion ${i + 1}`);

  it('leads with the failures, then the end of the log after them, within the budget', () => {
    const log = ['TAP version 13', '# adds', ...passing(300), '# greets', 'not ok 301 greeting', '  ---', "    expected: 'Hello'", "    actual:   'hello'", '  ...', ...passing(300).map((l) => l.replace(/\d+/, (d) => String(Number(d) + 301))), '# fail 1'].join('\n');
    const report = ciFailureReport(log, { tailLines: 5, maxChars: 1000 });
    expect(report.length).toBeLessThanOrEqual(1000);
    expect(report.startsWith('Failing tests (1, TAP):\n\n✖ greets › greeting')).toBe(true);
    expect(report).toContain("expected: 'Hello'");
    expect(report).toContain("actual:   'hello'");
    // The passing lines of the tail fold into one: the counts stay.
    expect(report).toMatch(/End of the log:\n\[… 4 lines about passing tests …\]\n# fail 1$/);
    expect(report).not.toContain('passing assertion 1\n');
  });

  it('names the failures that do not fit, and cuts a huge one to the budget', () => {
    const many = Array.from({ length: 50 }, (_, i) => [`not ok ${i + 1} case ${i + 1}`, '  ---', `    message: ${'x'.repeat(300)}`, '  ...']).flat();
    const report = ciFailureReport(many.join('\n'), { maxChars: 2000, tailLines: 0 });
    expect(report.length).toBeLessThanOrEqual(2000);
    expect(report).toContain('Failing tests (50, TAP)');
    expect(report).toContain('✖ case 1\n');
    expect(report).toMatch(/… and \d+ more: case \d+; case \d+/);

    const huge = ['not ok 1 huge', '  ---', ...Array.from({ length: 500 }, (_, i) => `    line ${i}: ${'y'.repeat(100)}`), '  ...'].join('\n');
    const cut = ciFailureReport(huge, { maxChars: 1500 });
    expect(cut.length).toBeLessThanOrEqual(1500);
    expect(cut).toContain('✖ huge');
  });

  it('keeps one stack frame, the first in the repository, with the checkout path stripped', () => {
    const root = '/tmp/ao-ci-1234-abc';
    const log = [
      '  ● math › adds',
      '',
      '    Expected: 3',
      '    Received: 2',
      '',
      `      at Object.assert (${root}/node_modules/some-lib/index.js:1:1)`,
      `      at Object.toBe (${root}/test/math.test.js:4:19)`,
      `      at Object.other (${root}/test/helpers.js:9:1)`,
      '      at process.processImmediate (node:internal/timers:483:21)',
      '',
      'Test Suites: 1 failed, 1 total',
    ].join('\n');
    const [failure] = extractCiFailures(log, { root });
    expect(failure!.detail).toEqual(['Expected: 3', 'Received: 2', '', '  at Object.toBe (test/math.test.js:4:19)']);
  });

  it('falls back to the start and the end of a log it recognises nothing in', () => {
    const log = ['> lib@1.0.0 test', '> eslint . && tape test/*.js', ...Array.from({ length: 200 }, (_, i) => `noise ${i}`), 'Error: something broke'].join('\n');
    const report = ciFailureReport(log, { headLines: 2, tailLines: 3 });
    expect(report).toBe(
      ['No failing test recognised in the log (203 lines); its start and its end:', '> lib@1.0.0 test', '> eslint . && tape test/*.js', '[… 198 line(s) left out …]', 'noise 198', 'noise 199', 'Error: something broke'].join('\n'),
    );
    expect(ciFailureReport('one\ntwo\n')).toBe('The log (no failing test recognised in it):\none\ntwo');
    expect(ciFailureReport('')).toBe('(the log is empty)');
  });

  it('reads the log as a terminal showed it: no colour codes, progress bars collapsed', () => {
    expect(normaliseCiLog('\x1b[31mnot ok\x1b[39m 1 x\r\n\x1b]8;;http://x\x07link\x1b]8;;\x07\nprogress 10%\rprogress 100%\n\n')).toEqual(['not ok 1 x', 'link', 'progress 100%']);
  });
});
