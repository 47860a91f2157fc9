import type { Agent } from '../contracts/agent.js';
import type { AoPaths, Clock, Exec, Logger, PluginContext, PluginSlot, ProjectInfo, SlotInstances } from '../contracts/plugin.js';
import type { Runtime } from '../contracts/runtime.js';
import type { Workspace } from '../contracts/workspace.js';
import type { ResolvedConfig, ResolvedProject, SlotSelection } from '../config/resolve.js';
import { AoError } from '../errors.js';
import { gitDefaultBranch } from '../git.js';
import type { Session } from '../sessions/schema.js';
import type { PluginRegistry } from './registry.js';

export interface PluginHostDeps {
  config: ResolvedConfig;
  registry: PluginRegistry;
  paths: AoPaths;
  logger: Logger;
  clock: Clock;
  exec: Exec;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The plugins of a project or of a session, created once and cached: what the session layer, the
 * lifecycle, the daemon, the dashboard and the commands ask for a tracker, an scm, a runtime…
 */
export interface PluginHost {
  /** Plugin instance for a project (cached per project, slot, plugin and config); default: the project's own selection. */
  plugin<S extends PluginSlot>(project: ResolvedProject, slot: S, selection?: SlotSelection): Promise<SlotInstances[S]>;
  /** The project as plugins see it (its default branch asked of git once when the config does not say). */
  projectInfo(project: ResolvedProject): Promise<ProjectInfo>;
  /** The session's project; `PROJECT_NOT_FOUND` when it is no longer configured. */
  projectOf(session: Session): ResolvedProject;
  /** The runtime (or workspace) selection a session was started with: the project's, or the plugin it recorded. */
  selectionOf(project: ResolvedProject, slot: 'runtime' | 'workspace', session: Session): SlotSelection;
  /** The runtime the session was started on. */
  runtimeOf(session: Session): Promise<Runtime>;
  /** The workspace plugin that holds the session's workspace. */
  workspaceOf(session: Session): Promise<Workspace>;
  /** The session's agent plugin, or undefined when its agent is no longer configured. */
  agentOf(session: Session): Promise<Agent | undefined>;
}

export function createPluginHost(deps: PluginHostDeps): PluginHost {
  const { config, registry, logger, clock } = deps;
  const instances = new Map<string, Promise<unknown>>();
  const projectInfos = new Map<string, Promise<ProjectInfo>>();

  const host: PluginHost = {
    projectInfo(project) {
      let info = projectInfos.get(project.name);
      if (!info) {
        info = (async () => ({
          name: project.name,
          path: project.path,
          defaultBranch: project.defaultBranch ?? (await gitDefaultBranch(deps.exec, project.path)),
        }))();
        projectInfos.set(project.name, info);
      }
      return info;
    },

    async plugin(project, slot, selection) {
      const sel = selection ?? (project[slot as keyof ResolvedProject] as SlotSelection);
      const key = `${project.name}\0${slot}\0${sel.plugin}\0${JSON.stringify(sel.config)}`;
      let instance = instances.get(key);
      if (!instance) {
        instance = (async () => {
          const ctx: PluginContext = {
            logger: logger.child({ plugin: `${slot}:${sel.plugin}`, project: project.name }),
            paths: deps.paths,
            exec: deps.exec,
            clock,
            env: deps.env,
            configDir: config.dir,
            project: await host.projectInfo(project),
          };
          return registry.create(slot, sel.plugin, sel.config, ctx);
        })();
        instances.set(key, instance);
        instance.catch(() => instances.delete(key));
      }
      return instance as Promise<SlotInstances[typeof slot]>;
    },

    projectOf(session) {
      const p = config.projects[session.project];
      if (!p) {
        throw new AoError('PROJECT_NOT_FOUND', `Session ${session.id} belongs to project "${session.project}", which is not in ${config.file}`);
      }
      return p;
    },

    selectionOf(project, slot, session) {
      const name = slot === 'runtime' ? session.runtimeName : session.workspaceName;
      return name === project[slot].plugin ? project[slot] : { plugin: name, config: {}, at: `session ${session.id}` };
    },

    runtimeOf(session) {
      const project = host.projectOf(session);
      return host.plugin(project, 'runtime', host.selectionOf(project, 'runtime', session));
    },

    workspaceOf(session) {
      const project = host.projectOf(session);
      return host.plugin(project, 'workspace', host.selectionOf(project, 'workspace', session));
    },

    async agentOf(session) {
      const agentSel = config.agents[session.agent];
      return agentSel ? host.plugin(host.projectOf(session), 'agent', agentSel) : undefined;
    },
  };
  return host;
}
