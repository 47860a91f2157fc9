/**
 * Folder trust for ao's own workspaces, recorded where Claude Code keeps it: its global state file
 * (`$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`), `projects["<abs path>"].hasTrustDialogAccepted`.
 * Only that key of the workspace's entry is written; every other key of the file (onboarding, the
 * API-key answers, login, other projects) is the user's and is kept as it was.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@ao/core/plugin';

/** Where Claude Code keeps its global state (the same rule as Claude Code 2.1). */
export function claudeStateFile(env: Readonly<Record<string, string | undefined>>): string {
  return env.CLAUDE_CONFIG_DIR ? join(env.CLAUDE_CONFIG_DIR, '.claude.json') : join(env.HOME ?? homedir(), '.claude.json');
}

type State = Record<string, unknown> & { projects?: Record<string, Record<string, unknown>> };

/**
 * Marks `dirs` trusted in `file`, written atomically (temp file + rename, the file's mode kept).
 * Returns `changed` when it wrote, `already` when they were trusted, or `unreadable` (nothing
 * written) when the file is not a JSON object: Claude Code then asks, and a human answers.
 */
export async function trustClaudeFolders(file: string, dirs: readonly string[]): Promise<'changed' | 'already' | 'unreadable'> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return 'unreadable';
  }
  let state: State = {};
  if (text !== undefined) {
    try {
      state = JSON.parse(text) as State;
    } catch {
      return 'unreadable';
    }
    if (typeof state !== 'object' || state === null || Array.isArray(state)) return 'unreadable';
    if (state.projects !== undefined && (typeof state.projects !== 'object' || state.projects === null || Array.isArray(state.projects))) return 'unreadable';
  }
  const projects = { ...(state.projects ?? {}) };
  const missing = dirs.filter((dir) => projects[dir]?.hasTrustDialogAccepted !== true);
  if (missing.length === 0) return 'already';
  for (const dir of missing) projects[dir] = { ...(projects[dir] ?? {}), hasTrustDialogAccepted: true };
  const mode = await stat(file).then((s) => s.mode & 0o777, () => 0o600);
  if (text === undefined) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify({ ...state, projects }, null, 2)}\n`, { mode });
  return 'changed';
}
