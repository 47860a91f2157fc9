/**
 * The real agent CLIs, installed from npm at pinned versions, and a fresh HOME for each that
 * points it at a scripted model server (see `model-servers/`). For tests that drive Claude Code,
 * Codex and OpenCode themselves: their first-run screens, menus, transcripts and sandboxes are real;
 * only the paid model API is a stand-in.
 *
 * `ensureAgentClis()` installs them once per machine into `node_modules/.cache/ao-agent-clis` at
 * the repository root (about 20 s, ~1 GB of platform binaries; later runs find them), under a file
 * lock so parallel test files share one install.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withFileLock } from '@ao/core';

/** The versions ao's agent plugins were verified against (keep in step with each plugin's `VERIFIED_VERSION`). */
export const AGENT_CLI_PACKAGES = {
  claude: { npm: '@anthropic-ai/claude-code', version: '2.1.197' },
  codex: { npm: '@openai/codex', version: '0.171.0' },
  opencode: { npm: 'opencode-ai', version: '1.18.33' },
} as const;

export type AgentCliName = keyof typeof AGENT_CLI_PACKAGES;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Where the CLIs are installed: `<repo>/node_modules/.cache/ao-agent-clis`. */
export const AGENT_CLI_DIR = process.env.AO_AGENT_CLI_DIR ?? join(ROOT, 'node_modules', '.cache', 'ao-agent-clis');

/**
 * Installs the pinned CLIs unless the cache already has exactly them; returns the directory of
 * their executables (`claude`, `codex`, `opencode`), to put first on the agent's PATH.
 */
export async function ensureAgentClis(): Promise<string> {
  const binDir = join(AGENT_CLI_DIR, 'node_modules', '.bin');
  // `linked`: the stamp of an install whose native binaries were linked (below); older caches redo it.
  const wanted = [...Object.values(AGENT_CLI_PACKAGES).map((p) => `${p.npm}@${p.version}`), 'linked'];
  const stamp = join(AGENT_CLI_DIR, 'installed.json');
  const current = async () => (existsSync(stamp) ? (await readFile(stamp, 'utf8')).trim() : '');
  if ((await current()) === JSON.stringify(wanted)) return binDir;
  await mkdir(AGENT_CLI_DIR, { recursive: true });
  await withFileLock(
    join(AGENT_CLI_DIR, 'install.lock'),
    async () => {
      if ((await current()) === JSON.stringify(wanted)) return;
      await writeFile(join(AGENT_CLI_DIR, 'package.json'), '{ "private": true }\n');
      // The packages' native binaries come as optional dependencies (from npm, like the rest);
      // install scripts stay off, and the two CLIs whose launcher must be pointed at its binary
      // get exactly that step, which reads only what npm already unpacked.
      const run = promisify(execFile);
      // Twice at most: a registry hiccup on a CI machine should not fail the whole suite (npm's own
      // retries cover one request, not an install cut off half-way).
      const install = () =>
        run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--ignore-scripts', '--fetch-retries=4', ...wanted.filter((w) => w !== 'linked')], {
          cwd: AGENT_CLI_DIR,
          maxBuffer: 16 * 1024 * 1024,
          timeout: 600_000,
        });
      await install().catch(install);
      for (const [pkg, script] of [
        ['@anthropic-ai/claude-code', 'install.cjs'],
        ['opencode-ai', 'postinstall.mjs'],
      ] as const) {
        const dir = join(AGENT_CLI_DIR, 'node_modules', pkg);
        if (existsSync(join(dir, script))) await run(process.execPath, [script], { cwd: dir, timeout: 120_000 });
      }
      // Each CLI must answer --version before the tests rely on it.
      for (const bin of ['claude', 'codex', 'opencode']) await run(join(binDir, bin), ['--version'], { timeout: 60_000 });
      await writeFile(stamp, `${JSON.stringify(wanted)}\n`);
    },
    { timeoutMs: 600_000, staleMs: 900_000 },
  );
  return binDir;
}

export interface AgentHomeOptions {
  /** The fresh HOME directory (created if missing). */
  home: string;
  /** The scripted model server's base URL (`server.url`, no path). */
  modelUrl: string;
  /** Directories the CLI should trust without asking (Claude Code, Codex). */
  trusted?: string[];
}

/** A throw-away API key: the scripted servers accept anything. */
const FAKE_KEY = 'sk-ant-api03-scripted-model-server-key-0123456789';

/**
 * Writes a fresh HOME for `cli` and returns the environment to run it with: the model server as
 * its provider, onboarding done, the throw-away API key accepted, `trusted` folders trusted,
 * auto-updates and telemetry off. Nothing is written outside `home`.
 */
export async function writeAgentHome(cli: AgentCliName, options: AgentHomeOptions): Promise<Record<string, string>> {
  const { home, modelUrl, trusted = [] } = options;
  await mkdir(home, { recursive: true });
  const base = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), XDG_STATE_HOME: join(home, '.local', 'state') };
  switch (cli) {
    case 'claude': {
      const projects = Object.fromEntries(trusted.map((dir) => [dir, { hasTrustDialogAccepted: true }]));
      await writeFile(
        join(home, '.claude.json'),
        JSON.stringify({ hasCompletedOnboarding: true, customApiKeyResponses: { approved: [FAKE_KEY.slice(-20)], rejected: [] }, projects }),
      );
      return { ...base, ANTHROPIC_API_KEY: FAKE_KEY, ANTHROPIC_BASE_URL: modelUrl, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' };
    }
    case 'codex': {
      const codexHome = join(home, '.codex');
      await mkdir(codexHome, { recursive: true });
      const lines = [
        'model = "scripted-model"',
        'model_provider = "scripted"',
        '[model_providers.scripted]',
        'name = "scripted"',
        `base_url = ${JSON.stringify(`${modelUrl}/v1`)}`,
        'wire_api = "responses"',
        'env_key = "SCRIPTED_API_KEY"',
        ...trusted.flatMap((dir) => [`[projects.${JSON.stringify(dir)}]`, 'trust_level = "trusted"']),
      ];
      await writeFile(join(codexHome, 'config.toml'), `${lines.join('\n')}\n`);
      return { ...base, CODEX_HOME: codexHome, SCRIPTED_API_KEY: FAKE_KEY };
    }
    case 'opencode': {
      const dir = join(home, '.config', 'opencode');
      await mkdir(dir, { recursive: true });
      const config = {
        $schema: 'https://opencode.ai/config.json',
        provider: {
          scripted: { npm: '@ai-sdk/openai-compatible', name: 'Scripted', options: { baseURL: `${modelUrl}/v1`, apiKey: FAKE_KEY }, models: { 'scripted-model': { name: 'Scripted model' } } },
        },
        model: 'scripted/scripted-model',
        small_model: 'scripted/scripted-model',
        permission: { bash: 'ask', edit: 'ask' },
        autoupdate: false,
        share: 'disabled',
      };
      await writeFile(join(dir, 'opencode.json'), JSON.stringify(config, null, 2));
      return { ...base, OPENCODE_DISABLE_MODELS_FETCH: '1', OPENCODE_DISABLE_DEFAULT_PLUGINS: '1', OPENCODE_DISABLE_AUTOUPDATE: '1' };
    }
  }
}
