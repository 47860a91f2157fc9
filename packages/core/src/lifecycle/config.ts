import { z } from 'zod';

/**
 * Config of the lifecycle (`lifecycle:`), its reactions (`reactions:`) and the approval queue
 * (`approvals:`). Every reaction is optional and strict, so a misspelt key is an error; an absent
 * reaction gets its defaults. Types are inferred from these schemas and used by the lifecycle.
 */

const enabled = z.boolean().default(true);
/** How many times ao sends the agent this kind of feedback before it escalates to a human. */
const retries = (n: number) => z.number().int().min(0).default(n);
/** Escalate (notify, and in copilot/manual ask) when the condition still holds this long after ao reacted. */
const escalateAfterMs = z.number().int().positive().optional();

export const ReactionsSchema = z
  .object({
    /** CI failing on the PR head: the failing checks and log tail are sent to the agent. */
    'ci-failed': z.object({ enabled, retries: retries(3), escalateAfterMs }).strict().default({}),
    /** A reviewer requested changes: the review comments are sent to the agent. */
    'changes-requested': z.object({ enabled, retries: retries(3), escalateAfterMs }).strict().default({}),
    /** The PR no longer merges cleanly: the agent is asked to rebase onto the base branch. */
    'merge-conflict': z.object({ enabled, retries: retries(2), escalateAfterMs }).strict().default({}),
    /** The agent asks a question: a human is notified. */
    'needs-input': z.object({ enabled }).strict().default({}),
    /** The agent shows no progress: it is nudged, then a human is notified after `escalateAfterMs`. */
    stuck: z
      .object({
        enabled,
        /** What the nudge says. */
        message: z.string().min(1).optional(),
        escalateAfterMs: z.number().int().positive().default(10 * 60_000),
      })
      .strict()
      .default({}),
    /** The agent process ended while its work is unfinished: a human is notified. */
    'agent-exited': z.object({ enabled }).strict().default({}),
    /** Review approved and CI green (or none) and mergeable: the PR is merged (copilot/manual ask first). */
    'approved-and-green': z
      .object({ enabled, method: z.enum(['merge', 'squash', 'rebase']).optional() })
      .strict()
      .default({}),
    /** The PR was merged: the tracker issue is closed, the workspace cleaned up as `ao session cleanup` does (kept when that loses work), status `done`. */
    merged: z
      .object({ enabled, closeIssue: z.boolean().default(true), cleanup: z.boolean().default(true) })
      .strict()
      .default({}),
    /** Every session of a project is done: one summary notification. */
    'all-complete': z.object({ enabled }).strict().default({}),
  })
  .strict();
export type ReactionsConfig = z.output<typeof ReactionsSchema>;
export type ReactionName = keyof ReactionsConfig;

export const LifecycleConfigSchema = z
  .object({
    /** How often the daemon polls sessions, PRs and CI. */
    pollIntervalMs: z.number().int().min(100).default(15_000),
    /** An `active` agent whose activity has not changed for this long is `stuck`. */
    stuckAfterMs: z.number().int().positive().default(10 * 60_000),
    /** Open a PR for a session whose agent went idle with commits ahead of the base branch. */
    autoOpenPr: z.boolean().default(true),
  })
  .strict();
export type LifecycleConfig = z.output<typeof LifecycleConfigSchema>;

export const ApprovalsConfigSchema = z
  .object({
    /** A pending approval not decided within this many hours becomes `expired` and never runs. */
    expiryHours: z.number().positive().default(24),
  })
  .strict();
export type ApprovalsConfig = z.output<typeof ApprovalsConfigSchema>;
