import { z } from 'zod';
import { ApprovalsConfigSchema, LifecycleConfigSchema, ReactionsSchema } from '../lifecycle/config.js';
import { TriggerSchema } from '../triggers/schema.js';
import { PricingSchema } from '../usage/pricing.js';

/**
 * The shape of `agent-orchestrator.yaml`. Every object is strict so a misspelt key is an error
 * that names it. Plugin sections are loose here and validated by each plugin's own `configSchema`.
 */

/** A slot is a plugin name, or `{ plugin, ...that plugin's own config }`. */
export const SlotRefSchema = z.union([
  z.string().min(1, 'expected a plugin name'),
  z.object({ plugin: z.string({ required_error: 'expected `plugin: <name>`' }).min(1) }).passthrough(),
]);
export type SlotRef = z.infer<typeof SlotRefSchema>;

export const AutonomySchema = z.enum(['manual', 'copilot', 'autopilot']);
export type Autonomy = z.infer<typeof AutonomySchema>;

const ArgvSchema = z.array(z.string()).min(1, 'expected a command as an argv array, e.g. ["pnpm", "install"]');

export const PromptsSchema = z
  .object({
    /** Prompt for sessions spawned from an issue. Variables: issue.*, session.*, project.*. */
    issue: z.string().optional(),
    /** Prompt for sessions spawned with --prompt. Variables: prompt, session.*, project.*. */
    task: z.string().optional(),
  })
  .strict();

const SlotOverrides = {
  runtime: SlotRefSchema.optional(),
  workspace: SlotRefSchema.optional(),
  agent: SlotRefSchema.optional(),
  tracker: SlotRefSchema.optional(),
  scm: SlotRefSchema.optional(),
  terminal: SlotRefSchema.optional(),
  notifiers: z.array(SlotRefSchema).optional(),
};

export const ProjectSchema = z
  .object({
    /** Repository path, relative to the config file. */
    path: z.string().min(1).default('.'),
    /** Branch sessions start from; detected from the repo when omitted. */
    defaultBranch: z.string().min(1).optional(),
    /** Session ids are `<sessionPrefix>-<n>`; defaults to the project key. */
    sessionPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected letters, digits, - or _ (it becomes part of branch and tmux names)')
      .optional(),
    ...SlotOverrides,
    autonomy: AutonomySchema.optional(),
    /** Commands run in each new workspace, as argv arrays. */
    postCreate: z.array(ArgvSchema).optional(),
    /** Files copied from the repo into each new workspace (e.g. `.env`). */
    copyFiles: z.array(z.string().min(1)).optional(),
    prompts: PromptsSchema.optional(),
  })
  .strict();

export const DefaultsSchema = z
  .object({
    runtime: SlotRefSchema.optional(),
    workspace: SlotRefSchema.default('worktree'),
    agent: SlotRefSchema.default('claude-code'),
    tracker: SlotRefSchema.default('local'),
    scm: SlotRefSchema.default('local'),
    terminal: SlotRefSchema.optional(),
    notifiers: z.array(SlotRefSchema).default(['console']),
  })
  .strict();

/**
 * A named agent: any CLI (`command`) or a preset of a built-in agent plugin (`plugin: claude-code`;
 * an entry named after a built-in agent configures that plugin). `autonomy` is ao's, not the
 * plugin's: it sets the level for sessions of this agent (see `autonomyFor`).
 */
export const AgentEntrySchema = z
  .object({
    plugin: z.string().min(1).optional(),
    autonomy: AutonomySchema.optional(),
    /** At most this many sessions of this agent run at once (queued work waits); ao's, not the plugin's. */
    maxConcurrent: z.number().int().positive().optional(),
  })
  .passthrough();

export const ConfigSchema = z
  .object({
    defaults: DefaultsSchema.default({}),
    projects: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected a project key of letters, digits, - or _'), ProjectSchema)
      .refine((p) => Object.keys(p).length > 0, 'expected at least one project'),
    agents: z.record(AgentEntrySchema).default({}),
    plugins: z.array(z.string().min(1)).default([]),
    limits: z
      .object({
        maxConcurrentSessions: z.number().int().positive().default(8),
        /** Queued work is admitted only while the machine has at least this much free memory. */
        minFreeMemoryMb: z.number().int().nonnegative().default(0),
      })
      .strict()
      .default({}),
    /** Work waiting for a slot (see docs/plans.md). */
    queue: z
      .object({ maxSize: z.number().int().positive().default(100) })
      .strict()
      .default({}),
    /** Work that starts by itself: on a schedule (`cron`) or on a tracker event (`on`). See docs/plans.md. */
    triggers: z
      .array(TriggerSchema)
      .default([])
      .refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, 'expected every trigger id once'),
    /** Plans: DAGs of agent work (`ao plan run`). */
    plans: z
      .object({ maxSteps: z.number().int().positive().default(50) })
      .strict()
      .default({}),
    autonomy: AutonomySchema.default('copilot'),
    prompts: PromptsSchema.default({}),
    /** What the lifecycle does about CI failures, reviews, stuck agents, merges (see lifecycle/config.ts). */
    reactions: ReactionsSchema.default({}),
    /** Poll interval, stuck threshold, automatic PRs. */
    lifecycle: LifecycleConfigSchema.default({}),
    /** The approval queue of autonomy levels `manual` and `copilot`. */
    approvals: ApprovalsConfigSchema.default({}),
    dashboard: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(3939),
      })
      .strict()
      .default({}),
    /** USD per million tokens by model (or model prefix), over the built-in list prices (see docs/sessions.md). */
    pricing: PricingSchema.default({}),
    /** The planning agent session `ao start` runs (unless `--no-orchestrator`). */
    orchestrator: z
      .object({
        enabled: z.boolean().default(true),
        /** Agent name (built-in or a key of `agents:`); default: the project's agent. */
        agent: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type ParsedConfig = z.output<typeof ConfigSchema>;
export type ProjectConfig = z.output<typeof ProjectSchema>;
