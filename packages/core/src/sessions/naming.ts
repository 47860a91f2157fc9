import type { PullRequest } from '../contracts/scm.js';
import type { Session } from './schema.js';
/**
 * Names derived from issue titles (the one copy: tracker-local re-exports it): file names in `.ao/issues/` and the git branch a session works on.
 * Both keep to `[a-z0-9-]`, which is safe as a file name on every OS and as a git ref component.
 */

/** Longest branch name `branchNameForIssue` returns; long enough to read, short enough for a terminal tab. */
export const MAX_BRANCH_LENGTH = 50;

/**
 * `"Fix: Login — fails with ümlauts!"` → `"fix-login-fails-with-umlauts"`. Lower-case ASCII letters,
 * digits and single dashes, no dash at either end; `""` when the title has no letters or digits.
 * Pure, so the CLI, the tracker and the session manager always agree on a name.
 */
export function slugify(title: string, maxLength = MAX_BRANCH_LENGTH): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return truncateAtDash(slug, maxLength);
}

/** Cuts to `max` characters, preferring to end at a word boundary, never with a dash. */
function truncateAtDash(slug: string, max: number): string {
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max);
  const lastDash = cut.lastIndexOf('-');
  // Only back up to a word boundary if that keeps most of the text.
  const trimmed = lastDash >= max / 2 ? cut.slice(0, lastDash) : cut;
  return trimmed.replace(/-+$/, '');
}

/**
 * The branch a session for `issue` works on: `<id>-<slug>`, e.g. `42-fix-login-redirect`, at most
 * `MAX_BRANCH_LENGTH` characters and always a valid git ref name. Ids from other trackers
 * (`PROJ-7`, `#3`) are slugified too, so `PROJ-7` gives `proj-7-…`; the id is never truncated away.
 */
export function branchNameForIssue(issue: { id: string; title: string }): string {
  const id = slugify(issue.id, MAX_BRANCH_LENGTH) || 'issue';
  const room = MAX_BRANCH_LENGTH - id.length - 1;
  const slug = room > 0 ? slugify(issue.title, room) : '';
  return slug ? `${id}-${slug}` : id;
}

/** `ao/<id>` for sessions spawned from a free prompt. */
export function sessionBranch(sessionId: string): string {
  return `ao/${sessionId}`;
}

/** The contract's view of a session's pull request, for SCM calls; undefined when it has none. */
export function sessionPullRequest(session: Pick<Session, 'pr' | 'title' | 'branch' | 'baseBranch'>): PullRequest | undefined {
  if (!session.pr) return undefined;
  return {
    id: session.pr.id,
    ...(session.pr.url ? { url: session.pr.url } : {}),
    title: session.title ?? session.branch,
    branch: session.branch,
    baseBranch: session.baseBranch,
    state: session.pr.state,
  };
}
