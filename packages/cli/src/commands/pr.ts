import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '../daemon/notify.js';
import { print } from '../render.js';
import { loadLifecycle } from './lifecycle.js';

/** `ao pr open <session>`: opens the session's pull request now instead of waiting for the lifecycle. */
export async function open([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const { lifecycle, paths } = await loadLifecycle(globals);
  const session = await lifecycle.openPullRequest(String(id));
  await notifyDaemon(paths, `pr open ${session.id}`);
  if (flags.json) print(JSON.stringify(session.pr));
  else print(`PR #${session.pr?.id ?? '?'} open for ${session.id}: ${session.branch} → ${session.baseBranch}${session.pr?.url ? ` ${session.pr.url}` : ''}`);
  return 0;
}
