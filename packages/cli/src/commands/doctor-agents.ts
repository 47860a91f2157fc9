/**
 * What each agent CLI needs before it runs unattended in ao's workspaces, checked once for both
 * `ao doctor` (one line per check, each with its exact fix) and `ao agents ls` (a table). ao sets
 * up its own workspaces itself (folder trust, Codex's sandbox roots; see docs/agents.md); a login,
 * an API key or onboarding are the user's answers, so these checks only say how to give them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { exec, installHint, whichSync } from '@ao/core';
import { KNOWN_AGENTS } from './init.js';

export interface AgentCheck {
  level: 'ok' | 'warn' | 'fail';
  label: string;
  /** The whole finding, with the fix when it is not ok. */
  detail: string;
  /** A few words for `ao agents ls`' health column, e.g. `trust: by ao`, `key: will ask`. */
  short: string;
}

export interface AgentSetupInput {
  /** Agent plugins to check, e.g. `claude-code`, `codex`. */
  plugins: ReadonlySet<string>;
  /** Plugins whose every use keeps `trustWorkspace` on: ao trusts their workspaces at launch. */
  trustedByAo: ReadonlySet<string>;
  /** ao's worktrees directory, `<AO_HOME>/worktrees`: every workspace lives below it. */
  worktreesDir: string;
  /** The configured projects' repository paths. */
  repoPaths: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** Where each verified agent CLI comes from on npm (for the install command a fix prints). */
const NPM_PACKAGES: Record<string, string> = { 'claude-code': '@anthropic-ai/claude-code', codex: '@openai/codex', opencode: 'opencode-ai' };

/** The built-in agents with a CLI (`ao init`'s list): plugin, executable, npm package. */
export const AGENT_CLIS: readonly { plugin: string; bin: string; npm?: string }[] = KNOWN_AGENTS.map((a) => ({ ...a, ...(NPM_PACKAGES[a.plugin] ? { npm: NPM_PACKAGES[a.plugin] } : {}) }));

const under = (dir: string, parent: string): boolean => dir === parent || dir.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const TRUST_BY_AO = (cli: string) => `ao trusts each workspace at launch (trustWorkspace; see docs/agents.md), leaving the rest of ${cli}'s settings as they are`;

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
  if (input.trustedByAo.has('claude-code')) checks.push({ level: 'ok', label, detail: TRUST_BY_AO('Claude Code'), short: 'trust: by ao' });
  else if (trusted) checks.push({ level: 'ok', label, detail: `${worktreesDir} is trusted (${file})`, short: 'trust: yes' });
  else {
    checks.push({
      level: 'warn',
      label,
      short: 'trust: will ask',
      detail: `Claude Code will ask to trust every workspace (trustWorkspace: false): set trustWorkspace: true on the agent, or trust ao's worktrees directory once: mkdir -p ${worktreesDir} && cd ${worktreesDir} && claude, then answer "Yes, I trust this folder" (covers every workspace below it)`,
    });
  }
  if (state.hasCompletedOnboarding !== true) {
    checks.push({ level: 'warn', label, short: 'onboarding: not done', detail: `Claude Code's first-run screens are not done (${file}): run \`claude\` once and finish them` });
  }
  const key = env.ANTHROPIC_API_KEY;
  const credentials = join(configDir ?? join(home, '.claude'), '.credentials.json');
  if (key) {
    const responses = (state.customApiKeyResponses ?? {}) as { approved?: string[]; rejected?: string[] };
    const tail = key.slice(-20);
    if (responses.rejected?.includes(tail)) {
      checks.push({ level: 'warn', label, short: 'key: refused', detail: 'Claude Code was told not to use the ANTHROPIC_API_KEY set here: unset it, or run `claude` and change the answer' });
    } else if (!responses.approved?.includes(tail)) {
      checks.push({ level: 'warn', label, short: 'key: will ask', detail: "Claude Code will ask whether to use the ANTHROPIC_API_KEY set here (your answer, not ao's): run `claude` once and answer it" });
    } else checks.push({ level: 'ok', label, short: 'key: accepted', detail: 'Claude Code uses the ANTHROPIC_API_KEY set here (you accepted it)' });
  } else if (existsSync(credentials) || env.CLAUDE_CODE_OAUTH_TOKEN) {
    checks.push({ level: 'ok', label, short: 'logged in', detail: `Claude Code is logged in (${env.CLAUDE_CODE_OAUTH_TOKEN ? 'CLAUDE_CODE_OAUTH_TOKEN' : credentials})` });
  } else {
    checks.push({ level: 'warn', label, short: 'not logged in', detail: 'Claude Code is not logged in and no ANTHROPIC_API_KEY is set: run `claude` and /login, or set ANTHROPIC_API_KEY' });
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
  if (input.trustedByAo.has('codex')) {
    checks.push({ level: 'ok', label, short: 'trust: by ao', detail: `${TRUST_BY_AO('Codex')}, and lets its sandbox write the worktree's git data so commits need nobody under approvals: ask` });
  } else {
    for (const repo of repoPaths) {
      // `[projects."<path>"]` followed by `trust_level = "trusted"` before the next table.
      const section = text.split(/^\[/m).find((t) => t.startsWith(`projects.${JSON.stringify(repo)}]`));
      if (section && /^\s*trust_level\s*=\s*"trusted"/m.test(section)) checks.push({ level: 'ok', label, short: 'trust: yes', detail: `${repo} is trusted (${file})` });
      else {
        checks.push({
          level: 'warn',
          label,
          short: 'trust: will ask',
          detail: `Codex will ask to trust ${repo} in every workspace (trustWorkspace: false): set trustWorkspace: true on the agent, or add to ${file}: [projects.${JSON.stringify(repo)}] trust_level = "trusted"`,
        });
      }
    }
    checks.push({
      level: 'warn',
      label,
      short: 'commits: need you',
      detail: "Codex's sandbox keeps a worktree's git data read-only (trustWorkspace: false), so each commit waits for your approval: set trustWorkspace: true on the agent (or approvals: bypass, which drops the sandbox)",
    });
  }
  const hasProvider = /^\s*model_provider\s*=/m.test(text);
  if (hasProvider) checks.push({ level: 'ok', label, short: 'provider set', detail: `model_provider is set in ${file}` });
  else if (env.OPENAI_API_KEY) checks.push({ level: 'ok', label, short: 'key present', detail: 'OPENAI_API_KEY is set' });
  else if (existsSync(join(codexHome, 'auth.json'))) checks.push({ level: 'ok', label, short: 'logged in', detail: `Codex is logged in (${join(codexHome, 'auth.json')})` });
  else checks.push({ level: 'warn', label, short: 'not logged in', detail: `Codex has no login, no OPENAI_API_KEY and no model_provider in ${file}: run \`codex login\`` });
  return checks;
}

/** The setup checks for every agent of `input.plugins` that has them. */
export function agentSetupChecks(input: AgentSetupInput): AgentCheck[] {
  return [...(input.plugins.has('claude-code') ? claudeChecks(input) : []), ...(input.plugins.has('codex') ? codexChecks(input) : [])];
}

/** The CLI version each agent plugin was verified against (its screens, menus and logs). */
export async function verifiedVersion(plugin: string): Promise<string | undefined> {
  switch (plugin) {
    case 'claude-code':
      return (await import('@ao/plugin-agent-claude-code')).VERIFIED_VERSION;
    case 'codex':
      return (await import('@ao/plugin-agent-codex')).VERIFIED_VERSION;
    case 'opencode':
      return (await import('@ao/plugin-agent-opencode')).VERIFIED_VERSION;
    default:
      return undefined;
  }
}

/** An agent CLI as found on this machine. */
export interface AgentInstall {
  plugin: string;
  bin: string;
  /** Where it was found on PATH. */
  path?: string;
  /** `x.y.z` from its `--version`. */
  version?: string;
  /** The version ao's plugin was verified with. */
  verifiedVersion?: string;
  /** installed, and at the verified version (ok), another (warn) or missing (warn, or fail when `used`). */
  check: AgentCheck;
}

/** Looks for the CLI on PATH and compares its version with the verified one; prints the install command when needed. */
export async function agentInstall(agent: (typeof AGENT_CLIS)[number], used: boolean): Promise<AgentInstall> {
  const { plugin, bin, npm } = agent;
  const label = `agent ${plugin}`;
  const verified = await verifiedVersion(plugin);
  const path = whichSync(bin);
  const base = { plugin, bin, ...(verified ? { verifiedVersion: verified } : {}) };
  if (!path) {
    // An agent the config selects is required: every spawn with it would fail.
    // The install hint, at the version ao verified: `install Codex (npm install -g @openai/codex@0.171.0)`.
    const fix = npm && verified ? installHint(bin).replace(npm, `${npm}@${verified}`) : installHint(bin);
    return { ...base, check: { level: used ? 'fail' : 'warn', label, short: 'not installed', detail: `${bin} not found${used ? ' (your config uses it)' : ''}: ${fix}` } };
  }
  const out = await exec(path, ['--version'], { timeoutMs: 5000, reject: false }).then((r) => r.stdout, () => '');
  const version = /\d+\.\d+\.\d+/.exec(out)?.[0];
  const found = { ...base, path, ...(version ? { version } : {}) };
  if (!verified) return { ...found, check: { level: 'ok', label, short: 'not verified with ao', detail: `${path}${version ? ` ${version}` : ''} (not verified with ao)` } };
  if (version === verified) return { ...found, check: { level: 'ok', label, short: 'verified', detail: `${path} ${version} (verified)` } };
  return {
    ...found,
    check: {
      level: 'warn',
      label,
      short: `not the verified ${verified}`,
      detail: `${path} ${version ?? '(version unknown)'}: ao reads this agent's menus and screens as ${bin} ${verified} draws them; others may answer or report wrongly. Install the verified one: npm install -g ${npm ?? bin}@${verified}`,
    },
  };
}

/** The agent plugins whose every selection in `selections` keeps `trustWorkspace` (its default, true). */
export function trustedByAo(selections: readonly { plugin: string; config: unknown }[]): Set<string> {
  const plugins = new Set<string>(['claude-code', 'codex']);
  for (const s of selections) if ((s.config as { trustWorkspace?: unknown } | undefined)?.trustWorkspace === false) plugins.delete(s.plugin);
  return plugins;
}
