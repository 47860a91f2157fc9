/**
 * The scripted agent's run loop: it plays a scenario (scenario.ts) on a terminal-ish pair of
 * streams, taking submissions the way an agent's line editor does (input.ts), and logs what it
 * received and did as JSON lines.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInputParser, type InputResult } from './input.js';
import { DEFAULT_ECHO, type FakeAgentLogEntry, type FakeAgentScenario, type FakeAgentStep } from './scenario.js';

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
