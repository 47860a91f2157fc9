import type { OwnedTerminal, Session } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr, table } from '../render.js';
import { age, loadSessions } from '../sessions.js';

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

/** `ao status` / `ao session ls`: one table (or the JSON contract) of every session. */
export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean; project?: string };
  const { manager, config, env } = await loadSessions(globals);
  const { sessions, problems, rebuilt, orphans = [] } = await manager.list({ ...(flags.project ? { project: flags.project } : {}), activity: true, orphans: true });
  for (const p of problems) printErr(`ao: skipped ${p.path}: ${p.reason}`);
  for (const r of rebuilt ?? []) printErr(`ao: rebuilt ${r.path} from its event log ${r.log} (it was ${r.reason})`);
  sessions.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (flags.json) {
    // stdout stays the array of sessions (the machine contract); orphans are not sessions.
    for (const line of orphanLines(orphans)) printErr(`ao: ${line}`);
    print(JSON.stringify(sessions, null, 2));
    return 0;
  }
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
      ['id', 'issue', 'status', 'activity', 'branch', 'pr', 'age', 'last event'],
      sessions.map((s) => [
        s.id,
        s.issue ?? '-',
        (STATUS_COLOR[s.status] ?? ((x: string) => x))(s.status),
        s.activity ?? '-',
        s.branch,
        s.pr ? `${s.pr.id}${s.pr.ci ? ` ci:${s.pr.ci}` : ''}` : '-',
        age(s.createdAt, now),
        s.lastEvent ? `${s.lastEvent.type} ${age(s.lastEvent.ts, now)} ago` : '-',
      ]),
    ),
  );
  // Why a session needs a human and how to recover, where ao knows (e.g. a deleted workspace).
  for (const s of sessions) if (s.status === 'errored' && s.activityDetail) print(color.red(`${s.id}: ${s.activityDetail}`));
  for (const line of orphanLines(orphans)) print(color.yellow(line));
  if (budget) print(color.dim(await budget));
  return 0;
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
