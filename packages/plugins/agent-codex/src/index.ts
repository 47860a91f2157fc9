/**
 * Agent plugin for OpenAI Codex CLI (`codex`). Activity comes from Codex's rollout logs,
 * `<codex home>/sessions/YYYY/MM/DD/rollout-*.jsonl`: JSON lines `{ timestamp, type, payload }`
 * where the first line is `session_meta` (`payload.id`, `payload.cwd`) and later lines are
 * `response_item` (messages, function calls and their outputs), `event_msg` (`task_started`,
 * `task_complete`, `turn_aborted`, `error`, `token_count`, …) and `turn_context`. Verified against
 * codex-rs's protocol and rollout policy (TurnStarted/TurnComplete serialise as `task_started` /
 * `task_complete`; older versions did not persist them, hence the quiet-reply rule). Approval
 * prompts are not logged, so the screen decides `waiting_input`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  AoError,
  asJsonObject,
  clipDetail,
  decideFromTurn,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  listRecentFiles,
  jsonString,
  readFirstJsonLine,
  readJsonlTail,
  readNumberedMenu,
  screenLines,
  z,
  type ActivityProbe,
  type AgentMenu,
  type ActivityReport,
  type AgentLaunch,
  type AgentLaunchInput,
  type RecentFile,
  type ScreenProfile,
  type TurnState,
} from '@ao/core/plugin';
import { readCodexTrace } from './trace.js';
import { readCodexUsage } from './usage.js';

/**
 * The Codex version this plugin's screens, menus and logs were verified against (with the real CLI,
 * see packages/cli/test/real-agents.test.ts). `ao doctor` warns when another version is installed.
 */
export const VERIFIED_VERSION = '0.171.0';

const configSchema = z
  .object({
    /**
     * How much Codex may do unasked: `ask` (its defaults), `full-auto` (`--sandbox workspace-write
     * --ask-for-approval on-request`, what `--full-auto` meant before Codex removed it: sandboxed,
     * asks only on failure) or `bypass` (`--dangerously-bypass-approvals-and-sandbox`).
     */
    approvals: z.enum(['ask', 'full-auto', 'bypass']).default('ask'),
    /** `--model`. */
    model: z.string().min(1).optional(),
    /** More arguments placed before the prompt. */
    extraArgs: z.array(z.string()).default([]),
    /**
     * How the first prompt reaches it: `send` (default) types it in once the TUI is up; `arg`
     * passes it on the command line, where every local user can read it (`ps`): see docs/security.md.
     */
    prompt: z.enum(['send', 'arg']).default('send'),
    /** Codex's data dir; default `$CODEX_HOME`, else `~/.codex`. */
    codexHome: z.string().min(1).optional(),
    /**
     * Trust the session's workspace and let the sandbox write the git data of its own worktree, for
     * this launch only (`-c projects=…`, `--add-dir`; config.toml is left untouched), so Codex neither
     * asks to trust ao's workspace nor needs a human for each commit. See docs/agents.md.
     */
    trustWorkspace: z.boolean().default(true),
  })
  .strict();

export type CodexConfig = z.infer<typeof configSchema>;

/**
 * Codex's menus, as 0.171 draws them: numbered options with `›` before the highlighted one,
 * shortcuts in parentheses (`1. Yes, proceed (y)`, `3. No, and tell Codex what to do differently
 * (esc)`) and a footer (`Press enter to confirm or esc to cancel`, `enter continue · esc back`).
 * The folder-trust dialog is one of them; its cursor is the composer's `›`, so without this it
 * read as idle at the prompt. A digit selects its option at once.
 */
export function readCodexMenu(screen: string): AgentMenu | undefined {
  const menu = readNumberedMenu(screen, 'question', { cursor: '›>', footer: /Press enter to confirm|enter (?:continue|to submit)|esc (?:back|to cancel)/i, maxTrailing: 4 });
  if (!menu) return undefined;
  if (/Trust this folder|Folder access|trust the contents/i.test(screen)) return { ...menu, kind: 'dialog' };
  if (/^(?:Would you like to|Allow|Approve)\b/i.test(menu.prompt) || /^Yes, proceed\b/i.test(menu.options[0]?.label ?? '')) return { ...menu, kind: 'permission' };
  return menu;
}

/** The keys that choose `option` in Codex: its digit. */
export function codexMenuKeys(_menu: AgentMenu, option: { number: number }): string[] {
  return option.number >= 1 && option.number <= 9 ? [String(option.number)] : [];
}

/**
 * The text in Codex's composer: the last `›` line and the lines under it up to a blank line, with
 * the composer's footer (`model · directory`, or its shortcut hints) below. Its placeholder
 * ("Ask Codex to do anything") when empty: a plain capture loses the dimming. Undefined while a
 * menu shows (its cursor is a `›` too) or no composer does.
 */
export function readCodexInput(screen: string): string | undefined {
  if (readCodexMenu(screen)) return undefined;
  const lines = screenLines(screen);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!/^›(?:\s|$)/.test(lines[i] as string)) continue;
    const typed = [(lines[i] as string).slice(1)];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== ''; j++) typed.push(lines[j] as string);
    const footer = lines.slice(j).find((l) => l.trim() !== '');
    if (!footer || !/ · |\? for shortcuts|context left|⏎ send/.test(footer)) return undefined;
    return typed.map((l) => l.trim()).join('\n').trim();
  }
  return undefined;
}

/** Codex's TUI: the `›` composer with its footer, `Working (… esc to interrupt)` while busy, its menus. */
export const codexScreen: ScreenProfile = {
  idle: [/^\s*[▌›>](?:\s|$)/m, /\bcontext left\b/i, /\? for shortcuts/, /⏎ send/],
  idleLines: 6,
  waiting: [/\bAllow command\?/i, /\bApprove\b[^\n]*\?/i],
  menu: readCodexMenu,
};

const OUTPUT_TYPES = new Set(['function_call_output', 'custom_tool_call_output', 'tool_search_output']);
const CALL_TYPES = new Set(['function_call', 'custom_tool_call', 'local_shell_call', 'tool_search_call', 'web_search_call']);

/** What the last meaningful rollout line says about the current turn. */
export function codexTurnState(entries: readonly unknown[]): TurnState {
  for (let i = entries.length - 1; i >= 0; i--) {
    const line = asJsonObject(entries[i]);
    const payload = asJsonObject(line?.payload);
    const kind = jsonString(payload, 'type');
    if (!line || !payload) continue;
    if (line.type === 'event_msg') {
      switch (kind) {
        case 'task_complete':
        case 'turn_complete': {
          const last = jsonString(payload, 'last_agent_message');
          return last ? { kind: 'ended', detail: `done: ${clipDetail(last, 80)}`, reply: last } : { kind: 'ended', detail: 'turn complete' };
        }
        case 'turn_aborted':
          return { kind: 'ended', detail: `turn aborted${jsonString(payload, 'reason') ? `: ${jsonString(payload, 'reason')}` : ''}` };
        case 'error':
          return { kind: 'failed', detail: clipDetail(jsonString(payload, 'message') ?? 'error') };
        case 'exec_approval_request':
        case 'apply_patch_approval_request':
        case 'request_user_input':
          return { kind: 'asking', detail: `asks: ${kind.replace(/_/g, ' ')}` };
        case 'task_started':
        case 'turn_started':
        case 'user_message':
          return { kind: 'working', detail: 'working' };
        case 'agent_message':
          return { kind: 'replied', detail: 'replied' };
        default:
          continue; // token_count, reasoning, plan updates: no news about the turn
      }
    }
    if (line.type === 'response_item') {
      if (kind && CALL_TYPES.has(kind)) return { kind: 'tool', detail: `running ${jsonString(payload, 'name') ?? kind.replace(/_/g, ' ')}` };
      if (kind && OUTPUT_TYPES.has(kind)) return { kind: 'working', detail: 'tool finished' };
      if (kind === 'reasoning') return { kind: 'working', detail: 'thinking' };
      if (kind === 'message') {
        const role = jsonString(payload, 'role');
        if (role === 'assistant') return { kind: 'replied', detail: 'replied' };
        if (role === 'user') return { kind: 'working', detail: 'prompt received' };
      }
    }
  }
  return { kind: 'unknown' };
}

/** `YYYY/MM/DD` directories (local and UTC) for every day from `from` to `to`. */
function dayDirs(sessionsDir: string, from: number, to: number): string[] {
  const out = new Set<string>();
  const pad = (n: number) => String(n).padStart(2, '0');
  for (let t = from - 86_400_000; t <= to + 86_400_000; t += 86_400_000) {
    const d = new Date(t);
    out.add(join(sessionsDir, String(d.getFullYear()), pad(d.getMonth() + 1), pad(d.getDate())));
    out.add(join(sessionsDir, String(d.getUTCFullYear()), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())));
  }
  return [...out];
}

interface RolloutMeta {
  id?: string;
  cwd?: string;
}

/**
 * `-c mcp_servers.<name>.command=…` overrides (TOML values) for the session's MCP servers: Codex
 * reads them like `[mcp_servers.<name>]` in its config.toml, which is left untouched. JSON strings
 * and arrays of strings are valid TOML.
 */
export function codexMcpArgs(servers: AgentLaunchInput['mcpServers']): string[] {
  const out: string[] = [];
  for (const [name, spec] of Object.entries(servers ?? {})) {
    const key = `mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}`;
    out.push('-c', `${key}.command=${JSON.stringify(spec.command)}`, '-c', `${key}.args=${JSON.stringify(spec.args)}`);
    const env = Object.entries(spec.env ?? {});
    if (env.length) out.push('-c', `${key}.env={ ${env.map(([k, v]) => `${JSON.stringify(k)} = ${JSON.stringify(v)}`).join(', ')} }`);
  }
  return out;
}

/** The git dir a `.git` file points to (`gitdir: <path>`), or the `.git` directory itself. */
function gitDirOf(checkout: string): string | undefined {
  const dotGit = join(checkout, '.git');
  if (!existsSync(dotGit)) return undefined;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const target = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
  return target ? resolve(checkout, target) : undefined;
}

/** The repository's shared git dir: a linked worktree's `commondir`, else the git dir itself. */
function commonDirOf(gitDir: string): string {
  const file = join(gitDir, 'commondir');
  return existsSync(file) ? resolve(gitDir, readFileSync(file, 'utf8').trim()) : gitDir;
}

/**
 * What git writes for a commit in the worktree at `workspacePath`, outside it: the worktree's own
 * git dir (`<repo>/.git/worktrees/<name>`: HEAD, index) and the shared `objects`, `refs` and `logs`
 * of the main repository. Codex's workspace-write sandbox makes the worktree's git dir read-only
 * (0.171.0; adding the whole `<repo>/.git` does not lift that), and the root of the main `.git`
 * stays out on purpose: its `hooks` and `config` would run outside the sandbox on the user's next
 * git command. Spawn asks for the launch before it creates the worktree: then the worktree's git
 * dir is the one git will give it, `<common dir>/worktrees/<basename>`, from the project's
 * repository (`repoPath`). Empty when the workspace is not a linked worktree (a clone keeps `.git`
 * inside, which stays read-only).
 */
export function worktreeGitRoots(workspacePath: string, repoPath?: string): string[] {
  try {
    let ownDir: string | undefined;
    let commonDir: string | undefined;
    if (existsSync(workspacePath)) {
      const gitDir = gitDirOf(workspacePath);
      if (!gitDir || gitDir === join(workspacePath, '.git')) return [];
      ownDir = gitDir;
      commonDir = commonDirOf(gitDir);
    } else if (repoPath) {
      const repoGitDir = gitDirOf(repoPath);
      if (!repoGitDir) return [];
      commonDir = commonDirOf(repoGitDir);
      ownDir = join(commonDir, 'worktrees', basename(workspacePath));
    }
    if (!ownDir || !commonDir) return [];
    const shared = commonDir;
    return [ownDir, ...['objects', 'refs', 'logs'].map((d) => join(shared, d)).filter((d) => existsSync(d))];
  } catch {
    return []; // unreadable git files: the sandbox keeps its defaults, and a commit asks a human
  }
}

/**
 * The per-launch overrides that let Codex work unattended in ao's workspace: the workspace trusted
 * (`-c projects={ "<path>" = { trust_level = "trusted" } }`, merged with config.toml's own
 * projects), and `--add-dir` for each of `worktreeGitRoots` (added to any writable roots the user
 * configured). A JSON string is a valid TOML basic string.
 */
export function codexWorkspaceArgs(workspacePath: string, repoPath?: string): string[] {
  const args = ['-c', `projects={ ${JSON.stringify(workspacePath)} = { trust_level = "trusted" } }`];
  for (const dir of worktreeGitRoots(workspacePath, repoPath)) args.push('--add-dir', dir);
  return args;
}

export default definePlugin({
  name: 'codex',
  slot: 'agent',
  version: '0.1.0',
  description: 'OpenAI Codex CLI (codex): activity from its rollout logs, resume with `codex resume`',
  configSchema,
  create(config, ctx) {
    const codexHome = config.codexHome ?? ctx.env.CODEX_HOME ?? join(ctx.env.HOME ?? homedir(), '.codex');
    const sessionsDir = join(codexHome, 'sessions');
    // Rollout headers never change, and a session's rollout rarely does: remember both so a poll
    // stats a couple of directories instead of reading every rollout's first line.
    const metaByPath = new Map<string, RolloutMeta>();
    const rolloutByWorkspace = new Map<string, string>();

    const metaOf = async (path: string): Promise<RolloutMeta> => {
      let meta = metaByPath.get(path);
      if (!meta) {
        const first = asJsonObject(await readFirstJsonLine(path).catch(() => undefined));
        const payload = first?.type === 'session_meta' ? asJsonObject(first.payload) : undefined;
        meta = {};
        const id = jsonString(payload, 'id');
        const cwd = jsonString(payload, 'cwd');
        if (id) meta.id = id;
        if (cwd) meta.cwd = cwd;
        // A header not yet flushed is read again next poll.
        if (cwd) metaByPath.set(path, meta);
      }
      return meta;
    };

    /** The newest rollout whose `session_meta.cwd` is the workspace, written since the start. */
    const findRollout = async (probe: ActivityProbe): Promise<{ file: RecentFile; meta: RolloutMeta } | undefined> => {
      const cwds = new Set([probe.workspacePath, await realpath(probe.workspacePath).catch(() => probe.workspacePath)]);
      const since = probe.startedAt - 2_000;
      const known = rolloutByWorkspace.get(probe.workspacePath);
      // A long-lived session's own rollout sits in its start day's directory; new ones in recent days.
      const from = known ? Math.max(probe.startedAt, probe.now - 86_400_000) : probe.startedAt;
      const lists = await Promise.all(
        dayDirs(sessionsDir, from, probe.now).map((dir) =>
          listRecentFiles(dir, { since, match: (n) => n.startsWith('rollout-') && n.endsWith('.jsonl') }),
        ),
      );
      const candidates = lists.flat();
      if (known && !candidates.some((c) => c.path === known)) {
        const again = await listRecentFiles(dirname(known), { since, match: (n) => n === basename(known) });
        candidates.push(...again);
      }
      candidates.sort((a, b) => b.mtimeMs - a.mtimeMs);
      for (const file of candidates) {
        const meta = await metaOf(file.path);
        if (meta.cwd !== undefined && cwds.has(meta.cwd)) {
          rolloutByWorkspace.set(probe.workspacePath, file.path);
          return { file, meta };
        }
      }
      return undefined;
    };

    const fromRollout = async (probe: ActivityProbe): Promise<ActivityReport | undefined> => {
      const found = await findRollout(probe);
      if (!found) return undefined;
      const tail = await readJsonlTail(found.file.path, { maxEntries: 200 });
      return decideFromTurn({
        probe,
        turn: codexTurnState(tail.entries),
        logMtimeMs: tail.mtimeMs,
        source: 'codex-rollout',
        ...(found.meta.id !== undefined ? { nativeSessionId: found.meta.id } : {}),
        screen: codexScreen,
      });
    };

    return {
      canResume: true,
      canPlan: true,
      readMenu: readCodexMenu,
      readInput: readCodexInput,
      menuKeys: codexMenuKeys,
      async readUsage(probe) {
        const found = await findRollout({ ...probe, alive: true });
        return found ? readCodexUsage(found.file.path, probe.previous[found.file.path]).catch(() => undefined) : undefined;
      },
      async readTrace(probe) {
        const found = await findRollout({ ...probe, alive: true });
        return found ? readCodexTrace(found.file.path, probe.after) : undefined;
      },
      launch(input): AgentLaunch {
        const argv = ['codex'];
        if (input.resumeId !== undefined) {
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', 'codex: empty resume id; restore without one to start a new conversation');
          argv.push('resume', input.resumeId);
        }
        if (config.model) argv.push('--model', config.model);
        // What `--full-auto` meant; Codex 0.171 no longer accepts the alias and exits at once.
        if (config.approvals === 'full-auto') argv.push('--sandbox', 'workspace-write', '--ask-for-approval', 'on-request');
        if (config.approvals === 'bypass') argv.push('--dangerously-bypass-approvals-and-sandbox');
        if (config.trustWorkspace) argv.push(...codexWorkspaceArgs(input.workspacePath, ctx.project?.path));
        argv.push(...config.extraArgs, ...codexMcpArgs(input.mcpServers));
        if (input.prompt === undefined || input.prompt === '') return { argv };
        // Typed in, not an argument: a process's argv is readable by every local user.
        if (config.prompt === 'send') return { argv, initialInput: input.prompt };
        // A prompt that starts with '-' would be read as an option.
        if (input.prompt.startsWith('-')) argv.push('--');
        argv.push(input.prompt);
        return { argv };
      },
      detectActivity(probe) {
        return detectWithFallback(
          probe,
          () => fromRollout(probe),
          () => detectScreenActivity(probe, codexScreen),
          ctx.logger,
        );
      },
    };
  },
});
