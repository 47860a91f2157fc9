/**
 * Agent plugin for OpenCode (`opencode`). The TUI is started in the workspace and the prompt typed
 * in once it is up (`initialInput`): since OpenCode 1.0, `--prompt` only pre-fills the input box
 * (sst/opencode#4700). Activity comes from the screen. OpenCode's conversation id (`ses_…`) is the
 * newest top-level `session` row of its SQLite database whose `directory` is the workspace (1.x,
 * see db.ts), else, for OpenCode before the database, the newest
 * `$XDG_DATA_HOME/opencode/storage/session/<project>/<id>.json` (`{ id, directory, time }`) of the
 * workspace; resuming passes it to `--session`.
 */
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AoError,
  asJsonObject,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  jsonString,
  lastScreenLines,
  listRecentFiles,
  readNumberedMenu,
  screenLines,
  z,
  type ActivityProbe,
  type AgentMenu,
  type MenuOption,
  type AgentLaunch,
  type AgentLaunchInput,
  type ScreenProfile,
} from '@ao/core/plugin';
import { newestSession, opencodeDbPath, withOpencodeDb } from './db.js';
import { readOpencodeTrace } from './trace.js';
import { readOpencodeUsage } from './usage.js';

/**
 * The OpenCode version this plugin's screens, menus and logs were verified against (with the real CLI,
 * see packages/cli/test/real-agents.test.ts). `ao doctor` warns when another version is installed.
 */
export const VERIFIED_VERSION = '1.18.33';

const configSchema = z
  .object({
    /** `--model` as `provider/model`. */
    model: z.string().min(1).optional(),
    /** `--agent`, one of OpenCode's configured agents (e.g. `build`, `plan`). */
    agent: z.string().min(1).optional(),
    /** More arguments. */
    extraArgs: z.array(z.string()).default([]),
    /** OpenCode's data dir; default `$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`. */
    dataDir: z.string().min(1).optional(),
  })
  .strict();

export type OpenCodeConfig = z.infer<typeof configSchema>;

const PERMISSION_ROW = /Allow once\s+Allow always\s+Reject/;
const strip = (line: string): string => line.replace(/^\s*[┃│|]\s?/, '').trim();

/**
 * OpenCode's menus, as 1.18 draws them. The permission prompt (`△ Permission required`, then
 * what is asked, then `Allow once   Allow always   Reject` in one row, highlighted only by colour);
 * the question menu (numbered options under the question, `↑↓ select  enter submit  esc dismiss`).
 */
export function readOpencodeMenu(screen: string): AgentMenu | undefined {
  const lines = lastScreenLines(screen, 40);
  let row = -1;
  for (let i = lines.length - 1; i >= Math.max(0, lines.length - 5); i--) if (PERMISSION_ROW.test(lines[i] ?? '')) row = i;
  if (row >= 0) {
    let head = -1;
    for (let i = row - 1; i >= 0; i--) if (/Permission required/i.test(lines[i] ?? '')) { head = i; break; }
    if (head >= 0) {
      const asked = lines.slice(head + 1, row).map(strip).filter((l) => l !== '');
      return {
        kind: 'permission',
        prompt: asked[0]?.replace(/^[←→$]\s*/, '') ?? 'Permission required',
        options: [
          { number: 1, label: 'Allow once' },
          { number: 2, label: 'Allow always' },
          { number: 3, label: 'Reject', shortcut: 'esc' },
        ],
      };
    }
  }
  return readNumberedMenu(screen, 'question', { footer: /↑↓ select|enter submit/i, maxTrailing: 4 });
}

/**
 * The keys that choose `option` in OpenCode. A question takes its digit. The permission row has
 * no shortcuts and wraps around, and its highlight is only colour, which a plain screen capture
 * loses: Reject is Escape (certain, whatever is highlighted); Allow once is Enter and Allow always
 * is Right, Enter, from the first option, where OpenCode puts the highlight. Should a person have
 * moved it, the wrong pick is always the less permissive one (Allow once, or Reject).
 */
export function opencodeMenuKeys(menu: AgentMenu, option: MenuOption): string[] {
  if (menu.kind === 'permission') return option.number === 3 ? ['Escape'] : option.number === 2 ? ['Right', 'Enter'] : ['Enter'];
  return option.number >= 1 && option.number <= 9 ? [String(option.number)] : [];
}

/**
 * `OPENCODE_CONFIG_CONTENT` (inline config, merged over the user's files) with the session's MCP
 * servers as OpenCode's local servers (`mcp.<name>: { type: local, command: [...], environment }`),
 * over the user's own inline config when it has one. Undefined without servers.
 */
export function opencodeMcpConfig(servers: AgentLaunchInput['mcpServers'], userContent: string | undefined): string | undefined {
  const names = Object.keys(servers ?? {});
  if (!servers || names.length === 0) return undefined;
  let base: Record<string, unknown> = {};
  try {
    base = asJsonObject(JSON.parse(userContent ?? '{}')) ?? {};
  } catch {
    // not JSON: OpenCode would refuse it too; ours replaces it
  }
  const mcp: Record<string, unknown> = { ...(asJsonObject(base.mcp) ?? {}) };
  for (const [name, spec] of Object.entries(servers)) {
    mcp[name] = { type: 'local', command: [spec.command, ...spec.args], ...(spec.env ? { environment: spec.env } : {}), enabled: true };
  }
  return JSON.stringify({ ...base, mcp });
}

/**
 * The text in OpenCode's input box: the box ends in a `╹▀▀▀` line, above it the agent and model
 * line and a padding line, above those the input up to the padding line on top, every line behind
 * the box's `┃` in the same column (the sidebar's text to the right cut off). Its placeholder
 * (`Ask anything… "…"`) when empty. Undefined while a menu shows or no box does.
 */
export function readOpencodeInput(screen: string): string | undefined {
  if (readOpencodeMenu(screen)) return undefined;
  const lines = screenLines(screen);
  let bottom = lines.length - 1;
  while (bottom >= 0 && !(lines[bottom] as string).includes('╹▀')) bottom--;
  if (bottom < 3) return undefined;
  const column = (lines[bottom] as string).indexOf('╹');
  const inner = (line: string | undefined): string | undefined => (line?.[column] === '┃' ? line.slice(column + 1).replace(/\s{6,}\S.*$/, '').trim() : undefined);
  if (inner(lines[bottom - 1]) === undefined || inner(lines[bottom - 2]) === undefined) return undefined;
  const typed: string[] = [];
  for (let i = bottom - 3; i >= 0; i--) {
    const text = inner(lines[i]);
    if (text === undefined) return undefined;
    if (text === '') break;
    typed.unshift(text);
  }
  return typed.join('\n');
}

/**
 * OpenCode's full-screen TUI: the footer `ctrl+p commands` sits under its input box when it can
 * take a prompt (a blank screen while it starts is not idle): the last line of a conversation's
 * screen, and above a tip and the directory line on the start screen (a new conversation);
 * `esc interrupt` and the progress bar while it works; its menus.
 */
export const opencodeScreen: ScreenProfile = {
  idle: [/ctrl\+p commands/],
  idleLines: 3,
  busy: [/esc interrupt/i, /[⬝■]{4,}/],
  menu: readOpencodeMenu,
};

export default definePlugin({
  name: 'opencode',
  slot: 'agent',
  version: '0.1.0',
  description: 'OpenCode (opencode): prompt typed in after start, activity from the screen',
  configSchema,
  create(config, ctx) {
    const dataDir =
      config.dataDir ?? join(ctx.env.XDG_DATA_HOME ?? join(ctx.env.HOME ?? homedir(), '.local', 'share'), 'opencode');
    const sessionsDir = join(dataDir, 'storage', 'session');

    /** The id of the newest OpenCode session whose directory is the workspace, updated since the start. */
    const findSessionId = async (probe: ActivityProbe): Promise<string | undefined> => {
      const dirs = new Set([probe.workspacePath, await realpath(probe.workspacePath).catch(() => probe.workspacePath)]);
      // OpenCode 1.x: its database (no database, or no better-sqlite3: the JSON storage of older versions).
      const fromDb = await withOpencodeDb(opencodeDbPath(dataDir), (db) => newestSession(db, [...dirs], probe.startedAt - 2_000)?.id).catch(() => undefined);
      if (fromDb !== undefined) return fromDb;
      const files = await listRecentFiles(sessionsDir, {
        since: probe.startedAt - 2_000,
        maxDepth: 1,
        match: (n) => n.startsWith('ses_') && n.endsWith('.json'),
      });
      for (const file of files) {
        let session: Record<string, unknown> | undefined;
        try {
          session = asJsonObject(JSON.parse(await readFile(file.path, 'utf8')));
        } catch {
          continue; // being written, or not ours to read
        }
        const directory = jsonString(session, 'directory');
        const id = jsonString(session, 'id');
        if (id && directory && dirs.has(directory) && session?.parentID === undefined) return id;
      }
      return undefined;
    };

    return {
      canResume: true,
      canPlan: true,
      readMenu: readOpencodeMenu,
      readInput: readOpencodeInput,
      menuKeys: opencodeMenuKeys,
      readUsage: (probe) => readOpencodeUsage(opencodeDbPath(dataDir), probe).catch(() => undefined),
      readTrace: (probe) => readOpencodeTrace(opencodeDbPath(dataDir), probe),
      launch(input): AgentLaunch {
        const argv = ['opencode'];
        if (config.model) argv.push('--model', config.model);
        if (config.agent) argv.push('--agent', config.agent);
        if (input.resumeId !== undefined) {
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', 'opencode: empty resume id; restore without one to start a new session');
          argv.push('--session', input.resumeId);
        }
        argv.push(...config.extraArgs);
        const launch: AgentLaunch = { argv };
        const mcp = opencodeMcpConfig(input.mcpServers, ctx.env.OPENCODE_CONFIG_CONTENT);
        if (mcp) launch.env = { OPENCODE_CONFIG_CONTENT: mcp };
        if (input.prompt !== undefined && input.prompt !== '') launch.initialInput = input.prompt;
        return launch;
      },
      async detectActivity(probe) {
        const report = await detectWithFallback(probe, async () => undefined, () => detectScreenActivity(probe, opencodeScreen), ctx.logger);
        // Exited too: restore asks for the conversation when no poll recorded it.
        const id = await findSessionId(probe).catch(() => undefined);
        return id !== undefined ? { ...report, nativeSessionId: id } : report;
      },
    };
  },
});
