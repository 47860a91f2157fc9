import { AoError, reviewSession, type LineComment } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
import { print } from '../render.js';
import { loadSessions } from '../sessions.js';

const DECISIONS = { approve: 'approved', 'request-changes': 'changes_requested' } as const;

/**
 * `ao review <session> approve|request-changes [-m TEXT] [--comment FILE:LINE:TEXT]...`: reviews
 * the session's PR on the local SCM (GitHub PRs are reviewed on GitHub). The lifecycle reacts on its next poll: sends the
 * comments to the agent, or merges when approved and green.
 */
export async function run([id, decision, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { message?: string; comment?: string[] };
  const verdict = DECISIONS[String(decision) as keyof typeof DECISIONS];
  if (!verdict) throw new AoError('USAGE', `Unknown review decision "${String(decision)}": use approve or request-changes`);
  const { manager, config, paths } = await loadSessions(globals);
  const comments = (flags.comment ?? []).map(parseLineComment);
  const { pr, review } = await reviewSession({ manager, config }, String(id), {
    decision: verdict,
    ...(flags.message ? { body: flags.message } : {}),
    ...(comments.length ? { comments } : {}),
  });
  await notifyDaemon(paths, `review ${String(id)}`);
  const lines = comments.length ? ` with ${comments.length} line comment${comments.length === 1 ? '' : 's'}` : '';
  print(`${verdict === 'approved' ? 'approved' : 'requested changes on'} PR #${pr.id} of ${String(id)}${lines} (review: ${review.decision})`);
  return 0;
}

/** `--comment src/a.ts:12:text` → a comment on line 12 of src/a.ts. */
function parseLineComment(spec: string): LineComment {
  const m = /^(.+?):(\d+):([\s\S]+)$/.exec(spec);
  if (!m) throw new AoError('USAGE', `--comment "${spec}": expected <file>:<line>:<text>, e.g. --comment "src/app.ts:12:handle the empty case"`);
  return { path: m[1] as string, line: Number(m[2]), body: (m[3] as string).trim() };
}
