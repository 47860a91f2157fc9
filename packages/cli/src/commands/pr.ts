import { AoError } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
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

/**
 * `ao pr merge <session> [--force] [--method M]`: merges the session's pull request now, whatever the
 * autonomy level (a human asked). Refuses failing CI or conflicts unless `--force`.
 */
export async function merge([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { force?: boolean; method?: string; json?: boolean };
  const method = flags.method;
  if (method !== undefined && method !== 'merge' && method !== 'squash' && method !== 'rebase') {
    throw new AoError('USAGE', `Unknown merge method "${method}": use merge, squash or rebase`);
  }
  const { lifecycle, paths } = await loadLifecycle(globals);
  const { session, outcome } = await lifecycle.mergePullRequest(String(id), { by: process.env.USER ?? 'cli', ...(flags.force ? { force: true } : {}), ...(method ? { method } : {}) });
  await notifyDaemon(paths, `pr merge ${session.id}`);
  if (flags.json) print(JSON.stringify({ session: session.id, pr: session.pr, outcome }));
  else print(`${outcome} of ${session.id} (${session.branch} → ${session.baseBranch}); ao cleans up on its next poll`);
  return 0;
}
