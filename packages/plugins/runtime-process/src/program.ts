/**
 * Starting a program in a pty: its environment, the executable found the way a shell would, and
 * node-pty (an optional dependency, loaded on first use).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { AoError, optionalModule } from '@ao/core/plugin';
import type * as nodePty from 'node-pty';
import type { PtyStartRequest } from './wire.js';

export interface SpawnedProgram {
  pty: nodePty.IPty;
  cols: number;
  rows: number;
}

/** Starts `request.argv` in a new pty (200×50 unless asked otherwise). */
export async function spawnProgram(request: PtyStartRequest): Promise<SpawnedProgram> {
  try {
    if (!statSync(request.cwd).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new AoError('WORKSPACE_FAILED', `cannot start ${request.argv[0]}: working directory ${request.cwd} does not exist`, { details: { cwd: request.cwd } });
  }
  const env: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', ...request.env };
  // The daemon may itself run inside tmux; the agent must not believe it does.
  delete env.TMUX;
  delete env.TMUX_PANE;
  const program = resolveProgram(request.argv[0] as string, request.cwd, env);
  if (!program) {
    throw new AoError('TOOL_MISSING', `cannot start ${request.argv[0]}: not found or not executable (PATH=${env.PATH ?? ''})`, {
      details: { program: request.argv[0] },
    });
  }
  const cols = request.cols ?? 200;
  const rows = request.rows ?? 50;
  const ptyModule = await loadNodePty();
  try {
    const pty = ptyModule.spawn(program, request.argv.slice(1), { name: env.TERM ?? 'xterm-256color', cwd: request.cwd, env, cols, rows });
    return { pty, cols, rows };
  } catch (error) {
    throw new AoError('RUNTIME_FAILED', `cannot start ${request.argv[0]} in a pty: ${(error as Error).message}`, { cause: error });
  }
}

/** Absolute path of the program, found the way a shell would (PATH of the program's env). */
function resolveProgram(program: string, cwd: string, env: Record<string, string | undefined>): string | undefined {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (program.includes('/')) {
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return executable(file) ? file : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(resolve(cwd, dir), program);
    if (executable(file)) return file;
  }
  return undefined;
}

/**
 * node-pty is an optional dependency: it compiles at install time, and a machine without a compiler
 * or Node's headers still installs ao (the tmux runtime needs no native code). Loaded on first use.
 */
const loadNodePty = optionalModule<typeof nodePty>(
  () => import('node-pty'),
  (error) =>
    new AoError(
      'RUNTIME_FAILED',
      `the process runtime needs node-pty, which is not installed or did not build (${error.message}): ` +
        'install python3, make and g++ and run ./scripts/setup again, or use `runtime: tmux`',
    ),
);
