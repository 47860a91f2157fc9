import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AoError, autonomyFor, createPluginRegistry, definePlugin, findConfigFile, parseConfigText, resolveConfig, z, type ResolvedProject } from '../src/index.js';

const FILE = '/repo/agent-orchestrator.yaml';
const catchError = (fn: () => unknown): AoError => {
  try {
    fn();
  } catch (e) {
    return e as AoError;
  }
  throw new Error('expected an error');
};

const plugin = (slot: 'runtime' | 'agent' | 'workspace' | 'tracker' | 'scm' | 'notifier' | 'terminal', name: string, schema = z.object({}).strict()) => ({
  slot,
  name,
  load: async () => ({ default: definePlugin({ name, slot, version: '1.0.0', configSchema: schema, create: () => ({}) as never }) }),
});
const builtins = [
  plugin('runtime', 'tmux', z.object({ cols: z.number().optional() }).strict()),
  plugin('workspace', 'worktree'),
  plugin('agent', 'claude-code', z.object({ skipPermissions: z.boolean().default(false) }).strict()),
  plugin('agent', 'command', z.object({ command: z.array(z.string()).min(1), prompt: z.enum(['arg', 'stdin', 'send']).default('arg') }).strict()),
  plugin('tracker', 'local'),
  plugin('scm', 'local', z.object({ ci: z.array(z.string()).optional() }).strict()),
  plugin('notifier', 'console'),
  plugin('terminal', 'tmux'),
];

describe('parseConfigText', () => {
  it('fills defaults', () => {
    const { config } = parseConfigText('projects:\n  app: {}\n', FILE, {});
    expect(config.defaults).toMatchObject({ workspace: 'worktree', agent: 'claude-code', tracker: 'local', scm: 'local', notifiers: ['console'] });
    expect(config.limits.maxConcurrentSessions).toBe(8);
    expect(config.dashboard).toEqual({ host: '127.0.0.1', port: 3939 });
    expect(config.projects.app?.path).toBe('.');
  });

  it('points at the line and column of an unknown nested key', () => {
    const e = catchError(() => parseConfigText('projects:\n  app:\n    path: .\n    colour: red\n', FILE, {}));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(`${FILE}:4:5 projects.app.colour: unknown key "colour"`);
  });

  it('requires at least one project', () => {
    const e = catchError(() => parseConfigText('projects: {}\n', FILE, {}));
    expect(e.message).toContain('expected at least one project');
  });

  it('interpolates ${VAR}, ${VAR:-default} and keeps $${ literal', () => {
    const { config, interpolated } = parseConfigText(
      'projects:\n  app:\n    path: ${REPO}\n    sessionPrefix: ${PFX:-dflt}\n    copyFiles: ["$${HOME}"]\n',
      FILE,
      { REPO: '/src/app' },
    );
    expect(config.projects.app?.path).toBe('/src/app');
    expect(config.projects.app?.sessionPrefix).toBe('dflt');
    expect(config.projects.app?.copyFiles).toEqual(['${HOME}']);
    expect(interpolated).toEqual([{ path: ['projects', 'app', 'path'], vars: ['REPO'], template: '${REPO}' }]);
  });

  it('an unset variable is an error naming it', () => {
    const e = catchError(() => parseConfigText('projects:\n  app:\n    path: ${NOPE_NOT_SET}\n', FILE, {}));
    expect(e.code).toBe('ENV_VAR_UNSET');
    expect(e.message).toContain('NOPE_NOT_SET');
    expect(e.message).toContain(`${FILE}:3:5 projects.app.path`);
  });

  it('a YAML error has line and column', () => {
    const e = catchError(() => parseConfigText('projects:\n  app:\n    path: "unterminated\n', FILE, {}));
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toMatch(/:\d+:\d+: /);
  });

  it('duplicate keys are an error', () => {
    const e = catchError(() => parseConfigText('projects:\n  app: {}\n  app: {}\n', FILE, {}));
    expect(e.code).toBe('CONFIG_PARSE');
  });
});

describe('resolveConfig', () => {
  it('binds every slot, validating each section with its plugin schema', async () => {
    const loaded = parseConfigText(
      'defaults:\n  runtime: { plugin: tmux, cols: 120 }\nprojects:\n  app:\n    path: ./app\n    agent: mine\n    scm: { plugin: local, ci: [pnpm, test] }\nagents:\n  mine: { command: [my-cli, --yes] }\n',
      FILE,
      {},
    );
    const config = await resolveConfig(loaded, createPluginRegistry(builtins), { env: {} });
    const app = config.projects.app!;
    expect(app.path).toBe('/repo/app');
    expect(app.sessionPrefix).toBe('app');
    expect(app.runtime).toEqual({ plugin: 'tmux', config: { cols: 120 }, at: 'defaults.runtime' });
    expect(app.agentName).toBe('mine');
    expect(app.agent).toMatchObject({ plugin: 'command', config: { command: ['my-cli', '--yes'], prompt: 'arg' } });
    expect(app.scm.config).toEqual({ ci: ['pnpm', 'test'] });
    expect(config.agents['claude-code']).toBeDefined();
  });

  it('agents: an entry named after a built-in agent configures it; autonomy is kept out of the plugin config', async () => {
    const loaded = parseConfigText(
      'defaults: { runtime: tmux }\nprojects:\n  app: {}\n  prod: { autonomy: manual }\nagents:\n  claude-code: { skipPermissions: true, autonomy: autopilot }\n  mine: { command: [my-cli], autonomy: manual }\n',
      FILE,
      {},
    );
    const config = await resolveConfig(loaded, createPluginRegistry(builtins), { env: {} });
    expect(config.agents['claude-code']).toMatchObject({ plugin: 'claude-code', config: { skipPermissions: true } });
    expect(config.agents.mine).toMatchObject({ plugin: 'command', config: { command: ['my-cli'], prompt: 'arg' } });
    expect(config.agentAutonomy).toEqual({ 'claude-code': 'autopilot', mine: 'manual' });
    const { app, prod } = config.projects as Record<string, ResolvedProject>;
    // No project level: the agent's own level applies over the top-level copilot.
    expect(autonomyFor(app!, config.agentAutonomy['claude-code'])).toBe('autopilot');
    expect(autonomyFor(app!, undefined)).toBe('copilot');
    // A project level bounds its agents: the more careful one wins.
    expect(autonomyFor(prod!, 'autopilot')).toBe('manual');
    expect(autonomyFor({ autonomy: 'autopilot', autonomySet: true }, 'manual')).toBe('manual');
    expect(autonomyFor({ autonomy: 'autopilot', autonomySet: true }, 'copilot')).toBe('copilot');
  });

  it('agents: a mistyped autonomy names the key', async () => {
    const e = catchError(() => parseConfigText('projects:\n  app: {}\nagents:\n  mine: { command: [x], autonomy: yolo }\n', FILE, {}));
    expect(e.message).toContain('agents.mine.autonomy');
    expect(e.message).toContain('manual | copilot | autopilot');
  });

  it("reports a plugin's schema error at the key path inside the slot", async () => {
    const loaded = parseConfigText('projects:\n  app:\n    runtime: { plugin: tmux, cols: wide }\n', FILE, {});
    await expect(resolveConfig(loaded, createPluginRegistry(builtins), { env: {} })).rejects.toMatchObject({
      code: 'PLUGIN_CONFIG_INVALID',
      message: expect.stringContaining(`${FILE}:3:30 projects.app.runtime.cols: expected number, received "wide"`),
    });
  });

  it('an unknown plugin lists the available ones', async () => {
    const loaded = parseConfigText('projects:\n  app:\n    runtime: tmux\n    tracker: jira\n', FILE, {});
    await expect(resolveConfig(loaded, createPluginRegistry(builtins), { env: {} })).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
      message: expect.stringContaining('unknown tracker plugin "jira" (available: local'),
    });
  });

  it('defaults the runtime to process when tmux is not on PATH', async () => {
    const loaded = parseConfigText('projects:\n  app: {}\n', FILE, {});
    await expect(resolveConfig(loaded, createPluginRegistry(builtins), { env: { PATH: '/nonexistent' } })).rejects.toMatchObject({
      message: expect.stringContaining('unknown runtime plugin "process"'),
    });
  });
});

describe('findConfigFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  it('walks up from a subdirectory', () => {
    const root = mkdtempSync(join(tmpdir(), 'ao-find-'));
    dirs.push(root);
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'agent-orchestrator.yaml'), 'projects: {}\n');
    expect(findConfigFile(join(root, 'a', 'b'))).toBe(join(root, 'agent-orchestrator.yaml'));
  });
});
