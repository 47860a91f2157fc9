/**
 * `ao agents ls [--json]`: the agent CLIs ao knows (and the command agents the config names),
 * whether each is installed, the version found and the one its plugin was verified with, and its
 * health for unattended runs (login or key, trust). The checks are `ao doctor`'s (doctor-agents.ts);
 * `ao doctor` prints each one's fix.
 */
import { join } from 'node:path';
import { findConfigFile, loadConfig, resolveConfig, resolvePaths, whichSync, type ResolvedConfig } from '@ao/core';
import { createRegistry, type GlobalOptions } from '../context.js';
import { color, print, table } from '../render.js';
import { AGENT_CLIS, agentInstall, agentSetupChecks, trustedByAo, type AgentCheck } from './doctor-agents.js';

export interface AgentRow {
  /** The plugin (a built-in agent), or the key under `agents:` for a command agent. */
  name: string;
  plugin: string;
  bin: string;
  installed: boolean;
  path: string | null;
  version: string | null;
  verifiedVersion: string | null;
  /** Installed at the verified version. */
  verified: boolean;
  /** A project of the config uses it. */
  used: boolean;
  /** Every check, worst first: level, a few words (`short`) and the whole finding with its fix (`detail`). */
  health: Pick<AgentCheck, 'level' | 'short' | 'detail'>[];
}

const RANK = { fail: 0, warn: 1, ok: 2 } as const;

export async function run([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  let config: ResolvedConfig | undefined;
  const file = globals.config ?? findConfigFile(process.cwd());
  if (file) config = await resolveConfig(loadConfig({ file, cwd: process.cwd() }), createRegistry());
  const projects = config ? Object.values(config.projects) : [];
  const used = new Set(projects.flatMap((p) => [p.agent.plugin, p.agentName]));

  const installs = await Promise.all(AGENT_CLIS.map((a) => agentInstall(a, used.has(a.plugin))));
  const setup = agentSetupChecks({
    plugins: new Set(installs.filter((i) => i.path).map((i) => i.plugin)),
    trustedByAo: trustedByAo(projects.map((p) => p.agent)),
    worktreesDir: join(resolvePaths().home, 'worktrees'),
    repoPaths: projects.map((p) => p.path),
    env: process.env,
  });
  const health = (checks: AgentCheck[]) => checks.map(({ level, short, detail }) => ({ level, short, detail })).sort((a, b) => RANK[a.level] - RANK[b.level]);
  const rows: AgentRow[] = installs.map((i) => ({
    name: i.plugin,
    plugin: i.plugin,
    bin: i.bin,
    installed: i.path !== undefined,
    path: i.path ?? null,
    version: i.version ?? null,
    verifiedVersion: i.verifiedVersion ?? null,
    verified: i.version !== undefined && i.version === i.verifiedVersion,
    used: used.has(i.plugin),
    health: health([i.check, ...setup.filter((c) => c.label === `agent ${i.plugin} setup`)]),
  }));
  for (const name of Object.keys(config?.parsed.agents ?? {})) {
    const sel = config?.agents[name];
    const bin = (sel?.config as { command?: string[] } | undefined)?.command?.[0];
    if (sel?.plugin !== 'command' || !bin) continue;
    const path = bin.includes('/') ? bin : whichSync(bin);
    const check: AgentCheck = path
      ? { level: 'ok', label: `agent ${name}`, short: 'installed', detail: path }
      : { level: used.has(name) ? 'fail' : 'warn', label: `agent ${name}`, short: 'not installed', detail: `${bin} not found on PATH: install it or fix agents.${name}.command` };
    rows.push({ name, plugin: 'command', bin, installed: Boolean(path), path: path ?? null, version: null, verifiedVersion: null, verified: false, used: used.has(name), health: health([check]) });
  }

  if ((opts as { json?: boolean } | undefined)?.json) {
    print(JSON.stringify(rows, null, 2));
    return 0;
  }
  const mark = { ok: color.green('✓'), warn: color.yellow('!'), fail: color.red('✗') };
  print(
    table(
      ['agent', 'cli', 'installed', 'version', 'verified with', 'used', 'health'],
      rows.map((r) => [r.name, r.bin, r.installed ? 'yes' : 'no', r.version ?? '-', r.verifiedVersion ?? '-', r.used ? 'yes' : '', r.health.map((h) => `${mark[h.level]} ${h.short}`).join(', ')]),
    ),
  );
  if (rows.some((r) => r.health.some((h) => h.level !== 'ok'))) print(color.dim('run `ao doctor` for the fix of each ! and ✗'));
  return 0;
}
