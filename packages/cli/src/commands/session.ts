import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AoError, parsePriority, readDaemonInfo, type SessionEvent } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print, printErr } from '../render.js';
import { loadSessions } from '../sessions.js';
import { notifyDaemon } from '@ao/daemon/client';

/** `ao session attach <id>`: hands the terminal to the session (tmux attach). */
export async function attach([id]: unknown[], globals: GlobalOptions): Promise<number> {
  const { manager } = await loadSessions(globals);
  const plan = await manager.attach(String(id));
  if (plan.url) {
    print(plan.url);
    return 0;
  }
  if (!plan.argv?.length) throw new AoError('SESSION_STATE', `Session ${String(id)} has no terminal to attach to`);
  if (!process.stdin.isTTY) {
    print(plan.argv.join(' '));
    return 0;
  }
  const [file, ...args] = plan.argv as [string, ...string[]];
  const r = spawnSync(file, args, { stdio: 'inherit' });
  return r.status ?? 1;
}

/** `ao session kill <id>`: stops the agent, keeps the workspace and branch, says what is in them. */
export async function kill([id]: unknown[], globals: GlobalOptions): Promise<number> {
  const { manager, paths } = await loadSessions(globals);
  const { session, workspace } = await manager.kill(String(id));
  await notifyDaemon(paths, `kill ${session.id}`);
  print(`killed ${session.id}; workspace kept at ${session.workspacePath} (branch ${session.branch})`);
  if (workspace?.dirty) print(color.yellow(`  it has uncommitted changes: nothing was deleted`));
  if (workspace?.ahead) print(`  ${workspace.ahead} commit(s) ahead of ${session.baseBranch}`);
  print(color.dim(`  restore: ao session restore ${session.id}   remove when done: ao session cleanup`));
  return 0;
}

/**
 * `ao session restore <id> [--priority N] [--no-queue]`: relaunches the agent in the same workspace
 * and branch; beyond the limits the restore is queued (like `ao spawn`) unless `--no-queue`.
 */
export async function restore([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { priority?: string; queue?: boolean };
  const priority = parsePriority(flags.priority);
  const { manager, paths, store } = await loadSessions(globals);
  const recreate = !existsSync((await manager.get(String(id))).workspacePath);
  const s = await manager.restore(String(id), { priority, queue: flags.queue === false ? 'never' : 'if-full' });
  await notifyDaemon(paths, `restore ${s.id}`);
  if (s.status === 'queued') {
    const queuedEvent = (await store.events(s.project, s.id)).filter((e) => e.type === 'session.queued').at(-1);
    const reason = typeof queuedEvent?.data?.reason === 'string' ? queuedEvent.data.reason : undefined;
    print(`${s.id} is queued for restore (priority ${priority})${reason ? `: ${reason}` : ''}. \`ao queue ls\` shows the queue; \`ao session restore ${s.id} --no-queue\` refuses instead.`);
    if (!readDaemonInfo(paths)) printErr('The ao daemon admits queued work when a slot frees, and it is not running: start it with `ao start`.');
    return 0;
  }
  print(`restored ${s.id} on branch ${s.branch}${recreate ? `, in its workspace recreated from that branch at ${s.workspacePath}` : ''}`);
  return 0;
}

/** `ao session cleanup [--dry-run]`: removes clean, finished workspaces; lists the rest with why. */
export async function cleanup([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { dryRun?: boolean; forceIgnored?: boolean; project?: string; json?: boolean };
  const { manager } = await loadSessions(globals);
  const result = await manager.cleanup({
    dryRun: Boolean(flags.dryRun),
    forceIgnored: Boolean(flags.forceIgnored),
    ...(flags.project ? { project: flags.project } : {}),
  });
  if (flags.json) {
    print(JSON.stringify(result, null, 2));
    return 0;
  }
  const verb = flags.dryRun ? 'would remove' : 'removed';
  for (const r of result.removed) print(`${color.green(verb)} ${r.id} (${r.workspacePath})${r.note ? `; ${r.note}` : ''}`);
  for (const k of result.kept) print(`${color.yellow('kept')} ${k.id}: ${k.reason}`);
  if (!result.removed.length && !result.kept.length) print('No sessions.');
  return 0;
}

function formatEvent(e: SessionEvent): string {
  const data = e.data && Object.keys(e.data).length ? ` ${JSON.stringify(e.data)}` : '';
  const set = e.set ? Object.entries(e.set).filter(([k]) => ['status', 'activity'].includes(k)).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
  return `${e.ts}  ${e.type}${set ? `  ${set}` : ''}${data}`;
}

/** `ao session events <id> [--follow]`: the session's event log. */
export async function events([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { follow?: boolean; json?: boolean };
  const { store } = await loadSessions(globals);
  const session = await store.find(String(id));
  const show = (e: SessionEvent): void => print(flags.json ? JSON.stringify(e) : formatEvent(e));
  if (!flags.follow) {
    const { events: log, problems } = await store.readLog(session.project, session.id);
    for (const e of log) show(e);
    for (const p of problems) process.stderr.write(`ao: skipped ${p.path}: ${p.reason}\n`);
    return 0;
  }
  // Existing events first, then each new one as it is appended, until Ctrl-C.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  await store.follow(session.project, session.id, show, controller.signal);
  return 0;
}
