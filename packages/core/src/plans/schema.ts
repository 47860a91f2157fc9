import { z } from 'zod';

/** What a step waits for in each of its dependencies. */
export const WHEN = ['merged', 'done', 'failed', 'always'] as const;
export type When = (typeof WHEN)[number];

/** Where a step is. `merged`, `done`, `failed`, `skipped` and `cancelled` are final. */
export const STEP_STATES = ['pending', 'queued', 'running', 'merged', 'done', 'failed', 'skipped', 'cancelled'] as const;
export type StepState = (typeof STEP_STATES)[number];
export const FINAL_STEP_STATES: readonly StepState[] = ['merged', 'done', 'failed', 'skipped', 'cancelled'];

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const PlanStepSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected letters, digits, - or _ (it is used in {{steps.<id>.summary}})'),
    /** What to do; `{{plan.context.<key>}}`, `{{item}}` and `{{steps.<id>.summary}}` are filled in. */
    prompt: z.string().min(1).optional(),
    /** A tracker issue: the prompt is the issue template (plus `prompt`, when given). */
    issue: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
    agent: z.string().min(1).optional(),
    dependsOn: z.array(z.string().min(1)).default([]),
    /** The state every dependency must reach for this step to start. Default `merged`. */
    when: z.enum(WHEN).default('merged'),
    /** Map: one session per item, `{{item}}` in the prompt. */
    foreach: z.array(Scalar).min(1, 'expected at least one item').optional(),
    /** Attempts after the first failure, with backoff (1, 2, 4… minutes, at most 30). */
    retries: z.number().int().min(0).max(10).default(0),
    /** A session running longer than this is killed (its work is kept) and counts as failed. */
    timeoutMinutes: z.number().positive().optional(),
    priority: z.number().int().min(1).max(10).optional(),
  })
  .strict()
  .refine((s) => s.prompt !== undefined || s.issue !== undefined, { message: 'expected a `prompt` or an `issue`' });
export type PlanStep = z.output<typeof PlanStepSchema>;

export const PlanFileSchema = z
  .object({
    name: z.string().min(1),
    /** Optional with one project. */
    project: z.string().min(1).optional(),
    /** Shared key-values, `{{plan.context.<key>}}` in prompts; `ao plan ctx set` changes them. */
    context: z.record(Scalar).default({}),
    /** Queue priority of every step without its own. Default 5. */
    priority: z.number().int().min(1).max(10).optional(),
    steps: z.array(PlanStepSchema).min(1, 'expected at least one step'),
  })
  .strict();
export type PlanFile = z.output<typeof PlanFileSchema>;

/** One session a step ran (or is running): per foreach item and attempt. */
export const StepRunSchema = z.object({
  /** The foreach item, as text; absent for a step without `foreach`. */
  item: z.string().optional(),
  attempt: z.number().int().positive(),
  sessionId: z.string(),
  state: z.enum(STEP_STATES),
  startedAt: z.string(),
  /** The plan context this session was started with. */
  context: z.record(Scalar),
  pr: z.string().optional(),
  reason: z.string().optional(),
});
export type StepRun = z.output<typeof StepRunSchema>;

export const StepStatusSchema = z.object({
  id: z.string(),
  state: z.enum(STEP_STATES),
  runs: z.array(StepRunSchema).default([]),
  /** Why it is skipped, failed or cancelled. */
  reason: z.string().optional(),
  /** Per item: when the next attempt may start (after a failure, with backoff). */
  retryAt: z.record(z.string()).default({}),
});
export type StepStatus = z.output<typeof StepStatusSchema>;

/** A plan as stored in `<AO_HOME>/plans/<id>.json`: its file, its context now and every step's state. */
export const PlanRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  project: z.string(),
  file: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  createdAt: z.string(),
  updatedAt: z.string(),
  context: z.record(Scalar),
  plan: PlanFileSchema,
  steps: z.array(StepStatusSchema),
});
export type PlanRecord = z.output<typeof PlanRecordSchema>;
