/**
 * Recognisers of the failure blocks common test runners print, one function per runner family.
 * Each takes the normalised log lines (no ANSI codes) and returns the failing tests it found: their
 * names and the lines that belong to each failure. They never trim or budget; `failures.ts` does.
 */

export type CiRunner = 'tap' | 'vitest' | 'jest' | 'mocha' | 'node' | 'pytest' | 'go' | 'cargo';

export interface FailureBlock {
  runner: CiRunner;
  test: string;
  /** The failure's own lines (without the line naming the test, unless it says more than the name). */
  lines: string[];
  start: number;
  end: number;
}

type Recogniser = (lines: readonly string[]) => FailureBlock[];

const indentOf = (line: string): number => /^\s*/.exec(line)![0].length;
const isBlank = (line: string | undefined): boolean => line === undefined || line.trim() === '';

/** Lines after `from` that are blank or indented deeper than `indent`; returns the index after them. */
function indentedRun(lines: readonly string[], from: number, indent: number): number {
  let i = from;
  while (i < lines.length && (isBlank(lines[i]) || indentOf(lines[i]!) > indent)) i++;
  while (i > from && isBlank(lines[i - 1])) i--;
  return i;
}

/**
 * TAP (tape, node:test's TAP reporter, tap, ava --tap): `not ok N description`, its YAML
 * diagnostics (`---` … `...`), and the nearest `# test name` comment before it (tape's test name).
 */
const tap: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok\b\s*\d*\s*(?:-\s*)?(.*)$/.exec(lines[i]!);
    if (!m || /#\s*(?:TODO|SKIP)\b/i.test(m[2]!)) continue;
    const description = m[2]!.trim();
    let end = i;
    let yaml: string[] = [];
    if (/^\s*---\s*$/.test(lines[i + 1] ?? '')) {
      let j = i + 2;
      while (j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]!)) j++;
      yaml = lines.slice(i + 2, j);
      end = Math.min(j, lines.length - 1);
    }
    // node:test marks a suite "not ok" when a test in it failed; the test itself is reported.
    if (yaml.some((line) => /^\s*failureType:\s*'?subtestsFailed/.test(line))) continue;
    const test = tapName(lines, i, description);
    out.push({ runner: 'tap', test, lines: [lines[i]!.trim(), ...tapDiagnostics(yaml)], start: i, end });
  }
  return out;
};

/**
 * The failing test's full name. tape heads each test's assertions with a `# name` comment; node's
 * TAP reporter announces every test and suite with `# Subtest: name`, nested by indentation.
 */
function tapName(lines: readonly string[], at: number, description: string): string {
  const names = [description];
  let indent = indentOf(lines[at]!);
  let nodeStyle: boolean | undefined;
  for (let i = at - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/^\s*TAP version/.test(line)) break;
    const m = /^(\s*)#\s+(Subtest:\s*)?(.+)$/.exec(line);
    if (!m) continue;
    if (nodeStyle === undefined) {
      nodeStyle = m[2] !== undefined;
      if (nodeStyle && indent === 0) break;
      if (!nodeStyle) {
        if (m[3]!.trim() !== description) names.unshift(m[3]!.trim());
        break;
      }
      continue;
    }
    if (m[2] !== undefined && m[1]!.length < indent) {
      names.unshift(m[3]!.trim());
      indent = m[1]!.length;
      if (indent === 0) break;
    }
  }
  return names.join(' › ');
}

/** The YAML diagnostics without timings; the stack kept as `at` frames (one survives the trim). */
function tapDiagnostics(yaml: string[]): string[] {
  const out: string[] = [];
  const hasAt = yaml.some((line) => /^\s*at:\s/.test(line));
  for (let i = 0; i < yaml.length; i++) {
    const line = yaml[i]!;
    if (/^\s*(?:duration_ms|type|failureType):/.test(line)) continue;
    if (/^\s*stack:\s*\|?-?\s*$/.test(line)) {
      const indent = indentOf(line);
      let j = i + 1;
      while (j < yaml.length && (isBlank(yaml[j]) || indentOf(yaml[j]!) > indent)) {
        // tape's stack repeats the message and `at:`; node's lists bare frames.
        const entry = yaml[j]!.trim();
        if (!hasAt && entry && !/^\w*Error\b/.test(entry)) out.push(`${' '.repeat(indent + 2)}at ${entry.replace(/^at\s+/, '')}`);
        j++;
      }
      i = j - 1;
      continue;
    }
    out.push(line);
  }
  return out;
}

/** vitest: ` FAIL  file > suite > test` blocks after "Failed Tests", up to the `⎯⎯[1/2]⎯` rule. */
const vitest: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*FAIL\s+(\S.*?\s>\s.+|\S+\s+\[\s.*\s\])$/.exec(lines[i]!);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*(?:FAIL\s|⎯{3,}|Test Files\s)/.test(lines[j]!)) j++;
    const test = m[1]!.replace(/\s+>\s+/g, ' › ');
    out.push({ runner: 'vitest', test, lines: lines.slice(i + 1, j), start: i, end: j - 1 });
    i = j - 1;
  }
  return out;
};

/** jest: `● suite › test` blocks, each running while lines are indented under the bullet. */
const jest: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)● (.+)$/.exec(lines[i]!);
    if (!m || /^Console$/.test(m[2]!.trim())) continue;
    const end = indentedRun(lines, i + 1, m[1]!.length);
    out.push({ runner: 'jest', test: m[2]!.trim(), lines: lines.slice(i + 1, end), start: i, end: Math.max(i, end - 1) });
    i = end - 1;
  }
  return out;
};

/** mocha's spec reporter: after `N failing`, blocks `  1) suite\n       test:` up to the next one. */
const mocha: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  const from = lines.findIndex((line) => /^\s*\d+ failing\b/.test(line));
  if (from < 0) return out;
  const header = /^(\s*)(\d+)\) (.+)$/;
  const stop = /^(?:npm (?:ERR!|error)|\s*ELIFECYCLE|error Command failed|=+|\s*\d+ (?:passing|failing|pending)\b)/;
  for (let i = from + 1; i < lines.length; i++) {
    const m = header.exec(lines[i]!);
    if (!m) continue;
    // The title runs over lines (suite, then test) and ends with a colon.
    const title = [m[3]!.trim()];
    let j = i;
    while (!title[title.length - 1]!.endsWith(':') && j + 1 < lines.length && !isBlank(lines[j + 1]) && j - i < 8) {
      j++;
      title.push(lines[j]!.trim());
    }
    let k = j + 1;
    while (k < lines.length && !header.test(lines[k]!) && !stop.test(lines[k]!)) k++;
    const test = title.join(' › ').replace(/:$/, '');
    out.push({ runner: 'mocha', test, lines: lines.slice(j + 1, k), start: i, end: k - 1 });
    i = k - 1;
  }
  return out;
};

/** node:test's spec reporter: `✖ test (1.2ms)` followed by the error, indented under it. */
const nodeSpec: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)✖ (.+?)(?: \([\d.]+m?s\))?$/.exec(lines[i]!);
    if (!m || /^failing tests:$/.test(m[2]!)) continue;
    const end = indentedRun(lines, i + 1, m[1]!.length);
    // A suite's own ✖ line has nothing under it: its failing tests are reported on their own.
    if (end === i + 1) continue;
    out.push({ runner: 'node', test: m[2]!.trim(), lines: lines.slice(i + 1, end), start: i, end: end - 1 });
    i = end - 1;
  }
  return out;
};

/** pytest: the `FAILURES`/`ERRORS` sections' `___ test ___` blocks, and `FAILED id - msg` summary lines. */
const pytest: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  const summary = new Map<string, { id: string; line: number; message: string }>();
  lines.forEach((line, i) => {
    const m = /^(FAILED|ERROR) (\S+)(?: - (.*))?$/.exec(line);
    if (m) summary.set(m[2]!, { id: m[2]!, line: i, message: m[3] ?? '' });
  });
  const section = /^=+ (?:FAILURES|ERRORS) =+$/;
  const header = /^_{3,} (.+?) _{3,}$/;
  let inSection = false;
  const named = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    if (section.test(lines[i]!)) inSection = true;
    else if (/^=+ .+ =+$/.test(lines[i]!)) inSection = false;
    const m = inSection ? header.exec(lines[i]!) : null;
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && !header.test(lines[j]!) && !/^=+ .+ =+$/.test(lines[j]!)) j++;
    const body = lines.slice(i + 1, j);
    // The source line that failed (`>`), the explanation (`E `), where (`file:line: Error`).
    const essential = body.filter((line) => /^(?:>|E )/.test(line) || /^\S+:\d+: \S/.test(line));
    const name = m[1]!.replace(/^ERROR collecting /, '');
    const id = [...summary.keys()].find((key) => key === name || key.endsWith(`::${name.replace(/\./g, '::')}`)) ?? name;
    named.add(id);
    out.push({ runner: 'pytest', test: id, lines: essential.length ? essential : body, start: i, end: j - 1 });
    i = j - 1;
  }
  // `--tb=no` or `-q` runs print no FAILURES section: the summary line is all there is.
  for (const s of summary.values()) {
    if (!named.has(s.id)) out.push({ runner: 'pytest', test: s.id, lines: s.message ? [s.message] : [], start: s.line, end: s.line });
  }
  return out;
};

/**
 * go test: `--- FAIL: TestName (0.00s)` and the lines indented under it; with -v the test's output
 * comes before, under `=== RUN   TestName`. A parent whose only failure is a subtest is skipped.
 */
const goTest: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)--- FAIL: (\S+)/.exec(lines[i]!);
    if (m) {
      const indent = m[1]!.length;
      let end = i + 1;
      while (end < lines.length && !isBlank(lines[end]) && indentOf(lines[end]!) > indent) end++;
      const own = lines.slice(i + 1, end).filter((line) => !/^\s*--- (?:FAIL|PASS|SKIP):/.test(line));
      const nested = lines.slice(i + 1, end).some((line) => /^\s*--- FAIL:/.test(line));
      // Without own lines: the -v output printed under `=== RUN   name`, before the verdict.
      const body = own.length ? ownLines(lines, i + 1, end) : verboseOutput(lines, m[2]!, i);
      // A verdict with nothing under it before a panic: the panic block tells the story.
      if (body.length === 0 && (nested || /^panic: /.test(lines[i + 1] ?? ''))) continue;
      out.push({ runner: 'go', test: m[2]!, lines: body, start: i, end: own.length ? end - 1 : i });
      continue;
    }
    if (/^panic: /.test(lines[i]!)) {
      // A panic ends the test binary: its message, then the first frame of our code.
      let j = i + 1;
      while (j < lines.length && !/^(?:FAIL|exit status|ok)\b/.test(lines[j]!) && j - i < 60) j++;
      const block = lines.slice(i, j);
      const frame = block.findIndex((line, k) => k > 0 && /^\t\S+\.go:\d+/.test(line) && !/\/src\/(?:runtime|testing)\//.test(line));
      const test =
        /^\s*--- FAIL: (\S+)/.exec(lines[i - 1] ?? '')?.[1] ?? block.map((line) => /^\S+\.(Test\w+)\(/.exec(line)?.[1]).find(Boolean) ?? 'panic';
      out.push({ runner: 'go', test, lines: [lines[i]!, ...(frame > 0 ? [block[frame - 1]!, block[frame]!] : [])], start: i, end: j - 1 });
      i = j - 1;
    }
  }
  return out;
};

function ownLines(lines: readonly string[], from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    // A nested subtest's verdict and its own lines are its own block.
    if (/^\s*--- (?:FAIL|PASS|SKIP):/.test(lines[i]!)) {
      const indent = indentOf(lines[i]!);
      while (i + 1 < to && indentOf(lines[i + 1]!) > indent) i++;
      continue;
    }
    out.push(lines[i]!);
  }
  return out;
}

function verboseOutput(lines: readonly string[], name: string, before: number): string[] {
  const run = lines.findLastIndex((line, i) => i < before && line.trim() === `=== RUN   ${name}`);
  if (run < 0) return [];
  const out: string[] = [];
  for (let i = run + 1; i < before; i++) {
    if (/^\s*(?:===|---) /.test(lines[i]!)) break;
    if (/^\s+\S/.test(lines[i]!)) out.push(lines[i]!);
  }
  return out;
}

/** cargo test: `---- path::test stdout ----` blocks (the panic, its message, left/right), no backtrace. */
const cargo: Recogniser = (lines) => {
  const out: FailureBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^---- (\S+) stdout ----$/.exec(lines[i]!);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && !/^---- \S+ stdout ----$/.test(lines[j]!) && !/^(?:failures:|test result:)/.test(lines[j]!)) j++;
    const body: string[] = [];
    let inBacktrace = false;
    for (const line of lines.slice(i + 1, j)) {
      if (/^stack backtrace:$/.test(line)) inBacktrace = true;
      else if (inBacktrace && !/^\s+(?:\d+:|at )/.test(line)) inBacktrace = false;
      if (inBacktrace || /^note: (?:run with `RUST_BACKTRACE|Some details are omitted)/.test(line)) continue;
      // `thread 'name' (12345) panicked at`: the thread id differs on every run.
      body.push(line.replace(/^(thread '[^']*') \(\d+\)/, '$1'));
    }
    out.push({ runner: 'cargo', test: m[1]!, lines: body, start: i, end: j - 1 });
    i = j - 1;
  }
  return out;
};

export const recognisers: readonly Recogniser[] = [tap, vitest, jest, mocha, nodeSpec, pytest, goTest, cargo];
