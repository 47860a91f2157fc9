// The shipped examples must keep working: agent-orchestrator.yaml.example validates and names only
// built-in plugins, and examples/plugin-notifier-file loads through the real registry and delivers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigSchema,
  createPluginContext,
  createPluginRegistry,
  isAoError,
  loadConfig,
  parseConfigText,
  silentLogger,
  zodToAoError,
  type AoError,
  type SlotRef,
} from '../src/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const EXAMPLE = join(ROOT, 'agent-orchestrator.yaml.example');
const PLUGIN = './examples/plugin-notifier-file/index.js';

/** `slot:name` of every built-in, read from the CLI's list (core must not import the CLI). */
function builtinNames(): Set<string> {
  const text = readFileSync(join(ROOT, 'packages/cli/src/builtins.ts'), 'utf8');
  const names = [...text.matchAll(/slot:\s*'([a-z]+)',\s*name:\s*'([a-z0-9-]+)'/g)].map((m) => `${m[1]}:${m[2]}`);
  expect(names.length).toBeGreaterThan(0);
  return new Set(names);
}

const pluginOf = (ref: SlotRef): string => (typeof ref === 'string' ? ref : ref.plugin);

describe('agent-orchestrator.yaml.example', () => {
  it('validates at the top level, with and without its env var set', () => {
    const unset = loadConfig({ file: EXAMPLE, cwd: ROOT, env: {} });
    expect(unset.config.projects.app?.sessionPrefix).toBe('app');
    expect(unset.config.agents['my-agent']).toEqual({ command: ['my-cli', '--yes'], prompt: 'arg', autonomy: 'manual', maxConcurrent: 2, canPlan: false });

    const set = parseConfigText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, { AO_SESSION_PREFIX: 'web' });
    expect(set.config.projects.app?.sessionPrefix).toBe('web');
    expect(set.interpolated).toEqual([{ path: ['projects', 'app', 'sessionPrefix'], vars: ['AO_SESSION_PREFIX'], template: '${AO_SESSION_PREFIX:-app}' }]);
  });

  it('shows every top-level key', () => {
    const keys = Object.keys(parseConfigText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, {}).source.doc.toJS() as object);
    // Every key the schema knows, so a new option cannot ship without its place in the example.
    expect(keys.sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it('selects only built-in plugins', () => {
    const builtins = builtinNames();
    const { config } = parseConfigText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, {});
    const used: string[] = [];
    const slots = ['runtime', 'workspace', 'tracker', 'scm', 'terminal'] as const;
    for (const scope of [config.defaults, ...Object.values(config.projects)]) {
      for (const slot of slots) {
        const ref = scope[slot];
        if (ref !== undefined) used.push(`${slot}:${pluginOf(ref)}`);
      }
      for (const ref of scope.notifiers ?? []) used.push(`notifier:${pluginOf(ref)}`);
      const agent = scope.agent;
      // An agent may name an `agents:` entry instead of a plugin.
      if (agent !== undefined && !(typeof agent === 'string' && config.agents[agent])) used.push(`agent:${pluginOf(agent)}`);
    }
    for (const entry of Object.values(config.agents)) used.push(`agent:${entry.plugin ?? 'command'}`);
    expect(config.plugins).toEqual([]);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((u) => !builtins.has(u))).toEqual([]);
  });
});

describe('examples/plugin-notifier-file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('loads as an external plugin and appends one JSON line per notification', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ao-notifier-file-'));
    const registry = createPluginRegistry([]);
    await registry.loadExternal([PLUGIN], ROOT, join(ROOT, 'agent-orchestrator.yaml'));
    expect(registry.list('notifier').map((e) => [e.name, e.spec])).toEqual([['file', PLUGIN]]);

    const ctx = createPluginContext({ configDir: dir, env: { AO_HOME: join(dir, 'home') }, logger: silentLogger });
    const notifier = await registry.create('notifier', 'file', { path: 'out/notes.jsonl' }, ctx);
    await notifier.notify({ event: 'ci-failed', title: 'CI failed', body: 'tests: 2 failing', level: 'action', sessionId: 'app-1' });
    await notifier.notify({ event: 'merged', title: 'Merged', body: 'app-1 merged', level: 'info' });

    const lines = readFileSync(join(dir, 'out/notes.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ event: 'ci-failed', level: 'action', sessionId: 'app-1' });
    expect(lines[1]).toMatchObject({ event: 'merged', title: 'Merged' });
    expect(typeof lines[0]?.ts).toBe('string');
  });

  it('rejects with NOTIFY_FAILED when the file cannot be written', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ao-notifier-file-'));
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const registry = createPluginRegistry([]);
    await registry.loadExternal([PLUGIN], ROOT);
    const ctx = createPluginContext({ configDir: dir, env: {}, logger: silentLogger });
    const notifier = await registry.create('notifier', 'file', { path: 'not-a-dir/notes.jsonl' }, ctx);
    const error = await notifier.notify({ event: 'merged', title: 'Merged', body: '', level: 'info' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAoError(error) && error.code).toBe('NOTIFY_FAILED');
    expect((error as Error).message).toContain(join(dir, 'not-a-dir/notes.jsonl'));
  });

  it('rejects a bad config with a message that names the file, line and key', async () => {
    const registry = createPluginRegistry([]);
    await registry.loadExternal([PLUGIN], ROOT);
    const manifest = await registry.get('notifier', 'file');

    const text = 'projects:\n  app: {}\ndefaults:\n  notifiers:\n    - { plugin: file, colour: red }\n';
    const file = join(ROOT, 'agent-orchestrator.yaml');
    const loaded = parseConfigText(text, file, {});
    const { plugin: _plugin, ...section } = { plugin: 'file', colour: 'red' };
    const result = manifest.configSchema.safeParse(section);
    expect(result.success).toBe(false);
    if (result.success) return;
    const error: AoError = zodToAoError('PLUGIN_CONFIG_INVALID', result.error, {
      file,
      source: loaded.source,
      input: section,
      prefix: ['defaults', 'notifiers', 0],
      title: `Invalid config for notifier plugin "file" in ${file}`,
    });
    expect(error.code).toBe('PLUGIN_CONFIG_INVALID');
    expect(error.message).toContain(`${file}:5:7 defaults.notifiers[0].path: expected \`path\``);
    expect(error.message).toContain(`${file}:5:23 defaults.notifiers[0].colour: unknown key "colour"`);

    const ctx = createPluginContext({ configDir: ROOT, env: {}, logger: silentLogger });
    await expect(registry.create('notifier', 'file', { path: 42 }, ctx)).rejects.toMatchObject({ code: 'PLUGIN_CONFIG_INVALID' });
  });
});
