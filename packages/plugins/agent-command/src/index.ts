/**
 * Agent plugin for any CLI, described in the config's `agents:` map as an argv plus how it takes
 * its prompt. There is no native log to read, so activity comes from the screen, with the idle
 * prompt and questions the user configured as regexes on top of the common patterns.
 */
import {
  AoError,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  z,
  type AgentLaunch,
  type ScreenProfile,
} from '@ao/core/plugin';

/** A regex source that compiles; user patterns get the `m` flag so `^`/`$` match per line. */
const pattern = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source, 'm');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const configSchema = z
  .object({
    /** Program and arguments, e.g. `[my-agent, --verbose]`. */
    command: z.array(z.string().min(1)).min(1),
    /**
     * How the first prompt reaches it: `arg` appended to argv (after `promptFlag`), `stdin` or
     * `send` typed in by ao once it is up.
     */
    prompt: z.enum(['arg', 'stdin', 'send']).default('arg'),
    /** Placed before the prompt when `prompt: arg`, e.g. `-p`. */
    promptFlag: z.string().min(1).optional(),
    /** Extra environment variables for the agent. */
    env: z.record(z.string()).optional(),
    /** Regex of its input prompt (the last non-blank line when it waits for the next task). */
    idlePattern: pattern.optional(),
    /** Regexes of questions it asks the user, in addition to the common `(y/n)`-style ones. */
    waitingPatterns: z.array(pattern).default([]),
    /**
     * Arguments appended to `command` to resume a conversation; `{id}` is replaced by the id.
     * Without them the agent cannot resume.
     */
    resumeArgs: z.array(z.string()).optional(),
    /**
     * Whether it is an AI agent that can act as ao's orchestrator (plan, then drive workers through
     * `ao`). Default false: `ao start` does not launch a plain program as the orchestrator.
     */
    canPlan: z.boolean().default(false),
  })
  .strict();

export type CommandAgentConfig = z.infer<typeof configSchema>;

export default definePlugin({
  name: 'command',
  slot: 'agent',
  version: '0.1.0',
  description: 'Any CLI given as argv in the config; activity from its screen',
  configSchema,
  create(config, ctx) {
    const profile: ScreenProfile = {
      ...(config.idlePattern !== undefined ? { idle: [new RegExp(config.idlePattern, 'm')] } : {}),
      waiting: config.waitingPatterns.map((source) => new RegExp(source, 'm')),
    };
    const resumeArgs = config.resumeArgs;

    return {
      canResume: resumeArgs !== undefined,
      canPlan: config.canPlan,
      launch(input): AgentLaunch {
        const argv = [...config.command];
        if (input.resumeId !== undefined) {
          if (!resumeArgs) {
            throw new AoError('AGENT_FAILED', `agent ${config.command[0]} cannot resume: add resumeArgs to its entry under agents: in the config`);
          }
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', `agent ${config.command[0]}: empty resume id; restore without one to start afresh`);
          argv.push(...resumeArgs.map((arg) => arg.replaceAll('{id}', input.resumeId ?? '')));
        }
        const launch: AgentLaunch = { argv };
        if (config.env) launch.env = { ...config.env };
        if (input.prompt !== undefined && input.prompt !== '') {
          if (config.prompt === 'arg') argv.push(...(config.promptFlag ? [config.promptFlag] : []), input.prompt);
          else launch.initialInput = input.prompt;
        }
        return launch;
      },
      detectActivity(probe) {
        return detectWithFallback(probe, async () => undefined, () => detectScreenActivity(probe, profile), ctx.logger);
      },
    };
  },
});
