import { AoError } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '../daemon/notify.js';
import { print } from '../render.js';
import { loadSessions } from '../sessions.js';

const DECISIONS = { approve: 'approved', 'request-changes': 'changes_requested' } as const;

/**
 * `ao review <session> approve|request-changes [-m TEXT]`: reviews the session's PR on the local
 * SCM (GitHub PRs are reviewed on GitHub). The lifecycle reacts on its next poll: sends the
 * comments to the agent, or merges when approved and green.
 */
export async function run([id, decision, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { message?: string };
  const verdict = DECISIONS[String(decision) as keyof typeof DECISIONS];
  if (!verdict) throw new AoError('USAGE', `Unknown review decision "${String(decision)}": use approve or request-changes`);
  const { manager, config, paths } = await loadSessions(globals);
  const session = await manager.get(String(id));
  const project = config.projects[session.project];
  if (!project) throw new AoError('PROJECT_NOT_FOUND', `Session ${session.id} belongs to project "${session.project}", which is not in ${config.file}`);
  const scm = await manager.plugin(project, 'scm');
  const { isLocalScm } = await import('@ao/plugin-scm-local');
  if (!isLocalScm(scm)) {
    throw new AoError('NOT_IMPLEMENTED', `\`ao review\` works with the local SCM; project ${project.name} uses scm "${project.scm.plugin}": review the pull request there${session.pr?.url ? ` (${session.pr.url})` : ''}.`);
  }
  const prId = session.pr?.id ?? (await scm.findPullRequest({ project: project.name, branch: session.branch }))?.id;
  if (!prId) throw new AoError('PR_NOT_FOUND', `Session ${session.id} has no pull request yet: open one with \`ao pr open ${session.id}\``);
  const { review } = await scm.review(prId, { decision: verdict, ...(flags.message ? { body: flags.message } : {}) });
  await notifyDaemon(paths, `review ${session.id}`);
  print(`${verdict === 'approved' ? 'approved' : 'requested changes on'} PR #${prId} of ${session.id} (review: ${review.decision})`);
  return 0;
}
