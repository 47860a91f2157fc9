/**
 * scm-github: pull requests, CI, reviews and merge on GitHub, through the one shared GitHub client.
 * A lifecycle poll costs one GraphQL request per 50 open PRs, plus one request per failing job log
 * the first time a head sha fails.
 */
import { DEFAULT_CI_REPORT_CHARS, definePlugin, z } from '@ao/core/plugin';
import { RepoSchema } from '@ao/github';
import { createGitHubScm } from './scm.js';

export { createGitHubScm, MAX_LOGS_PER_SHA, type GitHubScm, type GitHubScmConfig, type MergeMethod } from './scm.js';
export { ciOf, isFailing, jobLogReport, mergeabilityOf, pullRequestOf, reviewOf } from './status.js';

const configSchema = z
  .object({
    /** The repository pull requests are opened in: `owner/name`. */
    repo: RepoSchema,
    /** How `merge` merges: `squash` (default), `merge` or `rebase`; the repository must allow it. */
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).default('squash'),
    /** Lines of the end of a failing job's log handed to the agent, after the failing tests found in it. */
    logTailLines: z.number().int().positive().max(10_000).default(40),
    /** Upper bound, in characters, on what the agent is told of the failing jobs' logs (split between jobs). */
    logMaxChars: z.number().int().min(500).max(200_000).default(DEFAULT_CI_REPORT_CHARS),
  })
  .strict();

export default definePlugin({
  name: 'github',
  slot: 'scm',
  version: '0.1.0',
  description: 'GitHub pull requests, checks, reviews and merge (batched GraphQL, ETag-cached REST)',
  configSchema,
  create: (config, ctx) => createGitHubScm(config, ctx),
});
