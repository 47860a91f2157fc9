import type { ResolvedConfig } from './config/resolve.js';
import type { PullRequest, ReviewInput, ReviewState } from './contracts/scm.js';
import { AoError } from './errors.js';
import type { SessionManager } from './sessions/manager.js';

/**
 * Reviews a session's pull request through its SCM: the one path for `ao review` and the
 * dashboard's review panel. Throws `NOT_IMPLEMENTED` when the SCM takes reviews elsewhere (GitHub:
 * on GitHub), `PR_NOT_FOUND` when the session has no PR yet.
 */
export async function reviewSession(
  deps: { manager: SessionManager; config: ResolvedConfig },
  sessionId: string,
  input: ReviewInput,
): Promise<{ pr: PullRequest; review: ReviewState }> {
  const { manager, config } = deps;
  const session = await manager.get(sessionId);
  const project = Object.hasOwn(config.projects, session.project) ? config.projects[session.project] : undefined;
  if (!project) {
    throw new AoError('PROJECT_NOT_FOUND', `Session ${session.id} belongs to project "${session.project}", which is not in ${config.file}`);
  }
  const scm = await manager.plugins.plugin(project, 'scm');
  if (!scm.review) {
    throw new AoError(
      'NOT_IMPLEMENTED',
      `Reviews in ao work with the local SCM; project ${project.name} uses scm "${project.scm.plugin}": review the pull request there${session.pr?.url ? ` (${session.pr.url})` : ''}.`,
    );
  }
  const prId = session.pr?.id ?? (await scm.findPullRequest({ project: project.name, branch: session.branch }))?.id;
  if (!prId) throw new AoError('PR_NOT_FOUND', `Session ${session.id} has no pull request yet: open one with \`ao pr open ${session.id}\``);
  for (const c of input.comments ?? []) {
    if (!c.path || !Number.isInteger(c.line) || c.line < 1 || !c.body.trim()) {
      throw new AoError('USAGE', `A line comment needs a file, a line number (1 or more) and a text; got ${JSON.stringify(c)}`);
    }
  }
  return scm.review(prId, input);
}
