import { AoError, countsAgainstLimit, describeError, parsePriority, pickProject, readDaemonInfo, sessionLimitError, TERMINAL_STATUSES } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { color, print } from '../render.js';
import { loadSessions } from '../sessions.js';

/**
 * `ao batch-spawn <issue...>` / `ao batch-spawn --label ready`: spawns in parallel, never more at once than
 * `limits.maxConcurrentSessions` minus the sessions already running; the rest are queued (with
 * `--no-queue`: reported as not spawned). Prints a line per session as it comes up.
 * With `--label`, the open issues carrying that label in the project's tracker are added, except those
 * that already have a running session.
 */
export async function run([issues, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { agent?: string; project?: string; json?: boolean; label?: string; priority?: string; queue?: boolean };
  const priority = parsePriority(flags.priority);
  const queue = flags.queue !== false;
  const { manager, config, paths } = await loadSessions(globals);
  const { sessions } = await manager.list();
  const ids = [...((issues as string[] | undefined) ?? [])];
  if (flags.label) {
    const project = pickProject(config, flags.project, process.cwd());
    flags.project = project.name;
    const busy = new Set(sessions.filter((s) => s.project === project.name && s.issue && !TERMINAL_STATUSES.includes(s.status)).map((s) => String(s.issue)));
    const labelled = await (await manager.plugin(project, 'tracker')).listIssues({ state: 'open', labels: [flags.label] });
    for (const issue of labelled) if (!busy.has(issue.id) && !ids.includes(issue.id)) ids.push(issue.id);
    if (!ids.length) {
      print(flags.json ? '[]' : `no open issues labelled "${flags.label}" without a running session in ${project.name}`);
      return 0;
    }
  }
  if (!ids.length) throw new AoError('USAGE', 'name the issues to spawn (ao batch-spawn 12 13) or a label (ao batch-spawn --label ready)');
  const running = sessions.filter(countsAgainstLimit).length;
  const limit = config.limits.maxConcurrentSessions;
  const room = limit - running;
  if (room <= 0 && !queue) throw sessionLimitError(running, limit, config.file);
  const accepted = queue ? ids : ids.slice(0, room);
  const skipped = queue ? [] : ids.slice(room);
  const results: { issue: string; id?: string; status?: string; error?: string }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < accepted.length) {
      const issue = accepted[next++] as string;
      try {
        const s = await manager.spawn({ issue, ...(flags.agent ? { agent: flags.agent } : {}), ...(flags.project ? { project: flags.project } : {}), cwd: process.cwd(), priority, queue: queue ? 'if-full' : 'never' });
        results.push({ issue, id: s.id, status: s.status });
        if (!flags.json) print(s.status === 'queued' ? `${color.yellow('…')} ${issue} → ${s.id} queued (priority ${priority})` : `${color.green('✓')} ${issue} → ${s.id} (${s.branch})`);
      } catch (error) {
        results.push({ issue, error: describeError(error) });
        if (!flags.json) print(`${color.red('✗')} ${issue}: ${describeError(error)}`);
      }
    }
  };
  // Spawns beyond the room queue (under the spawn lock, one at a time), so the pool needs no more workers than the room.
  await Promise.all(Array.from({ length: Math.max(1, Math.min(room, accepted.length)) }, worker));
  for (const issue of skipped) {
    results.push({ issue, error: `not spawned: limits.maxConcurrentSessions (${limit}) reached` });
    if (!flags.json) print(`${color.yellow('!')} ${issue}: not spawned, limit of ${limit} concurrent sessions reached`);
  }
  if (flags.json) print(JSON.stringify(results, null, 2));
  if (results.some((r) => r.status === 'queued') && !readDaemonInfo(paths)) {
    process.stderr.write('The ao daemon admits queued work when a slot frees, and it is not running: start it with `ao start`.\n');
  }
  return results.some((r) => r.error) ? 1 : 0;
}
