import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import type { Agent } from './agent.js';
import type { Notifier } from './notifier.js';
import type { Runtime } from './runtime.js';
import type { Scm } from './scm.js';
import type { Terminal } from './terminal.js';
import type { Tracker } from './tracker.js';
import type { Workspace } from './workspace.js';

/** The seven places a plugin can fill. */
export const PLUGIN_SLOTS = ['runtime', 'agent', 'workspace', 'tracker', 'scm', 'notifier', 'terminal'] as const;
export type PluginSlot = (typeof PLUGIN_SLOTS)[number];

/** What `create()` must return for each slot. */
export interface SlotInstances {
  runtime: Runtime;
  agent: Agent;
  workspace: Workspace;
  tracker: Tracker;
  scm: Scm;
  notifier: Notifier;
  terminal: Terminal;
}

/** Structured logger handed to plugins (pino-compatible). Never print to stdout from a plugin. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Where ao keeps its state. All paths are absolute. */
export interface AoPaths {
  /** The data dir: `$AO_HOME`, else `~/.agent-orchestrator`. */
  home: string;
  /** Log files (`ao.log`). */
  logs: string;
  /** Per-project state: `<home>/projects/<project>`. */
  project(name: string): string;
  /** Session records of a project: `<home>/projects/<project>/sessions`. */
  sessions(project: string): string;
  /** Workspaces (worktrees, clones) of a project: `<home>/worktrees/<project>`. */
  worktrees(project: string): string;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Text written to the child's stdin. */
  input?: string;
  /** Milliseconds before the child is killed and the call rejects with `EXEC_FAILED`. */
  timeoutMs?: number;
  /** When true a non-zero exit resolves with the result instead of rejecting. */
  reject?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs a program with an argv array — never a shell string — so user data can't be interpreted.
 * Rejects with `AoError('EXEC_FAILED')` on a non-zero exit (unless `reject: false`) and with
 * `AoError('TOOL_MISSING')` when the program is not on PATH.
 */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** Time, injectable so tests and the lifecycle can control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** Everything a plugin may use from its host. Plugins never reach for globals. */
export interface PluginContext {
  logger: Logger;
  paths: AoPaths;
  exec: Exec;
  clock: Clock;
  /** The environment ao was started with (read-only). */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory of the config file, for resolving relative paths in plugin config. */
  configDir: string;
  /** The project this instance serves, for project-scoped plugins (tracker, scm, workspace). */
  project?: ProjectInfo;
}

/** The project a plugin instance was created for. */
export interface ProjectInfo {
  /** Key under `projects:` in the config. */
  name: string;
  /** Absolute path of the project's repository. */
  path: string;
  /** The branch sessions start from and PRs target. */
  defaultBranch: string;
}

/**
 * An HTTP route a plugin adds to the daemon. Resolves true when it answered the request, false
 * (leaving `res` untouched) when the path is not its own. A throw becomes a 500 with the daemon's
 * error shape; an `AoError` keeps its code.
 */
export type DaemonRouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/**
 * A WebSocket (or other HTTP upgrade) a plugin adds to the daemon. Returns true, synchronously,
 * when it took the socket (e.g. `wss.handleUpgrade(...)`), false when the path is not its own.
 */
export type DaemonUpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => boolean;

/**
 * What a plugin may add to the ao daemon in `configureDaemon`, in the manner of vite's
 * `configureServer`: routes and WebSockets on the daemon's own port, and services that live as
 * long as the daemon. Every request and upgrade reaches a plugin's handler only after the
 * daemon's own checks (Host, Origin, token, JSON content type for mutations): a handler never
 * sees an unauthenticated request, and needs no checks of its own.
 */
export interface DaemonHost {
  /**
   * Adds HTTP routes. Handlers are offered each request in the order added, after the daemon's
   * own API (its routes win on a clash) and before the dashboard. Keep to a path of your own
   * (the process runtime uses `/api/pty`).
   */
  use(handler: DaemonRouteHandler): void;
  /** Adds an upgrade handler (a WebSocket), offered upgrades after the dashboard's terminal. */
  upgrade(handler: DaemonUpgradeHandler): void;
  /**
   * Runs `hook` when the daemon stops, after it stopped accepting requests; the daemon waits for
   * it (end your programs, flush your records). Hooks run in reverse order of registration; a
   * hook that throws is logged and the others still run.
   */
  onClose(hook: () => void | Promise<void>): void;
}

/**
 * The manifest every plugin module exports as its default export.
 *
 * `configSchema` validates the plugin's own section of the config (the object form of a slot,
 * minus `plugin`, e.g. `{ plugin: webhook, url: ... }` → `{ url: ... }`); ao reports a failure with
 * the file and the key path. `create` is called once per distinct config when a command first
 * needs the plugin, never at startup of unrelated commands.
 */
export interface PluginManifest<S extends PluginSlot = PluginSlot, C = unknown> {
  /** Unique within the slot; what users write in the config (`runtime: tmux`). */
  name: string;
  slot: S;
  /** Semver of the plugin itself. */
  version: string;
  /** One line shown by `ao plugin ls`. */
  description?: string;
  /** Validates this plugin's config section; `z.object({})` when it takes none. */
  configSchema: z.ZodType<C, z.ZodTypeDef, unknown>;
  /**
   * Builds the plugin instance. Called lazily, after `configSchema` accepted the config.
   * May throw `AoError` (e.g. `TOOL_MISSING` when a required program is absent).
   */
  create(config: C, ctx: PluginContext): SlotInstances[S] | Promise<SlotInstances[S]>;
  /**
   * Optional. Called once by the ao daemon (`ao start`) as it starts, before it listens, for each
   * plugin the config uses (any project's slots, notifiers, `agents:`); never by other commands.
   * Adds the routes, WebSockets and background services the plugin needs in the daemon through
   * `daemon` (see `DaemonHost`), e.g. the process runtime's pty host at `/api/pty`, which its
   * instances in every ao process then reach with `daemonRequest`. `ctx` has no `project`.
   * May be async; a throw (an `AoError` with a code that says what to fix) stops the daemon from
   * starting, with the message shown to the user.
   */
  configureDaemon?(daemon: DaemonHost, ctx: PluginContext): void | Promise<void>;
}

/** Any plugin, whatever its slot or config. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPluginManifest = PluginManifest<PluginSlot, any>;

/**
 * Declares a plugin. Identity at runtime; it exists so the manifest is type-checked against its
 * slot's contract and its config type is inferred from `configSchema`.
 */
export function definePlugin<S extends PluginSlot, C>(manifest: PluginManifest<S, C>): PluginManifest<S, C> {
  return manifest;
}
