/**
 * `ao session trace <id> [--follow] [--json]`: the conversation from the agent's own log — what the
 * user and ao typed, the agent's replies, its tool calls and their results, its reasoning where the
 * CLI records it. `--follow` keeps printing what the agent writes until the session ends (or Ctrl-C);
 * `--json` prints an array of entries, or with `--follow` one entry per line.
 */
import { AoError, readSessionTrace, systemClock, TERMINAL_STATUSES, type Agent, type LogCursor, type TraceEntry } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print } from '../render.js';
import { loadSessions } from '../sessions.js';

/** Lines of a tool result shown before it is clipped (the log keeps all of it). */
const RESULT_LINES = 12;

const LABEL: Record<TraceEntry['kind'], (e: TraceEntry) => string> = {
  user: () => color.cyan('user'),
  assistant: () => color.green('agent'),
  reasoning: () => color.dim('thinking'),
  tool_call: (e) => color.yellow(`tool ${e.tool ?? '?'}`),
  tool_result: (e) => (e.isError ? color.red(`result ${e.tool ?? ''}✗`.trim()) : color.dim(`result ${e.tool ?? ''}`.trim())),
  error: () => color.red('error'),
};

/** One entry as terminal lines: time, who, then the text indented under it. */
export function formatTraceEntry(e: TraceEntry): string {
  const time = e.ts ? new Date(e.ts).toTimeString().slice(0, 8) : '--:--:--';
  let lines = e.text.replace(/\s+$/, '').split('\n');
  if (e.kind === 'tool_result' && lines.length > RESULT_LINES) lines = [...lines.slice(0, RESULT_LINES), color.dim(`… ${lines.length - RESULT_LINES} more lines`)];
  const body = e.kind === 'reasoning' ? lines.map((l) => color.dim(l)) : lines;
  return `${color.dim(time)} ${LABEL[e.kind](e)}\n${body.map((l) => `  ${l}`).join('\n')}`;
}

export async function run([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { follow?: boolean; json?: boolean };
  const { manager, plugins, config } = await loadSessions(globals);
  let session = await manager.get(String(id));
  const sel = config.agents[session.agent];
  const project = config.projects[session.project];
  if (!sel || !project) throw new AoError('PLUGIN_NOT_FOUND', `Session ${session.id}'s agent "${session.agent}" is not in ${config.file}`);
  const agent: Agent = await plugins.plugin(project, 'agent', sel);
  if (!agent.readTrace) {
    throw new AoError('NOT_IMPLEMENTED', `Agent "${session.agent}" keeps no log ao can read (claude-code, codex and opencode do): watch its terminal with \`ao session attach ${session.id}\``);
  }
  const first = await readSessionTrace(agent, session, systemClock.now());
  if (!first && !flags.follow) {
    throw new AoError('SESSION_STATE', `Session ${session.id}: no log of ${session.agent} found for ${session.workspacePath} yet (the agent writes it once it has a prompt); try again, or follow it with --follow`);
  }
  const emit = (entries: readonly TraceEntry[]) => {
    if (flags.json && flags.follow) for (const e of entries) print(JSON.stringify(e));
    else if (!flags.json) for (const e of entries) print(formatTraceEntry(e));
  };
  if (!flags.follow) {
    if (flags.json) print(JSON.stringify(first?.entries ?? [], null, 2));
    else emit(first?.entries ?? []);
    return 0;
  }
  emit(first?.entries ?? []);
  let cursor: LogCursor | undefined = first?.cursor;
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  // Until the session ends: a log grows by whole records, so a poll reads only what came since.
  for (let tick = 0; !stop; tick++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await readSessionTrace(agent, session, systemClock.now(), cursor).catch(() => undefined);
    if (next) {
      emit(next.entries);
      cursor = next.cursor;
    }
    if (tick % 10 === 9) {
      session = await manager.get(session.id);
      if (TERMINAL_STATUSES.includes(session.status) || session.activity === 'exited') break;
    }
  }
  return 0;
}

