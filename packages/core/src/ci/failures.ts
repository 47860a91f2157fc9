/**
 * What an agent is told about a failing CI log: the failures the log's test runner reported (the
 * test's name, its assertion, expected and actual, the first stack frame in the repository), then
 * a bounded tail, all within a character budget. A log whose runner is not recognised gets its
 * first and last lines instead. Used for local CI runs (scm-local) and GitHub check logs alike.
 *
 * The recognisers (one per runner family, in `runners.ts`) only find line ranges and names; the
 * trimming (one stack frame, bounded lines) and the budget are applied here, the same for all.
 */
import { recognisers, type FailureBlock } from './runners.js';

export type { FailureBlock, CiRunner } from './runners.js';

/** One failing test found in a log. */
export interface CiFailure {
  runner: FailureBlock['runner'];
  /** The failing test as its runner names it; suites joined with ` › `. */
  test: string;
  /** The lines that say why: assertion, expected/actual, the first stack frame in the repository. */
  detail: string[];
  /** First and last line of the failure in the normalised log (0-based, inclusive). */
  start: number;
  end: number;
}

export interface CiFailureReportOptions {
  /** Upper bound on the whole report, in characters. Default 6000. */
  maxChars?: number;
  /** Lines of the end of the log shown after the failures (or as the tail of the fallback). Default 40. */
  tailLines?: number;
  /** Lines of the start of the log shown when no failure is recognised. Default 15. */
  headLines?: number;
  /** The directory the tests ran in: stripped from paths, so they read relative to the repository. */
  root?: string;
}

export const DEFAULT_CI_REPORT_CHARS = 6000;
const DEFAULT_TAIL_LINES = 40;
const DEFAULT_HEAD_LINES = 15;
/** Lines kept of one failure's detail; the rest of it is cut. */
const MAX_DETAIL_LINES = 30;
/** Longer lines (minified code, one-line JSON) are cut to this many characters. */
const MAX_LINE_CHARS = 400;

/**
 * The log as lines a human would have seen on a terminal: ANSI colours and cursor codes removed,
 * carriage-return rewrites (progress bars) collapsed to what was left on the line.
 */
export function normaliseCiLog(log: string): string[] {
  const text = log
    // OSC (hyperlinks, titles), then CSI sequences, then single-character escapes.
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .replace(/\r\n/g, '\n');
  const lines = text.split('\n').map((line) => {
    if (!line.includes('\r')) return line.trimEnd();
    const parts = line.split('\r').filter((part) => part.trim() !== '');
    return (parts[parts.length - 1] ?? '').trimEnd();
  });
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every failing test the log's runner(s) reported, in log order, each once. */
export function extractCiFailures(log: string | readonly string[], options: Pick<CiFailureReportOptions, 'root'> = {}): CiFailure[] {
  const lines = typeof log === 'string' ? normaliseCiLog(log) : [...log];
  const blocks = recognisers.flatMap((recognise) => recognise(lines)).sort((a, b) => a.start - b.start || b.end - a.end);
  const failures: CiFailure[] = [];
  const seen = new Set<string>();
  let coveredUntil = -1;
  for (const block of blocks) {
    // A block inside one already taken (two recognisers agreeing on the same lines) adds nothing.
    if (block.start <= coveredUntil && block.end <= coveredUntil) continue;
    const test = block.test.trim() || '(unnamed test)';
    // Runners that repeat failures in a closing summary (node's spec reporter) name them twice.
    if (seen.has(`${block.runner}\0${test}`)) continue;
    seen.add(`${block.runner}\0${test}`);
    coveredUntil = Math.max(coveredUntil, block.end);
    failures.push({ runner: block.runner, test, detail: trimDetail(block.lines, options.root), start: block.start, end: block.end });
  }
  return failures;
}

/**
 * The text an agent gets for a failing log, at most `maxChars` long: the failures first, then the
 * end of the log after them; or, when no runner's failures are recognised, the start and the end
 * of the log.
 */
export function ciFailureReport(log: string, options: CiFailureReportOptions = {}): string {
  const maxChars = Math.max(200, options.maxChars ?? DEFAULT_CI_REPORT_CHARS);
  const tailLines = Math.max(0, options.tailLines ?? DEFAULT_TAIL_LINES);
  const headLines = Math.max(0, options.headLines ?? DEFAULT_HEAD_LINES);
  const lines = normaliseCiLog(log).map((line) => clipLine(relativise(line, options.root)));
  if (lines.length === 0) return '(the log is empty)';
  const failures = extractCiFailures(lines);
  if (failures.length === 0) return fallbackReport(lines, maxChars, headLines, tailLines);

  const runners = [...new Set(failures.map((f) => RUNNER_NAMES[f.runner]))].join(', ');
  const lastEnd = Math.max(...failures.map((f) => f.end));
  const tailFrom = Math.max(lastEnd + 1, lines.length - tailLines);
  const tail = collapsePassing(trimBlank(lines.slice(tailFrom)));
  // The tail gets up to a third of the budget; the failures what the tail leaves.
  const tailSection = tail.length ? fitFromEnd(tail, Math.floor(maxChars / 3), 'End of the log:') : '';
  const header = `Failing tests (${failures.length}, ${runners}):`;
  let budget = maxChars - tailSection.length - header.length - 2;
  const shown: string[] = [];
  for (const [i, failure] of failures.entries()) {
    const block = renderFailure(failure);
    const rest = failures.slice(i);
    const note = `… and ${rest.length} more: ${rest.map((f) => f.test).join('; ')}`;
    if (block.length + 2 > budget) {
      // The first failure always shows (cut to fit); later ones make way for the list of names.
      if (shown.length === 0) shown.push(block.slice(0, Math.max(0, budget - 2)));
      else shown.push(clipLine(note, Math.max(0, budget - 2)));
      break;
    }
    shown.push(block);
    budget -= block.length + 2;
  }
  return [header, ...shown, ...(tailSection ? [tailSection] : [])].join('\n\n').slice(0, maxChars);
}

const RUNNER_NAMES: Record<CiFailure['runner'], string> = {
  tap: 'TAP',
  vitest: 'vitest',
  jest: 'jest',
  mocha: 'mocha',
  node: 'node:test',
  pytest: 'pytest',
  go: 'go test',
  cargo: 'cargo test',
};

function renderFailure(failure: CiFailure): string {
  return [`✖ ${failure.test}`, ...failure.detail.map((line) => (line ? `    ${line}` : ''))].join('\n');
}

function fallbackReport(lines: string[], maxChars: number, headLines: number, tailLines: number): string {
  const whole = `The log (no failing test recognised in it):\n${lines.join('\n')}`;
  if (lines.length <= headLines + tailLines && whole.length <= maxChars) return whole;
  const headCount = Math.min(headLines, Math.max(0, lines.length - tailLines));
  const head = collapsePassing(trimBlank(lines.slice(0, headCount)));
  const tailSlice = trimBlank(lines.slice(Math.max(headCount, lines.length - tailLines)));
  const tail = collapsePassing(tailSlice);
  const omitted = lines.length - headCount - tailSlice.length;
  const title = `No failing test recognised in the log (${lines.length} lines); its start and its end:`;
  const gap = omitted > 0 ? `[… ${omitted} line(s) left out …]` : '';
  const tailBudget = Math.floor(((maxChars - title.length - gap.length) * 2) / 3);
  const tailText = fitFromEnd(tail, tailBudget, '');
  const headText = fitFromStart(head, maxChars - title.length - gap.length - tailText.length - 4);
  return [title, headText, gap, tailText].filter(Boolean).join('\n').slice(0, maxChars);
}

/** As many of the last lines as fit in `budget` characters (with the heading), oldest first. */
function fitFromEnd(lines: string[], budget: number, heading: string): string {
  const out: string[] = [];
  let used = heading.length + 1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (used + line.length + 1 > budget) break;
    out.unshift(line);
    used += line.length + 1;
  }
  if (out.length === 0) return '';
  return heading ? `${heading}\n${out.join('\n')}` : out.join('\n');
}

function fitFromStart(lines: string[], budget: number): string {
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
}

/** A line reporting a passing test: TAP `ok`, ✓/✔, pytest PASSED, go's PASS and RUN, cargo's `... ok`. */
const PASSING = /^\s*(?:ok \d+\b(?!.*#\s*(?:TODO|SKIP))|[✓✔√] |--- PASS: |=== (?:RUN|PAUSE|CONT) |test \S+ \.\.\. ok$)|\sPASSED(?:\s+\[\s*\d+%\])?$/;

/**
 * Runs of 3+ lines about passing tests (with tape's `# name` line before each `ok`) folded into one
 * line: they say nothing about the failure and would crowd the rest out of the budget.
 */
function collapsePassing(lines: string[]): string[] {
  const passing = lines.map((line, i) => PASSING.test(line) || (/^\s*#\s/.test(line) && PASSING.test(lines[i + 1] ?? '') && !/^\s*#\s+(?:tests|pass|fail|skip|todo)\b/.test(line)));
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && passing[j]) j++;
    if (j - i >= 3) {
      out.push(`[… ${j - i} lines about passing tests …]`);
      i = j;
    } else {
      out.push(lines[i]!);
      i++;
    }
  }
  return out;
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && !lines[start]!.trim()) start++;
  while (end > start && !lines[end - 1]!.trim()) end--;
  return lines.slice(start, end);
}

function clipLine(line: string, max = MAX_LINE_CHARS): string {
  return line.length > max ? `${line.slice(0, Math.max(0, max - 1))}…` : line;
}

/** `root` (the CI checkout) stripped from paths and `file://` URLs, so they read repo-relative. */
function relativise(line: string, root: string | undefined): string {
  if (!root) return line;
  const base = root.replace(/\/+$/, '');
  return line.split(`file://${base}/`).join('').split(`${base}/`).join('');
}

/** A stack frame's location: in `at f (loc)`, `at loc`, or vitest's `❯ loc`. */
const FRAME = /^\s*(?:at\s+(?:.*?\((.+)\)|(\S+))|❯\s+(\S+:\d+(?::\d+)?))\s*$/;
const FOREIGN_FRAME = /node_modules|node:|internal\/|^native$|^index \d+$|\/rustc\/|\/\.cargo\/|\/usr\/(?:local\/)?lib\//;

/**
 * The block's lines, dedented, with one stack frame kept — the first that points into the
 * repository (else the first) — and at most MAX_DETAIL_LINES lines.
 */
function trimDetail(lines: readonly string[], root?: string): string[] {
  const cleaned = lines.map((line) => clipLine(relativise(line, root)));
  const frames = cleaned.map((line) => FRAME.exec(line)).map((m) => (m ? (m[1] ?? m[2] ?? m[3] ?? '') : undefined));
  const ownFrame = frames.findIndex((loc) => loc !== undefined && !FOREIGN_FRAME.test(loc));
  const keep = ownFrame >= 0 ? ownFrame : frames.findIndex((loc) => loc !== undefined);
  const kept = cleaned.filter((_, i) => frames[i] === undefined || i === keep).filter((line) => !/^\s*stack(?: backtrace)?:(?:\s*\|-?)?\s*$/.test(line));
  const body = dedent(trimBlank(kept)).filter((line, i, all) => line !== '' || all[i - 1] !== '');
  return body.length > MAX_DETAIL_LINES ? [...body.slice(0, MAX_DETAIL_LINES), `[… ${body.length - MAX_DETAIL_LINES} more line(s)]`] : body;
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((line) => line.trim()).map((line) => /^\s*/.exec(line)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common));
}
