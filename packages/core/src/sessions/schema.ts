import { z } from 'zod';
import { ACTIVITIES } from '../contracts/agent.js';
import { SessionUsageSchema, UsageReadingSchema } from '../usage/schema.js';

/** Where a session is on its way from issue to merged change. */
export const SESSION_STATUSES = [
  /** Recorded, waiting in the queue for a slot: no workspace, no agent yet (see queue/). */
  'queued',
  'spawning',
  'working',
  'pr_open',
  'ci_failed',
  'review_pending',
  'changes_requested',
  'approved',
  'mergeable',
  'merged',
  'done',
  'needs_input',
  'stuck',
  'errored',
  'killed',
] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** Statuses after which nothing more happens to a session unless a human restores it. */
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['merged', 'done', 'killed', 'errored'];

export const RuntimeHandleSchema = z.object({
  runtime: z.string(),
  id: z.string(),
  data: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export const SessionPrSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  state: z.enum(['open', 'merged', 'closed']),
  ci: z.enum(['none', 'pending', 'passing', 'failing']).optional(),
  review: z.enum(['none', 'pending', 'approved', 'changes_requested']).optional(),
});

/**
 * A session snapshot: the fold of its event log (`<id>.events.jsonl`), cached in `<id>.json`.
 * This is also the `--json` machine contract of `ao session ls`, so fields are only ever added.
 */
export const SessionSchema = z.object({
  id: z.string(),
  project: z.string(),
  /** The tracker issue id, or null for a free prompt. */
  issue: z.string().nullable(),
  title: z.string().nullable().default(null),
  branch: z.string(),
  baseBranch: z.string(),
  workspacePath: z.string(),
  /** Agent name as configured (`claude-code`, or a key of `agents:`). */
  agent: z.string(),
  /** Runtime plugin name. */
  runtimeName: z.string(),
  workspaceName: z.string(),
  runtime: RuntimeHandleSchema.nullable(),
  status: SessionStatusSchema,
  activity: z.enum(ACTIVITIES).nullable(),
  activityDetail: z.string().nullable().default(null),
  /** The agent CLI's own conversation id, for resuming it on restore. */
  nativeSessionId: z.string().nullable().default(null),
  pr: SessionPrSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** When the runtime last started (spawn or restore). */
  startedAt: z.string().nullable().default(null),
  lastEvent: z.object({ type: z.string(), ts: z.string() }).nullable().default(null),
  /** Milliseconds the spawn took (workspace + runtime), for metrics. */
  spawnMs: z.number().nullable().default(null),
  /**
   * `orchestrator`: the planning session `ao start` runs, which drives workers through `ao`.
   * Written on every spawn; absent (older records) means `worker`.
   */
  role: z.enum(['worker', 'orchestrator']).optional(),
  /** Queue priority, 1..10 (10 first); set on sessions that were queued. */
  priority: z.number().int().min(1).max(10).optional(),
  /** The plan step this session does (`ao plan`): `item` is its foreach item, `attempt` counts retries from 1. */
  plan: z.object({ id: z.string(), step: z.string(), item: z.string().optional(), attempt: z.number().int().positive().optional() }).optional(),
  /** The trigger whose firing queued this session; `key` names the firing (a cron slot, an issue id). */
  trigger: z.object({ id: z.string(), key: z.string() }).optional(),
  /** The prompt template and version it was spawned with, `task@2` (see `ao template`). */
  template: z.string().optional(),
  /** Tokens the agent's own logs record for this session (`usage.updated`); absent until first read. */
  usage: SessionUsageSchema.optional(),
  /** The readings behind `usage`, by log, with where each read stopped. ao's bookkeeping, not a contract. */
  usageLogs: z.record(UsageReadingSchema).optional(),
  /** MCP servers the agent is launched with (the orchestrator: ao's own), kept for restore. */
  mcpServers: z.record(z.object({ command: z.string(), args: z.array(z.string()), env: z.record(z.string()).optional() })).optional(),
});
export type Session = z.infer<typeof SessionSchema>;

/**
 * True for a worker whose agent is (or is about to be) running: what `limits.maxConcurrentSessions`
 * counts. The orchestrator session is not counted; it exists to spawn the workers.
 */
export function countsAgainstLimit(session: Session): boolean {
  return session.role !== 'orchestrator' && session.status !== 'queued' && session.activity !== 'exited' && !TERMINAL_STATUSES.includes(session.status);
}

/**
 * One line of a session's event log. `set` holds the snapshot fields this event changed; the
 * snapshot is the fold of every event's `set` in order. `key` makes an event idempotent: an
 * event whose key is already in the log is not appended again (durable reactions rely on this).
 */
export const SessionEventSchema = z.object({
  ts: z.string(),
  type: z.string(),
  data: z.record(z.unknown()).optional(),
  set: z.record(z.unknown()).optional(),
  key: z.string().optional(),
});
export type SessionEvent = z.infer<typeof SessionEventSchema>;
export type SessionEventInput = Omit<SessionEvent, 'ts'> & { ts?: string; set?: Partial<Session> };
