import { resolve as resolvePath } from 'node:path';
import type { PluginSlot } from '../contracts/plugin.js';
import { AoError } from '../errors.js';
import { isOnPath } from '../exec.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { formatPath } from './issues.js';
import { where, zodToAoError, type LoadedConfig } from './load.js';
import type { Autonomy, ParsedConfig, SlotRef } from './schema.js';

/** Which plugin fills a slot, with its config already validated by that plugin's schema. */
export interface SlotSelection {
  plugin: string;
  config: unknown;
  /** Key path in the config file that chose it, for error messages. */
  at: string;
}

export interface ResolvedProject {
  name: string;
  /** Absolute path of the repository. */
  path: string;
  /** Undefined when the config leaves it to detection from the repo. */
  defaultBranch?: string;
  sessionPrefix: string;
  /** The project's level: its own `autonomy`, else the top-level one. See `autonomyFor`. */
  autonomy: Autonomy;
  /** True when the project sets `autonomy` itself (it then also bounds its agents' levels). */
  autonomySet: boolean;
  runtime: SlotSelection;
  workspace: SlotSelection;
  /** The agent name as configured (`claude-code`, or a key of `agents:`). */
  agentName: string;
  agent: SlotSelection;
  tracker: SlotSelection;
  scm: SlotSelection;
  terminal: SlotSelection;
  notifiers: SlotSelection[];
  postCreate: string[][];
  copyFiles: string[];
  prompts: { issue?: string; task?: string };
}

export interface ResolvedConfig {
  file: string;
  dir: string;
  projects: Record<string, ResolvedProject>;
  /** Every agent a session may pick with `--agent`: built-in agent plugins and the `agents:` entries. */
  agents: Record<string, SlotSelection>;
  /** `agents.<name>.autonomy` of the agents that set one. */
  agentAutonomy: Record<string, Autonomy>;
  /** `agents.<name>.maxConcurrent` of the agents that set one. */
  agentMaxConcurrent: Record<string, number>;
  plugins: string[];
  limits: ParsedConfig['limits'];
  queue: ParsedConfig['queue'];
  plans: ParsedConfig['plans'];
  triggers: ParsedConfig['triggers'];
  autonomy: Autonomy;
  reactions: ParsedConfig['reactions'];
  lifecycle: ParsedConfig['lifecycle'];
  approvals: ParsedConfig['approvals'];
  dashboard: ParsedConfig['dashboard'];
  orchestrator: ParsedConfig['orchestrator'];
  /** Problems that did not stop loading, one line each; the CLI prints them, the daemon logs them. */
  warnings: string[];
  /** The top-level validated config, for `ao config show`. */
  parsed: ParsedConfig;
  interpolated: LoadedConfig['interpolated'];
}

type PathParts = (string | number)[];

/**
 * A map from names users type (`--agent`, `--project`, a session's agent) to config entries, with
 * no prototype: `toString`, `constructor` or `__proto__` find nothing instead of Object's methods.
 */
function lookupTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function selectionFromRef(ref: SlotRef, path: PathParts): { plugin: string; config: unknown; path: PathParts } {
  if (typeof ref === 'string') return { plugin: ref, config: {}, path };
  const { plugin, ...config } = ref;
  return { plugin, config, path };
}

/**
 * Resolves the loaded config against the plugin registry: external plugins are imported, every
 * slot is bound to a plugin, and each plugin's section is validated by its own `configSchema`.
 * Errors name the file, line, key path and what the plugin expected.
 */
export async function resolveConfig(
  loaded: LoadedConfig,
  registry: PluginRegistry,
  options: { env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const { config, file, source } = loaded;

  if (config.plugins.length) await registry.loadExternal(config.plugins, loaded.dir, file);

  const validate = async (slot: PluginSlot, sel: { plugin: string; config: unknown; path: PathParts }): Promise<SlotSelection> => {
    const at = formatPath(sel.path);
    const manifest = await registry.get(slot, sel.plugin, `${where(source, file, sel.path)} ${at}`);
    const result = manifest.configSchema.safeParse(sel.config);
    if (!result.success) {
      // The object form `{ plugin, ...rest }` puts the plugin's keys right beside `plugin`.
      throw zodToAoError('PLUGIN_CONFIG_INVALID', result.error, {
        file,
        source,
        input: sel.config,
        schema: manifest.configSchema as never,
        prefix: sel.path,
        title: `Invalid config for ${slot} plugin "${sel.plugin}" in ${file}`,
      });
    }
    return { plugin: sel.plugin, config: result.data, at };
  };

  // Named agents: `agents.<name>` is a `command` agent unless it says `plugin:`.
  // An entry named after a built-in agent (`agents: { codex: {...} }`) configures that plugin.
  const agents = lookupTable<SlotSelection>();
  const agentAutonomy = lookupTable<Autonomy>();
  const agentMaxConcurrent = lookupTable<number>();
  const builtinAgents = new Set(registry.list('agent').map((entry) => entry.name));
  for (const name of builtinAgents) agents[name] = { plugin: name, config: {}, at: `agent plugin ${name}` };
  for (const [name, entry] of Object.entries(config.agents)) {
    const { plugin = builtinAgents.has(name) && !('command' in entry) ? name : 'command', autonomy, maxConcurrent, ...rest } = entry;
    if (autonomy) agentAutonomy[name] = autonomy;
    if (maxConcurrent !== undefined) agentMaxConcurrent[name] = maxConcurrent;
    agents[name] = await validate('agent', { plugin, config: rest, path: ['agents', name] });
  }

  const pickAgent = async (ref: SlotRef, path: PathParts): Promise<{ name: string; selection: SlotSelection }> => {
    if (typeof ref === 'string' && Object.hasOwn(config.agents, ref)) return { name: ref, selection: agents[ref] as SlotSelection };
    const sel = selectionFromRef(ref, path);
    return { name: sel.plugin, selection: await validate('agent', sel) };
  };

  const d = config.defaults;
  // Unless the config lists notifiers, desktop notifications join the console where a desktop
  // can show them (`whenAvailable`: silent on a server).
  const defaultNotifiers =
    source?.doc.hasIn(['defaults', 'notifiers']) || !registry.list('notifier').some((e) => e.name === 'desktop')
      ? d.notifiers
      : [...d.notifiers, { plugin: 'desktop', whenAvailable: true }];
  const defaultRuntime: SlotRef = d.runtime ?? (isOnPath('tmux', env) ? 'tmux' : 'process');

  const projects = lookupTable<ResolvedProject>();
  for (const [name, p] of Object.entries(config.projects)) {
    const base = ['projects', name];
    const slot = (key: 'runtime' | 'workspace' | 'tracker' | 'scm' | 'terminal', fallback: SlotRef) =>
      selectionFromRef(p[key] ?? fallback, p[key] ? [...base, key] : ['defaults', key]);
    const agentRef = p.agent ?? d.agent;
    const agent = await pickAgent(agentRef, p.agent ? [...base, 'agent'] : ['defaults', 'agent']);
    const notifierRefs = p.notifiers ?? defaultNotifiers;
    const notifierBase = p.notifiers ? [...base, 'notifiers'] : ['defaults', 'notifiers'];
    const runtime = await validate('runtime', slot('runtime', defaultRuntime));
    projects[name] = {
      name,
      path: resolvePath(loaded.dir, p.path),
      ...(p.defaultBranch ? { defaultBranch: p.defaultBranch } : {}),
      sessionPrefix: p.sessionPrefix ?? name,
      autonomy: p.autonomy ?? config.autonomy,
      autonomySet: p.autonomy !== undefined,
      runtime,
      workspace: await validate('workspace', slot('workspace', d.workspace)),
      agentName: agent.name,
      agent: agent.selection,
      tracker: await validate('tracker', slot('tracker', d.tracker)),
      scm: await validate('scm', slot('scm', d.scm)),
      // tmux sessions, local or on ssh hosts, attach with tmux in your terminal (the runtime's
      // attachArgv); anything else (the process runtime) through the web terminal.
      terminal: await validate('terminal', slot('terminal', d.terminal ?? (runtime.plugin === 'tmux' || runtime.plugin === 'ssh' ? 'tmux' : 'web'))),
      notifiers: await Promise.all(notifierRefs.map((ref, i) => validate('notifier', selectionFromRef(ref, [...notifierBase, i])))),
      postCreate: p.postCreate ?? [],
      copyFiles: p.copyFiles ?? [],
      prompts: { ...config.prompts, ...p.prompts },
    };
  }

  return {
    file,
    dir: loaded.dir,
    projects,
    agents,
    agentAutonomy,
    agentMaxConcurrent,
    plugins: config.plugins,
    limits: config.limits,
    queue: config.queue,
    plans: config.plans,
    triggers: config.triggers,
    autonomy: config.autonomy,
    reactions: config.reactions,
    lifecycle: config.lifecycle,
    approvals: config.approvals,
    dashboard: config.dashboard,
    orchestrator: config.orchestrator,
    parsed: config,
    interpolated: loaded.interpolated,
    warnings: loaded.warnings,
  };
}

/** Picks the project a command acts on: `--project`, else the one whose path contains cwd, else the only one. */
export function pickProject(config: ResolvedConfig, name: string | undefined, cwd: string = process.cwd()): ResolvedProject {
  const all = Object.values(config.projects);
  if (name) {
    const p = config.projects[name];
    if (!p) {
      throw new AoError('PROJECT_NOT_FOUND', `Unknown project "${name}" (projects in ${config.file}: ${Object.keys(config.projects).join(', ')})`);
    }
    return p;
  }
  const here = resolvePath(cwd);
  const containing = all
    .filter((p) => here === p.path || here.startsWith(`${p.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (containing) return containing;
  if (all.length === 1) return all[0] as ResolvedProject;
  throw new AoError('PROJECT_NOT_FOUND', `Several projects are configured (${Object.keys(config.projects).join(', ')}): pass --project <name>`, { exitCode: 2 });
}

