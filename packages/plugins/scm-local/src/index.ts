import { DEFAULT_CI_REPORT_CHARS, definePlugin, z } from '@ao/core/plugin';
import { createLocalScm } from './scm.js';

export { createLocalScm, isLocalScm, type LocalScm, type LocalScmConfig } from './scm.js';
export { ciArgv, ciPlan, type CiPlan } from './ci.js';
export { detectPackageManager, installArgv, type DependencyMode, type PackageManager } from './deps.js';
export { detectTestCommand, type DetectedTestCommand } from './detect.js';
export { reviewStateOf } from './review.js';
export { LocalPullRequestSchema, type LocalPullRequest, type LocalReview, type LocalCiRun } from './records.js';
export type { MergeMethod } from './merge.js';

/** A command as argv (preferred), or a string split on whitespace and run without a shell. */
const command = z.union([z.tuple([z.string().min(1)]).rest(z.string()), z.string().trim().min(1)]);

const configSchema = z
  .object({
    /**
     * The project's test command, run for every new PR head in a temporary checkout of it. The
     * argv form (`["npm", "test"]`) is preferred; the string form is split on whitespace and run
     * without a shell, so quoting, `$VARS`, pipes and `&&` are NOT supported in it. Unset: no CI.
     * Or `{ command, setup, dependencies }`. The checkout gets the project's dependencies first
     * (`dependencies: auto`).
     */
    ci: z
      .union([
        command,
        z
          .object({
            /** The test command, as above. */
            command,
            /** Run after the dependencies are in place and before `command` (a build, codegen); its failure fails the run. */
            setup: command.optional(),
            /**
             * How the checkout gets the project's dependencies: `auto` reuses the installed
             * node_modules of a checkout whose lockfile is identical (hard links), else installs
             * offline-first with the lockfile's package manager; `reuse` never installs; `install`
             * always does; `none` leaves the checkout bare.
             */
            dependencies: z.enum(['auto', 'reuse', 'install', 'none']).default('auto'),
          })
          .strict(),
      ])
      .optional(),
    /** A CI run still going after this long is killed and counts as failing. */
    ciTimeoutMs: z.number().int().positive().default(10 * 60_000),
    /** Lines of the end of a failing run's output (stdout then stderr) shown after its failing tests. */
    logTailLines: z.number().int().positive().max(10_000).default(40),
    /** Upper bound, in characters, on what the agent is told of a failing run (failing tests first, then the end). */
    logMaxChars: z.number().int().min(500).max(200_000).default(DEFAULT_CI_REPORT_CHARS),
    /** `merge` makes a merge commit (always, also when a fast-forward was possible); `squash` one commit. */
    mergeMethod: z.enum(['merge', 'squash']).default('merge'),
  })
  .strict();

export default definePlugin({
  name: 'local',
  slot: 'scm',
  version: '0.1.0',
  description: 'Pull requests as local records, CI as a local command, reviews via `ao review`, merge as a real git merge',
  configSchema,
  create: (config, ctx) => createLocalScm(config, ctx),
});
