import { attentionOf, compareAttention, costOfUsage, createApprovalStore, systemClock, type Attention, type AoPaths, type OwnedTerminal, type Session, type SessionStore } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr, table } from '../render.js';
import { age, loadSessions } from '../sessions.js';
import { formatUsd, tokensCell } from '../usage-format.js';

const STATUS_COLOR: Partial<Record<Session['status'], (s: string) => string>> = {
  ci_failed: color.red,
  errored: color.red,
  needs_input: color.yellow,
  stuck: color.yellow,
  changes_requested: color.yellow,
  merged: color.green,
  done: color.green,
  killed: color.dim,
};

/**
 * `ao status` / `ao session ls`: one table (or the JSON contract) of every session. Only reads: a
 * dead terminal, a missing workspace, the activity and tokens are found for this listing and
 * written by those who act (the daemon's lifecycle poll, send, restore, cleanup), never here.
 */
export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean; project?: string; attention?: boolean };
  const { manager, config, env, paths, store } = await loadSessions(globals);
  const [{ sessions: listed, problems, rebuilt, orphans = [] }, pending] = await Promise.all([
    manager.list({ ...(flags.project ? { project: flags.project } : {}), activity: true, orphans: true, record: false }),
    pendingApprovalSessions(paths, store),
  ]);
  // Every session with its attention: what, if anything, a human has to do for it.
  // Each with its cost priced now (config `pricing:` over the built-in list); log cursors are ao's own.
  const withAttention = listed.map(({ usageLogs: _cursors, ...s }) => ({
    ...s,
    attention: attentionOf(s, { pendingApproval: pending.has(s.id) }),
    cost: costOfUsage(s.usage, config.parsed.pricing),
  }));
  const sessions = flags.attention ? withAttention.filter((s) => s.attention) : withAttention;
  for (const p of problems) printErr(`ao: skipped ${p.path}: ${p.reason}`);
  for (const r of rebuilt ?? []) printErr(`ao: rebuilt ${r.path} from its event log ${r.log} (it was ${r.reason})`);
  sessions.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (flags.json) {
    // stdout stays the array of sessions (the machine contract); orphans are not sessions.
    for (const line of orphanLines(orphans)) printErr(`ao: ${line}`);
    print(JSON.stringify(sessions, null, 2));
    return flags.attention && sessions.length > 0 ? 1 : 0;
  }
  if (flags.attention) return printAttention(sessions);
  const usesGitHub = Object.values(config.projects).some((p) => p.scm.plugin === 'github' || p.tracker.plugin === 'github');
  // Started now, shown last: the budget check runs while the table is built.
  const budget = usesGitHub ? githubBudget(env) : undefined;
  if (!sessions.length) {
    print('No sessions. Start one with `ao spawn <issue>` or `ao spawn --prompt "..."`.');
    for (const line of orphanLines(orphans)) print(color.yellow(line));
    if (budget) print(color.dim(await budget));
    return 0;
  }
  const now = Date.now();
  print(
    table(
      ['', 'id', 'issue', 'status', 'activity', 'branch', 'pr', 'tokens', 'cost', 'age', 'last event'],
      sessions.map((s) => [
        s.attention ? color.yellow('!') : '',
        s.id,
        s.issue ?? '-',
        (STATUS_COLOR[s.status] ?? ((x: string) => x))(s.status),
        s.activity ?? '-',
        s.branch,
        s.pr ? `${s.pr.id}${s.pr.ci ? ` ci:${s.pr.ci}` : ''}` : '-',
        tokensCell(s),
        formatUsd(s.cost),
        age(s.createdAt, now),
        s.lastEvent ? `${s.lastEvent.type} ${age(s.lastEvent.ts, now)} ago` : '-',
      ]),
    ),
  );
  // `!`: a human is needed. Why, and what to do, under the table, most urgent first.
  const waiting = sessions.filter((s) => s.attention).sort((a, b) => compareAttention(a.attention, b.attention));
  if (waiting.length) {
    print();
    print(color.yellow(`needs you (${waiting.length}):`));
    for (const s of waiting) print(`  ! ${s.id}  ${(s.attention as Attention).text}  (since ${age((s.attention as Attention).since, now)} ago)`);
  }
  for (const line of orphanLines(orphans)) print(color.yellow(line));
  if (budget) print(color.dim(await budget));
  return 0;
}

/** `ao status --attention`: only what needs a human; exit 1 when anything does (0: nothing waits). */
function printAttention(sessions: (Session & { attention: Attention | null })[]): number {
  if (sessions.length === 0) {
    print('Nothing needs you.');
    return 0;
  }
  const now = Date.now();
  for (const s of [...sessions].sort((a, b) => compareAttention(a.attention, b.attention))) {
    const a = s.attention as Attention;
    print(`! ${s.id}  ${a.reason}  ${a.text}  (since ${age(a.since, now)} ago)`);
  }
  return 1;
}

/** Sessions with an approval waiting in the queue. */
async function pendingApprovalSessions(paths: AoPaths, sessions: SessionStore): Promise<Set<string>> {
  try {
    const { approvals } = await createApprovalStore({ paths, clock: systemClock, sessions }).list({ status: 'pending' }, { record: false });
    return new Set(approvals.map((a) => a.sessionId));
  } catch {
    return new Set();
  }
}

/** One line per terminal ao started whose session record is gone, with how to look at it and end it. */
export function orphanLines(orphans: readonly OwnedTerminal[]): string[] {
  return orphans.map(
    (t) =>
      `orphan terminal ${t.handle.id} (session ${t.sessionId}, ${t.alive ? 'agent running' : 'agent exited'}) has no ao record: ` +
      `look with \`${t.attach.join(' ')}\`, end it with \`${t.end.join(' ')}\``,
  );
}

async function githubBudget(env: NodeJS.ProcessEnv): Promise<string> {
  const [{ githubBudgetLine }, core] = await Promise.all([import('@ao/github'), import('@ao/core')]);
  return githubBudgetLine({ env, exec: core.exec, logger: core.silentLogger, clock: core.systemClock });
}
