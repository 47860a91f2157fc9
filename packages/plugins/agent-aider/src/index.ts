/**
 * Agent plugin for Aider (`aider`). Aider runs interactively; the prompt is typed in once it is up
 * (`initialInput`), so the session stays open for follow-ups such as CI failures. It keeps no
 * machine-readable log of its state, so activity comes from the screen (its `>` prompt and its
 * `(Y)es/(N)o` questions). Its conversation lives in `.aider.chat.history.md` in the workspace:
 * that file's path is the `nativeSessionId`, and resuming restores it with
 * `--restore-chat-history`.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  AoError,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  z,
  type AgentLaunch,
  type ScreenProfile,
} from '@ao/core/plugin';

const configSchema = z
  .object({
    /** Pass `--yes-always`: aider answers its own confirmations (adding files, running commands). */
    yesAlways: z.boolean().default(false),
    /** `--model`, e.g. `sonnet`. */
    model: z.string().min(1).optional(),
    /** More arguments. */
    extraArgs: z.array(z.string()).default([]),
  })
  .strict();

export type AiderConfig = z.infer<typeof configSchema>;

/** Aider's input prompt: `> `, or with a mode, `architect> `, `ask> `, `multi> `. */
export const aiderScreen: ScreenProfile = {
  idle: [/^[\w .\/\\:-]*>\s*$/],
  idleLines: 1,
};

/** Aider's default chat history file, relative to the repository root (the workspace). */
export const AIDER_HISTORY_FILE = '.aider.chat.history.md';

export default definePlugin({
  name: 'aider',
  slot: 'agent',
  version: '0.1.0',
  description: 'Aider (aider): prompt typed in after start, activity from the screen',
  configSchema,
  create(config, ctx) {
    return {
      canResume: true,
      canPlan: true,
      launch(input): AgentLaunch {
        const argv = ['aider'];
        if (config.model) argv.push('--model', config.model);
        if (config.yesAlways) argv.push('--yes-always');
        if (input.resumeId !== undefined) {
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', 'aider: empty resume id; restore without one to start a new chat');
          const history = isAbsolute(input.resumeId) ? input.resumeId : join(input.workspacePath, input.resumeId);
          argv.push('--restore-chat-history', '--chat-history-file', history);
        }
        argv.push(...config.extraArgs);
        const launch: AgentLaunch = { argv };
        if (input.prompt !== undefined && input.prompt !== '') launch.initialInput = input.prompt;
        return launch;
      },
      async detectActivity(probe) {
        const report = await detectWithFallback(probe, async () => undefined, () => detectScreenActivity(probe, aiderScreen), ctx.logger);
        if (report.activity === 'exited') return report;
        const history = join(probe.workspacePath, AIDER_HISTORY_FILE);
        const exists = await stat(history).then((s) => s.isFile(), () => false);
        return exists ? { ...report, nativeSessionId: history } : report;
      },
    };
  },
});
