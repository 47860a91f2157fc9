import { AoError, countsAgainstLimit, describeError, parsePriority, pickProject, readDaemonInfo, sessionLimitError, TERMINAL_STATUSES, type Session } from '@ao/core';
import { notifyDaemon } from '@ao/daemon/client';
import type { GlobalOptions } from '../context.js';
import { color, print } from '../render.js';
import { loadQueue } from './queue.js';

interface BatchResult {
  issue: string;
  id?: string;
  status?: string;
  error?: string;
}

/**
 * `ao batch-spawn <issue...>` / `ao batch-spawn --label ready`: every issue goes into the spawn queue, in
 * the order given, and one admission pass then starts, in parallel, what `limits.*` allow (queued work of a
 * higher priority first, as the daemon would); the rest stays queued for the daemon. With `--no-queue`,
 * only the issues that fit are spawned and the others are reported as not spawned.
 * With `--label`, the open issues carrying that label in the project's tracker are added, except those
 * that already have a running session.
 */
export async function run([issues, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { agent?: string; project?: string; json?: boolean; label?: string; priority?: string; queue?: boolean };
  const priority = parsePriority(flags.priority);
  const { manager, plugins, config, paths, queue } = await loadQueue(globals);
  const { sessions } = await manager.list();
  const ids = [...((issues as string[] | undefined) ?? [])];
  if (flags.label) {
    const project = pickProject(config, flags.project, process.cwd());
    flags.project = project.name;
    const busy = new Set(sessions.filter((s) => s.project === project.name && s.issue && !TERMINAL_STATUSES.includes(s.status)).map((s) => String(s.issue)));
    const labelled = await (await plugins.plugin(project, 'tracker')).listIssues({ state: 'open', labels: [flags.label] });
    for (const issue of labelled) if (!busy.has(issue.id) && !ids.includes(issue.id)) ids.push(issue.id);
    if (!ids.length) {
      print(flags.json ? '[]' : `no open issues labelled "${flags.label}" without a running session in ${project.name}`);
      return 0;
    }
  }
  if (!ids.length) throw new AoError('USAGE', 'name the issues to spawn (ao batch-spawn 12 13) or a label (ao batch-spawn --label ready)');

  const results: BatchResult[] = [];
  const report = (result: BatchResult, session?: Session): void => {
    results.push(result);
    if (flags.json) return;
    if (result.error) print(`${color.red('✗')} ${result.issue}: ${result.error}`);
    else if (session?.status === 'queued') print(`${color.yellow('…')} ${result.issue} → ${session.id} queued (priority ${priority})`);
    else if (session) print(`${color.green('✓')} ${result.issue} → ${session.id} (${session.branch})`);
  };
  const spawnOptions = (issue: string) => ({ issue, ...(flags.agent ? { agent: flags.agent } : {}), ...(flags.project ? { project: flags.project } : {}), cwd: process.cwd(), priority });

  if (flags.queue === false) {
    // No queue: only what fits now is spawned (each spawn still checks the limits under the spawn lock).
    const running = sessions.filter(countsAgainstLimit).length;
    const limit = config.limits.maxConcurrentSessions;
    const room = Math.max(0, limit - running);
    if (room === 0) throw sessionLimitError(running, limit, config.file);
    await Promise.all(
      ids.slice(0, room).map(async (issue) => {
        try {
          const s = await manager.spawn({ ...spawnOptions(issue), queue: 'never' });
          report({ issue, id: s.id, status: s.status }, s);
        } catch (error) {
          report({ issue, error: describeError(error) });
        }
      }),
    );
    for (const issue of ids.slice(room)) {
      results.push({ issue, error: `not spawned: limits.maxConcurrentSessions (${limit}) reached` });
      if (!flags.json) print(`${color.yellow('!')} ${issue}: not spawned, limit of ${limit} concurrent sessions reached`);
    }
  } else {
    // Queued one after another, so the queue holds them in the order given; admission then starts what the
    // limits allow, in that order, in parallel.
    const queued = new Map<string, string>();
    for (const issue of ids) {
      try {
        queued.set((await manager.spawn({ ...spawnOptions(issue), queue: 'always' })).id, issue);
      } catch (error) {
        report({ issue, error: describeError(error) });
      }
    }
    const admitted = await queue.admit();
    const failed = new Map(admitted.failed.map((f) => [f.id, f.error]));
    const started = new Map(admitted.started.map((s) => [s.id, s]));
    for (const [id, issue] of queued) {
      if (failed.has(id)) {
        report({ issue, id, error: failed.get(id) });
        continue;
      }
      // Not started by this pass: still queued (or the daemon's own tick has just admitted it).
      const session = started.get(id) ?? (await manager.get(id));
      report({ issue, id, status: session.status }, session);
    }
    // Queued work of others that this pass started (it was ahead in the queue).
    if (!flags.json) for (const s of admitted.started) if (!queued.has(s.id)) print(`${color.green('✓')} ${s.id} started from the queue (${s.branch})`);
    if (results.some((r) => r.status === 'queued')) await notifyDaemon(paths, 'batch-spawn');
  }

  if (flags.json) print(JSON.stringify(results, null, 2));
  if (results.some((r) => r.status === 'queued') && !readDaemonInfo(paths)) {
    process.stderr.write('The ao daemon admits queued work when a slot frees, and it is not running: start it with `ao start`.\n');
  }
  return results.some((r) => r.error) ? 1 : 0;
}
