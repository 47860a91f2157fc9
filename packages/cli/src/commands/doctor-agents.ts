/**
 * `ao doctor`'s checks of what each configured agent CLI needs before it runs unattended in ao's
 * workspaces, each with the exact fix. ao changes none of it itself: trusting a folder and using
 * an API key are the user's answers to give (see docs/agents.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface AgentCheck {
  level: 'ok' | 'warn';
  label: string;
  detail: string;
}

export interface AgentSetupInput {
  /** Agent plugins the config uses, e.g. `claude-code`, `codex`. */
  plugins: ReadonlySet<string>;
  /** ao's worktrees directory, `<AO_HOME>/worktrees`: every workspace lives below it. */
  worktreesDir: string;
  /** The configured projects' repository paths. */
  repoPaths: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

const under = (dir: string, parent: string): boolean => dir === parent || dir.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function claudeChecks(input: AgentSetupInput): AgentCheck[] {
  const { env, worktreesDir } = input;
  const home = env.HOME ?? homedir();
  const configDir = env.CLAUDE_CONFIG_DIR;
  const file = configDir ? join(configDir, '.claude.json') : join(home, '.claude.json');
  const state = readJson(file) ?? {};
  const checks: AgentCheck[] = [];
  const label = 'agent claude-code setup';
  const projects = (state.projects ?? {}) as Record<string, { hasTrustDialogAccepted?: boolean }>;
  const trusted = Object.entries(projects).some(([dir, p]) => p?.hasTrustDialogAccepted === true && under(worktreesDir, dir));
  checks.push(
    trusted
      ? { level: 'ok', label, detail: `${worktreesDir} is trusted (${file})` }
      : {
          level: 'warn',
          label,
          detail: `Claude Code will ask to trust every workspace: trust ao's worktrees directory once: mkdir -p ${worktreesDir} && cd ${worktreesDir} && claude, then answer "Yes, I trust this folder" (covers every workspace below it)`,
        },
  );
  if (state.hasCompletedOnboarding !== true) {
    checks.push({ level: 'warn', label, detail: `Claude Code's first-run screens are not done (${file}): run \`claude\` once and finish them` });
  }
  const key = env.ANTHROPIC_API_KEY;
  const credentials = join(configDir ?? join(home, '.claude'), '.credentials.json');
  if (key) {
    const responses = (state.customApiKeyResponses ?? {}) as { approved?: string[]; rejected?: string[] };
    const tail = key.slice(-20);
    if (responses.rejected?.includes(tail)) checks.push({ level: 'warn', label, detail: 'Claude Code was told not to use the ANTHROPIC_API_KEY set here: unset it, or run `claude` and change the answer' });
    else if (!responses.approved?.includes(tail)) checks.push({ level: 'warn', label, detail: 'Claude Code will ask whether to use the ANTHROPIC_API_KEY set here (your answer, not ao\'s): run `claude` once and answer it' });
  } else if (!existsSync(credentials) && !env.CLAUDE_CODE_OAUTH_TOKEN) {
    checks.push({ level: 'warn', label, detail: 'Claude Code is not logged in and no ANTHROPIC_API_KEY is set: run `claude` and /login, or set ANTHROPIC_API_KEY' });
  }
  return checks;
}

function codexChecks(input: AgentSetupInput): AgentCheck[] {
  const { env, repoPaths } = input;
  const codexHome = env.CODEX_HOME ?? join(env.HOME ?? homedir(), '.codex');
  const file = join(codexHome, 'config.toml');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const label = 'agent codex setup';
  const checks: AgentCheck[] = [];
  for (const repo of repoPaths) {
    // `[projects."<path>"]` followed by `trust_level = "trusted"` before the next table.
    const section = text.split(/^\[/m).find((t) => t.startsWith(`projects.${JSON.stringify(repo)}]`));
    if (section && /^\s*trust_level\s*=\s*"trusted"/m.test(section)) checks.push({ level: 'ok', label, detail: `${repo} is trusted (${file})` });
    else {
      checks.push({
        level: 'warn',
        label,
        detail: `Codex will ask to trust ${repo} in every workspace (a trusted repository covers its worktrees): add to ${file}: [projects.${JSON.stringify(repo)}] trust_level = "trusted"`,
      });
    }
  }
  const hasProvider = /^\s*model_provider\s*=/m.test(text);
  if (!hasProvider && !env.OPENAI_API_KEY && !existsSync(join(codexHome, 'auth.json'))) {
    checks.push({ level: 'warn', label, detail: `Codex has no login, no OPENAI_API_KEY and no model_provider in ${file}: run \`codex login\`` });
  }
  return checks;
}

/** The setup checks for every configured agent that has them. */
export function agentSetupChecks(input: AgentSetupInput): AgentCheck[] {
  return [...(input.plugins.has('claude-code') ? claudeChecks(input) : []), ...(input.plugins.has('codex') ? codexChecks(input) : [])];
}
