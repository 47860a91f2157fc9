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

export const DEFAULT_ECHO = 'received: {{input}}';

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
