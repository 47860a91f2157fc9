/**
 * Agent plugin for OpenCode (`opencode`). The TUI is started in the workspace and the prompt typed
 * in once it is up (`initialInput`): since OpenCode 1.0, `--prompt` only pre-fills the input box
 * (sst/opencode#4700). Activity comes from the screen. OpenCode's conversation id (`ses_…`) is
 * read from its storage, `$XDG_DATA_HOME/opencode/storage/session/<project>/<id>.json`
 * (`{ id, directory, time }`), and resuming passes it to `--session`. Newer OpenCode versions
 * may keep sessions elsewhere; then no id is found and restore starts a fresh conversation.
 */
import { readFile, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  AoError,
  asJsonObject,
  definePlugin,
  detectScreenActivity,
  detectWithFallback,
  jsonString,
  listRecentFiles,
  z,
  type ActivityProbe,
  type AgentLaunch,
  type ScreenProfile,
} from '@ao/core';

const configSchema = z
  .object({
    /** `--model` as `provider/model`. */
    model: z.string().min(1).optional(),
    /** `--agent`, one of OpenCode's configured agents (e.g. `build`, `plan`). */
    agent: z.string().min(1).optional(),
    /** More arguments. */
    extraArgs: z.array(z.string()).default([]),
    /** OpenCode's data dir; default `$XDG_DATA_HOME/opencode`, else `~/.local/share/opencode`. */
    dataDir: z.string().min(1).optional(),
  })
  .strict();

export type OpenCodeConfig = z.infer<typeof configSchema>;

/**
 * OpenCode's full-screen TUI has no prompt line to recognise reliably; it animates while it works
 * and shows `esc interrupt`, so a quiet screen means idle (the common rule for prompt-less profiles).
 */
export const opencodeScreen: ScreenProfile = {};

export default definePlugin({
  name: 'opencode',
  slot: 'agent',
  version: '0.1.0',
  description: 'OpenCode (opencode): prompt typed in after start, activity from the screen',
  configSchema,
  create(config, ctx) {
    const dataDir =
      config.dataDir ?? join(ctx.env.XDG_DATA_HOME ?? join(ctx.env.HOME ?? homedir(), '.local', 'share'), 'opencode');
    const sessionsDir = join(dataDir, 'storage', 'session');

    /** The id of the newest OpenCode session whose directory is the workspace, updated since the start. */
    const findSessionId = async (probe: ActivityProbe): Promise<string | undefined> => {
      const dirs = new Set([probe.workspacePath, await realpath(probe.workspacePath).catch(() => probe.workspacePath)]);
      const files = await listRecentFiles(sessionsDir, {
        since: probe.startedAt - 2_000,
        maxDepth: 1,
        match: (n) => n.startsWith('ses_') && n.endsWith('.json'),
      });
      for (const file of files) {
        let session: Record<string, unknown> | undefined;
        try {
          session = asJsonObject(JSON.parse(await readFile(file.path, 'utf8')));
        } catch {
          continue; // being written, or not ours to read
        }
        const directory = jsonString(session, 'directory');
        const id = jsonString(session, 'id');
        if (id && directory && dirs.has(directory) && session?.parentID === undefined) return id;
      }
      return undefined;
    };

    return {
      canResume: true,
      canPlan: true,
      launch(input): AgentLaunch {
        const argv = ['opencode'];
        if (config.model) argv.push('--model', config.model);
        if (config.agent) argv.push('--agent', config.agent);
        if (input.resumeId !== undefined) {
          if (input.resumeId === '') throw new AoError('AGENT_FAILED', 'opencode: empty resume id; restore without one to start a new session');
          argv.push('--session', input.resumeId);
        }
        argv.push(...config.extraArgs);
        const launch: AgentLaunch = { argv };
        if (input.prompt !== undefined && input.prompt !== '') launch.initialInput = input.prompt;
        return launch;
      },
      async detectActivity(probe) {
        const report = await detectWithFallback(probe, async () => undefined, () => detectScreenActivity(probe, opencodeScreen), ctx.logger);
        if (report.activity === 'exited') return report;
        const id = await findSessionId(probe).catch(() => undefined);
        return id !== undefined ? { ...report, nativeSessionId: id } : report;
      },
    };
  },
});
