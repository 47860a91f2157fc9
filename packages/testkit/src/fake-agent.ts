/**
 * A scripted stand-in for an AI coding agent CLI. It behaves like one in a terminal — raw-mode
 * input, bracketed paste, a `> ` prompt, files written and commits made in its cwd — and logs
 * every submission it receives as JSON lines, so tests can check exactly what arrived.
 *
 * Scenario file (YAML or JSON): `{ steps: [...] }`, each step an object with exactly one key:
 *   print: TEXT               write TEXT and a newline
 *   prompt: "> "              show the prompt, wait for one submission (it becomes `{{input}}`)
 *   waitFor: REGEX            prompt with `> ` until a submission matches REGEX
 *   echo: true | TEXT         print `received: {{input}}` (or TEXT)
 *   write: { path, content }  write a file (path relative to cwd; parents created)
 *   append: { path, content } append to a file
 *   commit: MESSAGE           `git add -A` then `git commit -m MESSAGE` in cwd
 *   sleep: MS                 wait
 *   exit: CODE                exit with CODE
 *   repeat: true              start again from the first step (needs a prompt/waitFor/sleep step)
 *   idle: true                become the interactive echo agent (never exits on its own)
 * Strings may use `{{input}}` (last submission) and `{{name}}`. When the steps run out the agent
 * exits 0. Without a scenario it is the interactive echo agent: `> `, then `received: <text>`,
 * until `/exit`.
 *
 * Log (`--log FILE` / AO_FAKE_LOG), one JSON object per line with `ts`, `type`, `name`:
 *   started {pid, cwd, tty} · waiting {prompt} (idle at a prompt: safe to send now) ·
 *   received {text, source} · wrote {path} · committed {message, sha} · error · exited {code|signal}
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export type FakeAgentStep =
  | { kind: 'print'; text: string }
  | { kind: 'prompt'; prompt: string }
  | { kind: 'waitFor'; pattern: string }
  | { kind: 'echo'; template: string }
  | { kind: 'write'; path: string; content: string }
  | { kind: 'append'; path: string; content: string }
  | { kind: 'commit'; message: string }
  | { kind: 'sleep'; ms: number }
  | { kind: 'exit'; code: number }
  | { kind: 'repeat' }
  | { kind: 'idle' };

export interface FakeAgentScenario {
  steps: FakeAgentStep[];
}

/** One line of the log file. */
export interface FakeAgentLogEntry {
  ts: number;
  type: 'started' | 'waiting' | 'received' | 'wrote' | 'committed' | 'error' | 'exited';
  [key: string]: unknown;
}

const DEFAULT_ECHO = 'received: {{input}}';

function scenarioError(source: string, message: string): Error {
  return new Error(`invalid fake-agent scenario ${source}: ${message}`);
}

/** Parses and checks a scenario; errors name the step index and what was expected. */
export function parseScenario(text: string, source = '(inline)'): FakeAgentScenario {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw scenarioError(source, (error as Error).message);
  }
  const rawSteps = Array.isArray(doc) ? doc : (doc as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(rawSteps)) throw scenarioError(source, 'expected `steps:` with a list of steps');
  const steps = rawSteps.map((raw, i) => parseStep(raw, `${source} step ${i + 1}`));
  if (steps.some((s) => s.kind === 'repeat') && !steps.some((s) => ['prompt', 'waitFor', 'sleep'].includes(s.kind))) {
    throw scenarioError(source, '`repeat` needs a prompt, waitFor or sleep step, or it would spin forever');
  }
  return { steps };
}

function parseStep(raw: unknown, where: string): FakeAgentStep {
  const fail = (expected: string): never => {
    throw new Error(`invalid fake-agent scenario ${where}: expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('an object like { print: "text" }');
  const keys = Object.keys(raw);
  if (keys.length !== 1) return fail('exactly one key per step');
  const key = keys[0] as string;
  const value = (raw as Record<string, unknown>)[key];
  const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fail(what));
  const file = (v: unknown): { path: string; content: string } => {
    const o = v as { path?: unknown; content?: unknown } | null;
    if (!o || typeof o.path !== 'string' || o.path === '') return fail(`${key}: { path, content }`);
    return { path: o.path, content: o.content === undefined ? '' : str(o.content, `${key}.content as a string`) };
  };
  const num = (what: string): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fail(what));
  switch (key) {
    case 'print':
      return { kind: 'print', text: str(value, 'print: a string') };
    case 'prompt':
      return { kind: 'prompt', prompt: value === true || value === null ? '> ' : str(value, 'prompt: a string') };
    case 'waitFor': {
      const pattern = str(value, 'waitFor: a regular expression');
      try {
        new RegExp(pattern);
      } catch {
        fail('waitFor: a valid regular expression');
      }
      return { kind: 'waitFor', pattern };
    }
    case 'echo':
      return { kind: 'echo', template: value === true ? DEFAULT_ECHO : str(value, 'echo: true or a string') };
    case 'write':
      return { kind: 'write', ...file(value) };
    case 'append':
      return { kind: 'append', ...file(value) };
    case 'commit':
      return { kind: 'commit', message: str(value, 'commit: a message') };
    case 'sleep':
      return { kind: 'sleep', ms: num('sleep: milliseconds') };
    case 'exit':
      return { kind: 'exit', code: Math.floor(num('exit: an exit code')) };
    case 'repeat':
      return value === true ? { kind: 'repeat' } : fail('repeat: true');
    case 'idle':
      return value === true ? { kind: 'idle' } : fail('idle: true');
    default:
      return fail(`one of print, prompt, waitFor, echo, write, append, commit, sleep, exit, repeat, idle`);
  }
}

/** What one chunk of terminal input amounted to. */
export interface InputResult {
  /** Completed submissions, in order. */
  submissions: string[];
  /** What a terminal would show for the keys typed (the agent echoes in raw mode). */
  echo: string;
  /** Ctrl-C was pressed. */
  interrupt: boolean;
  /** Ctrl-D on an empty line. */
  eof: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Longest suffix of `text` that is a proper prefix of `marker` (a marker split across chunks). */
function partialMarker(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (marker.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/**
 * Turns raw terminal input into submissions the way an agent's line editor does: Enter (`\r` or
 * `\n`) outside a paste submits; text between bracketed-paste markers is literal, its newlines
 * included; escape sequences (arrows…) are ignored; backspace edits. Empty lines are not submitted.
 */
export function createInputParser(): { feed(chunk: string): InputResult; end(): InputResult } {
  let pending = '';
  let line = '';
  let paste: string | undefined;
  let lastWasCR = false;

  const feed = (chunk: string): InputResult => {
    const out: InputResult = { submissions: [], echo: '', interrupt: false, eof: false };
    pending += chunk;
    let i = 0;
    while (i < pending.length) {
      if (paste !== undefined) {
        const end = pending.indexOf(PASTE_END, i);
        if (end < 0) {
          const keep = partialMarker(pending.slice(i), PASTE_END);
          paste += pending.slice(i, pending.length - keep);
          i = pending.length - keep;
          break;
        }
        // Terminals (and tmux) send pasted newlines as CR; the text meant LF.
        const text = (paste + pending.slice(i, end)).replace(/\r\n?/g, '\n');
        line += text;
        out.echo += text;
        paste = undefined;
        i = end + PASTE_END.length;
        lastWasCR = false;
        continue;
      }
      const ch = pending[i] as string;
      if (ch === '\x1b') {
        const rest = pending.slice(i);
        if (rest.startsWith(PASTE_START)) {
          paste = '';
          i += PASTE_START.length;
          continue;
        }
        const csi = /^\x1b\[[0-?]*[ -/]*[@-~]/.exec(rest);
        if (csi) {
          i += csi[0].length;
          continue;
        }
        if (/^\x1b(\[[0-?]*[ -/]*)?$/.test(rest)) break; // incomplete sequence: wait for more
        i += 2; // Alt+key
        continue;
      }
      i += 1;
      if (ch === '\n' && lastWasCR) {
        lastWasCR = false;
        continue;
      }
      lastWasCR = ch === '\r';
      if (ch === '\r' || ch === '\n') {
        out.echo += '\n';
        if (line !== '') out.submissions.push(line);
        line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (line !== '') {
          line = line.slice(0, /[\udc00-\udfff]$/.test(line) ? -2 : -1);
          out.echo += '\b \b';
        }
      } else if (ch === '\x03') {
        out.interrupt = true;
      } else if (ch === '\x04') {
        if (line === '') out.eof = true;
      } else if (ch === '\x15') {
        line = '';
      } else if (ch >= ' ' || ch === '\t') {
        line += ch;
        out.echo += ch;
      }
    }
    pending = pending.slice(i);
    return out;
  };

  /** The input stream ended: whatever was typed without Enter still counts. */
  const end = (): InputResult => {
    const rest = (paste ?? '') + line;
    paste = undefined;
    line = '';
    pending = '';
    return { submissions: rest === '' ? [] : [rest], echo: '', interrupt: false, eof: true };
  };

  return { feed, end };
}

/** The terminal-ish streams the agent talks through (`process.stdin/stdout` in the CLI). */
export interface FakeAgentIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface FakeAgentOptions extends FakeAgentIo {
  scenario?: FakeAgentScenario;
  /** Treated as the first submission received. */
  prompt?: string;
  name?: string;
  logFile?: string;
  cwd: string;
}

interface Submission {
  text: string;
  /** Already shown on screen (typed in a terminal), so the prompt must not print it again. */
  shown: boolean;
}

/** Runs the agent until it exits; resolves with its exit code. Never calls process.exit. */
export async function runFakeAgent(options: FakeAgentOptions): Promise<number> {
  const { stdin, stdout, cwd } = options;
  const name = options.name ?? 'fake-agent';
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const log = (type: FakeAgentLogEntry['type'], fields: Record<string, unknown> = {}): void => {
    if (options.logFile) appendFileSync(options.logFile, `${JSON.stringify({ ts: Date.now(), type, name, ...fields })}\n`);
  };
  const write = (text: string): void => {
    stdout.write(text);
  };

  const inbox: Submission[] = [];
  let ended: 'eof' | 'interrupt' | undefined;
  let wake: (() => void) | undefined;
  const receive = (text: string, shown: boolean, source: string): void => {
    log('received', { text, source });
    inbox.push({ text, shown });
  };
  const parser = createInputParser();
  const onResult = (result: InputResult): void => {
    if (tty && result.echo) write(result.echo);
    for (const text of result.submissions) receive(text, tty, tty ? 'terminal' : 'stdin');
    if (result.interrupt) ended = 'interrupt';
    else if (result.eof) ended ??= 'eof';
    wake?.();
  };
  const onData = (chunk: string | Buffer): void => onResult(parser.feed(String(chunk)));
  const onEnd = (): void => onResult(parser.end());

  if (options.prompt !== undefined && options.prompt !== '') receive(options.prompt, false, 'argv');
  if (tty) {
    stdin.setRawMode?.(true);
    write('\x1b[?2004h'); // ask the terminal for bracketed paste
  }
  stdin.setEncoding?.('utf8');
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  log('started', { pid: process.pid, cwd, tty });

  /** Shows `prompt` and resolves with the next submission, or undefined when input ended. */
  const ask = async (prompt: string): Promise<string | undefined> => {
    write(prompt);
    if (inbox.length === 0 && ended === undefined) log('waiting', { prompt });
    while (inbox.length === 0 && ended === undefined) {
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    if (ended === 'interrupt') return undefined;
    const next = inbox.shift();
    if (next && !next.shown) write(`${next.text}\n`);
    if (!next) write('\n');
    return next?.text;
  };

  let last = options.prompt ?? '';
  const fill = (template: string): string => template.replaceAll('{{input}}', last).replaceAll('{{name}}', name);
  const line = (text: string): void => write(text.endsWith('\n') ? text : `${text}\n`);

  const idle = async (): Promise<number> => {
    for (;;) {
      const text = await ask('> ');
      if (text === undefined) return ended === 'interrupt' ? 130 : 0;
      if (text.trim() === '/exit') return 0;
      last = text;
      line(fill(DEFAULT_ECHO));
    }
  };

  const run = async (): Promise<number> => {
    if (!options.scenario) {
      line(`${name} (ao fake agent) ready; type /exit to quit`);
      return idle();
    }
    const steps = options.scenario.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as FakeAgentStep;
      try {
        switch (step.kind) {
          case 'print':
            line(fill(step.text));
            break;
          case 'prompt':
          case 'waitFor': {
            const pattern = step.kind === 'waitFor' ? new RegExp(step.pattern) : undefined;
            for (;;) {
              const text = await ask(step.kind === 'prompt' ? step.prompt : '> ');
              if (text === undefined) return ended === 'interrupt' ? 130 : 0;
              last = text;
              if (!pattern || pattern.test(text)) break;
            }
            break;
          }
          case 'echo':
            line(fill(step.template));
            break;
          case 'write':
          case 'append': {
            const path = resolve(cwd, fill(step.path));
            mkdirSync(dirname(path), { recursive: true });
            (step.kind === 'write' ? writeFileSync : appendFileSync)(path, fill(step.content));
            log('wrote', { path, append: step.kind === 'append' });
            break;
          }
          case 'commit':
            log('committed', { message: fill(step.message), sha: commitAll(cwd, fill(step.message)) });
            break;
          case 'sleep':
            await new Promise((r) => setTimeout(r, step.ms));
            break;
          case 'exit':
            return step.code;
          case 'repeat':
            i = -1;
            break;
          case 'idle':
            return idle();
        }
      } catch (error) {
        const message = `step ${i + 1} (${step.kind}) failed: ${(error as Error).message}`;
        options.stderr.write(`${name}: ${message}\n`);
        log('error', { step: i + 1, message });
        return 1;
      }
    }
    return 0;
  };

  let code = 1;
  try {
    code = await run();
    return code;
  } finally {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    if (tty) {
      write('\x1b[?2004l');
      stdin.setRawMode?.(false);
    }
    log('exited', { code, ...(ended ? { reason: ended } : {}) });
  }
}

/** `git add -A && git commit -m message` in `cwd`, argv only; returns the new commit's sha. */
function commitAll(cwd: string, message: string): string {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const identity = (() => {
    try {
      return git(['config', 'user.email']) !== '';
    } catch {
      return false;
    }
  })();
  // A throw-away repo may have no identity; a real agent would use the user's, so only fill a gap.
  const id = identity ? [] : ['-c', 'user.name=ao fake agent', '-c', 'user.email=fake-agent@ao.invalid'];
  try {
    git(['add', '-A']);
    git([...id, 'commit', '-m', message]);
    return git(['rev-parse', 'HEAD']);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    const stdout = String((error as { stdout?: unknown }).stdout ?? '').trim();
    throw new Error(stderr || stdout || (error as Error).message);
  }
}

/** Absolute path of the `ao-fake-agent` bin script (it runs `dist/fake-agent-cli.js`). */
export function fakeAgentBinPath(): string {
  return fileURLToPath(new URL('../bin/fake-agent.js', import.meta.url));
}

/** argv that runs the fake agent with this node, e.g. as an agent or runtime command in tests. */
export function fakeAgentArgv(args: readonly string[] = []): string[] {
  return [process.execPath, fakeAgentBinPath(), ...args];
}

/**
 * In the monorepo, builds `dist/fake-agent-cli.js` when it is missing or older than its sources,
 * so tests never run a stale fake agent. ao's file lock serialises parallel test workers.
 * An installed @ao/testkit (under node_modules) ships its dist and is left alone.
 */
export async function ensureFakeAgentBuilt(): Promise<void> {
  const pkgDir = fileURLToPath(new URL('..', import.meta.url));
  if (pkgDir.includes(`${sep}node_modules${sep}`)) return;
  const dist = join(pkgDir, 'dist', 'fake-agent-cli.js');
  const sources = ['fake-agent.ts', 'fake-agent-cli.ts'].map((f) => join(pkgDir, 'src', f)).filter((f) => existsSync(f));
  const stale = (): boolean =>
    !existsSync(dist) || sources.some((f) => statSync(f).mtimeMs > statSync(dist).mtimeMs);
  if (!stale()) return;
  // ao's one file lock: a build killed mid-way leaves a lock whose holder is gone, taken over at once.
  // Imported here, not at the top: the fake agent CLI is built from this file and must not load core.
  const { withFileLock } = await import('@ao/core');
  mkdirSync(join(pkgDir, 'node_modules', '.cache'), { recursive: true });
  await withFileLock(
    join(pkgDir, 'node_modules', '.cache', 'fake-agent-build.lock'),
    async () => {
      if (!stale()) return;
      const tsup = findBin(pkgDir, 'tsup');
      try {
        execFileSync(tsup, ['src/fake-agent.ts', 'src/fake-agent-cli.ts', '--format', 'esm', '--target', 'node20', '--no-splitting'], {
          cwd: pkgDir,
          stdio: 'pipe',
        });
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '');
        throw new Error(`building the fake agent failed (run \`pnpm build\` in ${pkgDir}): ${stderr || (error as Error).message}`);
      }
    },
    { timeoutMs: 120_000 },
  );
}

function findBin(from: string, name: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} not found in any node_modules/.bin above ${from}`);
  }
}
