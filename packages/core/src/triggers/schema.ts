import { Cron } from 'croner';
import { z } from 'zod';

export const TRIGGER_EVENTS = ['issue.opened', 'issue.labeled'] as const;
export const TRIGGER_POLICIES = ['skip-if-running', 'queue', 'replace'] as const;

/**
 * One entry of `triggers:` in the config: work that starts by itself, on a schedule (`cron`) or
 * when a tracker event happens (`on`). Each firing queues a session; the daemon admits it.
 */
export const TriggerSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected letters, digits, - or _'),
    /** Optional with one project. */
    project: z.string().min(1).optional(),
    /** What the session does (cron triggers); for issue events, added to the issue's prompt. */
    prompt: z.string().min(1).optional(),
    agent: z.string().min(1).optional(),
    priority: z.number().int().min(1).max(10).optional(),
    /** While work of an earlier firing still runs (or waits in the queue): skip, queue another, or replace it. */
    policy: z.enum(TRIGGER_POLICIES).default('skip-if-running'),
    /** Five fields (minute hour day month weekday), or six with seconds first. */
    cron: z.string().min(1).optional(),
    /** IANA time zone of `cron` (e.g. Europe/Berlin); default the machine's. */
    timezone: z.string().min(1).optional(),
    /** A tracker event: a new open issue, or an open issue carrying `label`. */
    on: z.enum(TRIGGER_EVENTS).optional(),
    label: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.cron === undefined) !== (t.on === undefined), { message: 'expected either `cron` or `on`' })
  .refine((t) => t.cron === undefined || t.prompt !== undefined, { message: 'a cron trigger needs a `prompt`' })
  .refine((t) => t.on !== 'issue.labeled' || t.label !== undefined, { message: '`on: issue.labeled` needs a `label`' })
  .superRefine((t, ctx) => {
    // Checked when the config loads (every command), not when the trigger first runs.
    const problem = cronProblem(t.cron, t.timezone);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [problem.key], message: `trigger ${t.id}: ${problem.message}` });
  });
export type Trigger = z.output<typeof TriggerSchema>;

/** Why croner refuses a trigger's `cron` (or its `timezone`), or undefined when it takes it. */
export function cronProblem(cron: string | undefined, timezone: string | undefined): { key: 'cron' | 'timezone'; message: string } | undefined {
  if (cron === undefined) return undefined;
  try {
    new Cron(cron, { paused: true });
  } catch (error) {
    return { key: 'cron', message: `cron "${cron}" is not valid: ${(error as Error).message} (five fields: minute hour day month weekday, or six with seconds first)` };
  }
  if (timezone === undefined) return undefined;
  try {
    new Cron(cron, { paused: true, timezone }).nextRun();
  } catch (error) {
    return { key: 'timezone', message: `timezone "${timezone}" is not valid: ${(error as Error).message} (an IANA name such as Europe/Berlin)` };
  }
  return undefined;
}

/** What a trigger last did, kept in `<AO_HOME>/triggers.json`. */
export const TriggerStateSchema = z.object({
  /** Cron: the last slot handled (fired, skipped, or the time the trigger was first seen). */
  lastSlot: z.string().optional(),
  /** Issue events: the issue ids already seen (the first tick takes what exists as seen). */
  seen: z.array(z.string()).optional(),
  lastFiredAt: z.string().optional(),
  lastOutcome: z.string().optional(),
});
export type TriggerState = z.output<typeof TriggerStateSchema>;
export const TriggerStatesSchema = z.record(TriggerStateSchema);
