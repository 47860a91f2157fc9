/**
 * Agent plugin for Claude Code (`claude`). Activity comes from Claude Code's own JSONL transcript
 * (`<claude home>/projects/<cwd with non-alphanumerics as '-'>/<session-uuid>.jsonl`), which says
 * precisely whether a tool is running or the turn is over; the screen adds what the transcript
 * never records (permission menus, the login prompt) and is the fallback before the file exists.
 *
 * The transcript format is undocumented; what this relies on (verified against public parsers and
 * Claude Code issues, 2025–2026): records `{ type: 'user'|'assistant'|…, sessionId, message:
 * { content: string | blocks } }`; tool calls are `tool_use` blocks answered by `tool_result`
 * blocks in the next user record; `stop_reason` is often null even on a finished reply; failed
 * turns are assistant records with `isApiErrorMessage: true` and an `error` code.
 */
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  AoError,
  asJsonObject,
  clipDetail,
  decideFromTurn,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  ensureDataDirSync,
  findNewestFile,
  jsonString,
  lastScreenLines,
  readJsonlTail,
  readNumberedMenu,
  z,
  type ActivityProbe,
  type AgentMenu,
  type ActivityReport,
  type AgentLaunch,
  type AgentLaunchInput,
  type ScreenProfile,
  type TurnState,
  withFileLock,
} from '@ao/core/plugin';
import { readClaudeTrace } from './trace.js';
import { claudeStateFile, trustClaudeFolders } from './trust.js';
import { readClaudeUsage } from './usage.js';

/**
 * The Claude Code version this plugin's screens, menus and logs were verified against (with the real CLI,
 * see packages/cli/test/real-agents.test.ts). `ao doctor` warns when another version is installed.
 */
export const VERIFIED_VERSION = '2.1.197';

const configSchema = z
  .object({
    /** Pass `--dangerously-skip-permissions`: the agent never asks before running tools. */
    skipPermissions: z.boolean().default(false),
    /** `--model`, e.g. `sonnet` or `opus`. */
    model: z.string().min(1).optional(),
    /** More arguments placed before the prompt. */
    extraArgs: z.array(z.string()).default([]),
    /**
     * How the first prompt reaches it: `send` (default) types it in once the TUI is up; `arg`
     * passes it on the command line, where every local user can read it (`ps`): see docs/security.md.
     */
    prompt: z.enum(['send', 'arg']).default('send'),
    /** Where Claude Code keeps its data; default `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
    claudeHome: z.string().min(1).optional(),
    /**
     * Record folder trust for the session's workspace (ao's own) in Claude Code's state file before
     * launch, so it does not stop on "Do you trust the files in this folder?". Onboarding, the
     * API-key question and login stay the user's. See docs/agents.md.
     */
    trustWorkspace: z.boolean().default(true),
  })
  .strict();

export type ClaudeCodeConfig = z.infer<typeof configSchema>;

/**
 * Claude Code's menus, as 2.1 draws them: numbered options with `❯` before the highlighted one
 * and a key-hint footer (`Esc to cancel`, `Enter to select · ↑/↓ to navigate`). Permission prompts
 * ask `Do you want to proceed?`; AskUserQuestion shows the question above its options; the
 * folder-trust and API-key dialogs are its own. A digit selects its option at once.
 */
export function readClaudeMenu(screen: string): AgentMenu | undefined {
  const menu = readNumberedMenu(screen, 'question', { cursor: '❯>', footer: /Esc to cancel|Enter to (?:select|confirm)/i, maxTrailing: 4 });
  if (!menu) return undefined;
  const tail = lastScreenLines(screen, 40).join('\n');
  if (/trust this folder|Accessing workspace|Do you want to use this API key|Detected a custom API key/i.test(tail)) return { ...menu, kind: 'dialog' };
  if (/^Do you want to\b/i.test(menu.prompt)) return { ...menu, kind: 'permission' };
  return menu;
}

/** The keys that choose `option` in Claude Code: its digit (every menu it draws takes one). */
export function claudeMenuKeys(_menu: AgentMenu, option: { number: number }): string[] {
  return option.number >= 1 && option.number <= 9 ? [String(option.number)] : [];
}

const PROMPT_LINE = /^\s*[│|]?\s*[>❯](?:\s|$)/;
/** The rule above the input box (2.x), or its top border (1.x); and below it. */
const BOX_TOP = /^\s*(?:─{3,}|╭─+╮)\s*$/;
const BOX_BOTTOM = /^\s*(?:─{3,}|╰─+╯)\s*$/;

/**
 * The text in Claude Code's input box: the last `❯` (2.x; `│ >` in 1.x) line right below a rule or
 * the box's top border, and the lines below it up to the next rule. '' when the box is empty,
 * undefined when none shows (a menu, the start screen). Earlier prompts in the conversation are
 * also drawn with `❯` but not below a rule.
 */
export function readClaudeInput(screen: string): string | undefined {
  const lines = lastScreenLines(screen, 60);
  for (let i = lines.length - 1; i > 0; i--) {
    if (!PROMPT_LINE.test(lines[i] as string) || !BOX_TOP.test(lines[i - 1] as string)) continue;
    const typed: string[] = [];
    for (let j = i; j < lines.length && !BOX_BOTTOM.test(lines[j] as string); j++) {
      const line = (lines[j] as string).replace(/\s*│\s*$/, '');
      typed.push(j === i ? line.replace(PROMPT_LINE, '') : line.replace(/^\s*│?/, ''));
    }
    return typed.map((l) => l.trim()).join('\n').trim();
  }
  return undefined;
}

/** Claude Code's TUI: the `❯` input box of 2.x (`>` before) with a footer below it, its busy line, its menus. */
export const claudeScreen: ScreenProfile = {
  idle: [/^\s*[│|]?\s*[>❯](?:\s|$)/m, /\? for shortcuts/],
  idleLines: 6,
  busy: [/\(esc to interrupt\)/i, /^\s*[✻✽✶✳✢·*]\s+\w+…/m],
  menu: readClaudeMenu,
};

/** The project directory Claude Code uses for a cwd: every non-alphanumeric character becomes '-'. */
export function claudeProjectDir(claudeHome: string, cwd: string): string {
  return join(claudeHome, 'projects', cwd.replace(/[^a-zA-Z0-9]/g, '-'));
}

/** The real path `path` will have: its nearest existing ancestor's real path, and the rest as given. */
async function realPathOfFuture(path: string): Promise<string> {
  const parent = dirname(path);
  const real = await realpath(path).catch(() => undefined);
  if (real) return real;
  return parent === path ? path : join(await realPathOfFuture(parent), basename(path));
}

type Block = Record<string, unknown>;

function blocksOf(entry: Record<string, unknown>): Block[] | string | undefined {
  const content = asJsonObject(entry.message)?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(asJsonObject).filter((b): b is Block => b !== undefined);
  return undefined;
}

function textOf(blocks: Block[] | string | undefined): string {
  if (typeof blocks === 'string') return blocks;
  return (blocks ?? []).map((b) => jsonString(b, 'text') ?? '').join(' ');
}

/** What the last conversation record of a Claude Code transcript says about the turn. */
export function claudeTurnState(entries: readonly unknown[]): TurnState {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = asJsonObject(entries[i]);
    const type = jsonString(entry, 'type');
    if (!entry || (type !== 'user' && type !== 'assistant') || entry.isSidechain === true || entry.isMeta === true) continue;
    const blocks = blocksOf(entry);
    if (type === 'assistant') {
      if (entry.isApiErrorMessage === true) {
        const code = jsonString(entry, 'error');
        return { kind: 'failed', detail: clipDetail(`${code ? `${code}: ` : ''}${textOf(blocks)}`) };
      }
      const list = typeof blocks === 'string' ? [] : (blocks ?? []);
      const toolUse = [...list].reverse().find((b) => b.type === 'tool_use');
      if (toolUse) return { kind: 'tool', detail: `running tool ${jsonString(toolUse, 'name') ?? '?'}` };
      const last = list[list.length - 1];
      const stop = jsonString(asJsonObject(entry.message), 'stop_reason');
      if (typeof blocks === 'string' || last?.type === 'text') {
        const reply = textOf(typeof blocks === 'string' ? blocks : [last as Block]);
        return stop === 'end_turn' || stop === 'stop_sequence' || stop === 'max_tokens'
          ? { kind: 'ended', detail: `turn ended (${stop})`, reply }
          : { kind: 'replied', detail: 'replied', reply };
      }
      return { kind: 'working', detail: 'thinking' };
    }
    const text = textOf(blocks);
    if (/^\[Request interrupted by user/.test(text.trim())) return { kind: 'ended', detail: 'interrupted by the user' };
    const isToolResult = Array.isArray(blocks) && blocks.some((b) => b.type === 'tool_result');
    // Claude Code may write a prompt's record after the reply to it: a prompt that some record
    // already answers (its parentUuid) is not the newest thing; the turn is read from before it.
    const uuid = jsonString(entry, 'uuid');
    if (!isToolResult && uuid && entries.some((e) => jsonString(asJsonObject(e), 'parentUuid') === uuid)) {
      return claudeTurnState(entries.filter((e) => e !== entries[i]));
    }
    return { kind: 'working', detail: isToolResult ? 'tool finished' : 'prompt received' };
  }
  return { kind: 'unknown' };
}

function lastSessionId(entries: readonly unknown[]): string | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const id = jsonString(asJsonObject(entries[i]), 'sessionId');
    if (id) return id;
  }
  return undefined;
}

/**
 * `--mcp-config <json>` for the session's MCP servers (a JSON string, no file), and `--allowedTools
 * mcp__<name>` so their tools run without a permission prompt: ao configures these servers for the
 * session's own job (the orchestrator driving ao), not on a user's behalf.
 */
export function claudeMcpArgs(servers: AgentLaunchInput['mcpServers']): string[] {
  const names = Object.keys(servers ?? {});
  if (!servers || names.length === 0) return [];
  return ['--mcp-config', JSON.stringify({ mcpServers: servers }), '--allowedTools', names.map((n) => `mcp__${n}`).join(',')];
}

export default definePlugin({
  name: 'claude-code',
  slot: 'agent',
  version: '0.1.0',
  description: 'Claude Code (claude): activity from its JSONL transcripts, resume with --resume',
  configSchema,
  create(config, ctx) {
    const claudeHome = config.claudeHome ?? ctx.env.CLAUDE_CONFIG_DIR ?? join(ctx.env.HOME ?? homedir(), '.claude');

    /** The newest transcript of this workspace written since the session started. */
    const findTranscript = async (probe: ActivityProbe) => {
      const dirs = new Set([claudeProjectDir(claudeHome, probe.workspacePath)]);
      // Claude Code records the real path (e.g. /private/tmp on macOS).
      const real = await realpath(probe.workspacePath).catch(() => probe.workspacePath);
      dirs.add(claudeProjectDir(claudeHome, real));
      const since = probe.startedAt - 2_000; // filesystem timestamps are coarse
      const found = await Promise.all(
        [...dirs].map((dir) => findNewestFile(dir, { since, match: (n) => n.endsWith('.jsonl') && !n.startsWith('agent-') })),
      );
      return found.filter((f) => f !== undefined).sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
    };

    const fromTranscript = async (probe: ActivityProbe): Promise<ActivityReport | undefined> => {
      const file = await findTranscript(probe);
      if (!file) return undefined;
      const tail = await readJsonlTail(file.path, { maxEntries: 200 });
      return decideFromTurn({
        probe,
        turn: claudeTurnState(tail.entries),
        logMtimeMs: tail.mtimeMs,
        source: 'claude-jsonl',
        nativeSessionId: lastSessionId(tail.entries) ?? basename(file.path, '.jsonl'),
        screen: claudeScreen,
      });
    };

    return {
      canResume: true,
      canPlan: true,
      // Claude Code takes a paste asynchronously: an Enter in the same burst is dropped and the
      // text stays in its input box ("[Pasted text #1 +33 lines]"), unsent. The pause makes that
      // rare; `readInput` lets ao see it (on a busy machine, or a CLI still loading a resumed
      // conversation) and press Enter again.
      submitDelayMs: 250,
      readMenu: readClaudeMenu,
      readInput: readClaudeInput,
      menuKeys: claudeMenuKeys,
      async readUsage(probe) {
        const file = await findTranscript({ ...probe, alive: true });
        return file ? readClaudeUsage(file.path, probe.previous[file.path]).catch(() => undefined) : undefined;
      },
      async readTrace(probe) {
        const file = await findTranscript({ ...probe, alive: true });
        return file ? readClaudeTrace(file.path, probe.after) : undefined;
      },
      async launch(input): Promise<AgentLaunch> {
        if (config.trustWorkspace) {
          // Claude Code looks the workspace up by the path it runs in: the given one and its real
          // path (spawn asks before the workspace exists: its nearest existing parent's real path).
          const real = await realPathOfFuture(input.workspacePath);
          const file = claudeStateFile(ctx.env);
          // ao's own spawns take turns (the lock lives in ao's data dir, not beside the user's file).
          ensureDataDirSync(ctx.paths.home);
          const done = await withFileLock(join(ctx.paths.home, 'claude-trust.lock'), () => trustClaudeFolders(file, [...new Set([input.workspacePath, real])]), { timeoutMs: 10_000 });
          if (done === 'unreadable') ctx.logger.warn({ file }, 'claude-code: state file is not JSON; workspace trust not recorded (Claude Code will ask)');
        }
        const argv = ['claude'];
        if (config.model) argv.push('--model', config.model);
        if (config.skipPermissions) argv.push('--dangerously-skip-permissions');
        if (input.resumeId !== undefined) {
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', 'claude-code: empty resume id; restore without one to start a new conversation');
          argv.push('--resume', input.resumeId);
        }
        argv.push(...config.extraArgs);
        const mcp = claudeMcpArgs(input.mcpServers);
        argv.push(...mcp);
        if (input.prompt === undefined || input.prompt === '') return { argv };
        // Typed in, not an argument: a process's argv is readable by every local user.
        if (config.prompt === 'send') return { argv, initialInput: input.prompt };
        // A prompt that starts with '-' would be read as an option (or as one more MCP config).
        if (input.prompt.startsWith('-') || mcp.length) argv.push('--');
        argv.push(input.prompt);
        return { argv };
      },
      detectActivity(probe) {
        return detectWithFallback(
          probe,
          () => fromTranscript(probe),
          () => detectScreenActivity(probe, claudeScreen),
          ctx.logger,
        );
      },
    };
  },
});
