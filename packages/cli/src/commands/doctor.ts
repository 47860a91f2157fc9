import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensureDataDirSync,
  exec,
  findConfigFile,
  installHint,
  isAoError,
  loadConfig,
  resolveConfig,
  resolvePaths,
  silentLogger,
  systemClock,
  whichSync,
  type ResolvedConfig,
} from '@ao/core';
import { createRegistry, type GlobalOptions } from '../context.js';
import { color, print } from '../render.js';
import { KNOWN_AGENTS } from './init.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  level: Level;
  label: string;
  detail: string;
}

const MIN_NODE = [20, 19] as const;

async function version(tool: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec(tool, args, { timeoutMs: 5000, reject: false });
    return stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** Runs every check; each failing line says how to fix it. Exit 1 when a required check fails. */
export async function run(_args: unknown[], globals: GlobalOptions): Promise<number> {
  const checks: Check[] = [];
  const add = (level: Level, label: string, detail: string): void => {
    checks.push({ level, label, detail });
  };

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) add('ok', 'node', `v${process.versions.node}`);
  else add('fail', 'node', `v${process.versions.node} is too old: install Node ${MIN_NODE.join('.')} or newer`);

  const git = whichSync('git');
  if (git) add('ok', 'git', (await version('git', ['--version'])) ?? git);
  else add('fail', 'git', `not found: ${installHint('git')}`);

  // The config decides whether tmux is required and which agents matter.
  let config: ResolvedConfig | undefined;
  const file = globals.config ?? findConfigFile(process.cwd());
  if (!file) {
    add('warn', 'config', 'no agent-orchestrator.yaml here or above: run `ao init` in your repository');
  } else {
    try {
      config = await resolveConfig(loadConfig({ file, cwd: process.cwd() }), createRegistry());
      add('ok', 'config', `${config.file} (${Object.keys(config.projects).length} project(s))`);
      for (const warning of config.warnings) add('warn', 'config', warning);
    } catch (error) {
      add('fail', 'config', isAoError(error) ? error.message : String(error));
    }
  }

  const projects = config ? Object.values(config.projects) : [];
  const tmuxNeeded = projects.some((p) => p.runtime.plugin === 'tmux');
  const tmux = whichSync('tmux');
  if (tmux) add('ok', 'tmux', (await version('tmux', ['-V'])) ?? tmux);
  else add(tmuxNeeded ? 'fail' : 'warn', 'tmux', `not found: ${installHint('tmux')}`);

  const configuredAgents = new Set(projects.flatMap((p) => [p.agent.plugin, p.agentName]));
  const { AGENT_CLIS, agentInstall, agentSetupChecks, trustedByAo } = await import('./doctor-agents.js');
  for (const found of await Promise.all(AGENT_CLIS.map((agent) => agentInstall(agent, configuredAgents.has(agent.plugin))))) {
    add(found.check.level, found.check.label, found.check.detail);
  }
  for (const name of Object.keys(config?.parsed.agents ?? {})) {
    const sel = config?.agents[name];
    if (sel?.plugin !== 'command') continue;
    const bin = (sel.config as { command: string[] }).command[0] ?? '';
    const found = bin.includes('/') ? bin : whichSync(bin);
    if (found) add('ok', `agent ${name}`, found);
    else add(configuredAgents.has(name) ? 'fail' : 'warn', `agent ${name}`, `${bin} not found on PATH: install it or fix agents.${name}.command`);
  }

  // What each configured agent needs before it runs unattended in ao's workspaces.
  const usedPlugins = new Set(projects.map((p) => p.agent.plugin));
  const setup = { plugins: usedPlugins, trustedByAo: trustedByAo(projects.map((p) => p.agent)), worktreesDir: join(resolvePaths().home, 'worktrees'), repoPaths: projects.map((p) => p.path), env: process.env };
  for (const c of agentSetupChecks(setup)) add(c.level, c.label, c.detail);

  // A runtime that reaches beyond this machine (ssh hosts) checks itself, and looks for the
  // agent CLIs of the projects that use it where their agents run.
  if (config) {
    try {
      const { loadSessions } = await import('../sessions.js');
      const { plugins } = await loadSessions(globals);
      const keyOf = (p: (typeof projects)[number]): string => `${p.runtime.plugin}\0${JSON.stringify(p.runtime.config)}`;
      const programOf = (p: (typeof projects)[number]): string | undefined =>
        p.agent.plugin === 'command' ? (p.agent.config as { command?: string[] }).command?.[0] : KNOWN_AGENTS.find((a) => a.plugin === p.agent.plugin)?.bin;
      for (const key of new Set(projects.map(keyOf))) {
        const users = projects.filter((p) => keyOf(p) === key);
        const runtime = await plugins.plugin(users[0]!, 'runtime');
        if (!runtime.doctor) continue;
        const programs = [...new Set(users.map(programOf).filter((p): p is string => Boolean(p)))];
        for (const c of await runtime.doctor({ programs })) add(c.level, c.label, c.detail);
      }
    } catch (error) {
      add('warn', 'runtime', `could not check the runtime: ${isAoError(error) ? error.message : String(error)}`);
    }
  }

  // GitHub only matters (and only costs a network call) when a project uses a github plugin.
  const githubRepos = projects.flatMap((p) =>
    [p.tracker, p.scm].filter((sel) => sel.plugin === 'github').map((sel) => String((sel.config as { repo?: unknown }).repo ?? '')),
  );
  if (githubRepos.length) {
    const { githubDoctorChecks } = await import('@ao/github');
    const found = await githubDoctorChecks({ repos: githubRepos.filter(Boolean), env: process.env, exec, logger: silentLogger, clock: systemClock });
    for (const c of found) add(c.level, c.label, c.detail);
  }

  // A local SCM without `ci` merges pull requests nobody tested: say so, with the command `ao init` would write.
  for (const project of projects.filter((p) => p.scm.plugin === 'local')) {
    const ci = (project.scm.config as { ci?: unknown }).ci;
    const label = `ci ${project.name}`;
    if (ci !== undefined) {
      const { ciPlan } = await import('@ao/plugin-scm-local');
      const plan = ciPlan(ci as Parameters<typeof ciPlan>[0]);
      add('ok', label, plan ? `${plan.command.join(' ')}${plan.setup ? ` (setup: ${plan.setup.join(' ')})` : ''}, dependencies: ${plan.dependencies}` : 'configured');
      continue;
    }
    const { detectTestCommand } = await import('@ao/plugin-scm-local');
    const found = await detectTestCommand(project.path).catch(() => undefined);
    const fix = `scm: { plugin: local, ci: ${found ? JSON.stringify(found.command).replace(/,/g, ', ') : '["<your test command>"]'} } under projects.${project.name}`;
    add('warn', label, `no CI: pull requests are reviewed and merged without running the tests. Set ${fix}${found ? ` (found in ${found.source})` : ''}`);
  }

  const paths = resolvePaths();
  const probe = join(paths.home, `.doctor-${process.pid}`);
  try {
    ensureDataDirSync(paths.home);
    writeFileSync(probe, 'ok', { mode: 0o600 });
    add('ok', 'data dir', `${paths.home} is writable`);
  } catch (error) {
    const full = ['ENOSPC', 'EDQUOT'].includes(String((error as { code?: unknown }).code));
    add(
      'fail',
      'data dir',
      full
        ? `${paths.home} is full (${(error as { code?: string }).code}): nothing can be recorded; free space there (df -h ${paths.home})`
        : `${paths.home} is not writable (${(error as Error).message}): fix its permissions or set AO_HOME to a writable directory`,
    );
  } finally {
    // A full disk creates the file and then refuses its bytes: never leave the probe behind.
    try {
      rmSync(probe, { force: true });
    } catch {
      // no probe was created (the data dir is not even a directory)
    }
  }

  // Agents still running after their session record was lost: nothing else would ever show them.
  if (config) {
    try {
      const { loadSessions } = await import('../sessions.js');
      const { manager } = await loadSessions(globals);
      const { orphans = [] } = await manager.list({ refresh: false, orphans: true });
      const { orphanLines } = await import('./status.js');
      for (const line of orphanLines(orphans)) add('warn', 'sessions', line);
      if (orphans.length === 0) add('ok', 'sessions', 'no orphan terminals');
    } catch (error) {
      add('warn', 'sessions', `could not look for orphan terminals: ${isAoError(error) ? error.message : String(error)}`);
    }
  }

  const mark = { ok: color.green('✓'), warn: color.yellow('!'), fail: color.red('✗') };
  const width = Math.max(...checks.map((c) => c.label.length));
  for (const c of checks) print(`${mark[c.level]} ${c.label.padEnd(width)}  ${c.detail}`);
  const failed = checks.filter((c) => c.level === 'fail').length;
  const warned = checks.filter((c) => c.level === 'warn').length;
  print();
  print(failed ? color.red(`${failed} problem(s) must be fixed`) : color.green(`ready${warned ? ` (${warned} warning(s))` : ''}`));
  return failed ? 1 : 0;
}
