import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built CLI; tests run it as a subprocess exactly as a user would. */
export const AO_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface AoResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runAo(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; input?: string }): AoResult {
  if (!existsSync(AO_BIN)) throw new Error(`${AO_BIN} is missing: run \`pnpm build\` (./scripts/test does) before the CLI tests`);
  const r = spawnSync(process.execPath, [AO_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like runAo without blocking the event loop: needed when the test process also serves HTTP (fake GitHub). */
export function runAoAsync(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<AoResult> {
  if (!existsSync(AO_BIN)) throw new Error(`${AO_BIN} is missing: run \`pnpm build\` (./scripts/test does) before the CLI tests`);
  return runCommand(process.execPath, [AO_BIN, ...args], { cwd: options.cwd, env: { NO_COLOR: '1', ...options.env } });
}

/**
 * Runs any program to its end without blocking the event loop (a test blocked for over a minute in
 * spawnSync makes vitest's worker miss its RPC deadline). `env` is added to this process's.
 */
export function runCommand(file: string, args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<AoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
