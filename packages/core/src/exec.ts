import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Exec, ExecOptions, ExecResult } from './contracts/plugin.js';
import { AoError } from './errors.js';

/** How to install the programs ao shells out to; used in `TOOL_MISSING` messages. */
const INSTALL_HINTS: Record<string, string> = {
  git: 'install git (apt install git, brew install git)',
  tmux: 'install tmux (apt install tmux, brew install tmux) or set `runtime: process` in the config',
  'notify-send': 'install libnotify (apt install libnotify-bin) or use another notifier',
  gh: 'install the GitHub CLI (https://cli.github.com) or set GITHUB_TOKEN',
  claude: 'install Claude Code (npm install -g @anthropic-ai/claude-code)',
  codex: 'install Codex (npm install -g @openai/codex)',
  aider: 'install Aider (pip install aider-install && aider-install)',
  opencode: 'install OpenCode (npm install -g opencode-ai)',
};

export function installHint(tool: string): string {
  return INSTALL_HINTS[tool] ?? `install ${tool} or put it on PATH`;
}

type ExecaFn = typeof import('execa').execa;
let execaPromise: Promise<ExecaFn> | undefined;
// execa is imported on first use so commands that never spawn don't pay for it.
function loadExeca(): Promise<ExecaFn> {
  execaPromise ??= import('execa').then((m) => m.execa);
  return execaPromise;
}

/**
 * The one way ao runs programs: argv arrays, never a shell. A missing program becomes
 * `TOOL_MISSING` with an install hint; a non-zero exit becomes `EXEC_FAILED` with stderr.
 */
export const exec: Exec = async (file, args, options: ExecOptions = {}): Promise<ExecResult> => {
  const execa = await loadExeca();
  const result = await execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    input: options.input,
    timeout: options.timeoutMs,
    reject: false,
    stripFinalNewline: false,
    shell: false,
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT' || (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))) {
    throw new AoError('TOOL_MISSING', `${file} not found: ${installHint(file)}`, {
      details: { tool: file },
    });
  }
  if (result.timedOut) {
    throw new AoError('EXEC_FAILED', `${file} ${args.join(' ')} timed out after ${options.timeoutMs} ms`, {
      details: { file, args: [...args] },
    });
  }
  const exitCode = result.exitCode ?? 1;
  if (exitCode !== 0 && options.reject !== false) {
    const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-5).join('\n');
    throw new AoError('EXEC_FAILED', `${file} ${args.join(' ')} failed (exit ${exitCode})${tail ? `: ${tail}` : ''}`, {
      details: { file, args: [...args], exitCode, stderr },
    });
  }
  return { stdout, stderr, exitCode };
};

/** True when `tool` is an executable on PATH; a cheap filesystem check, no process spawned. */
export function isOnPath(tool: string, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return whichSync(tool, env) !== undefined;
}

/** True when `file` exists, is a regular file and may be executed. */
export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function whichSync(tool: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
