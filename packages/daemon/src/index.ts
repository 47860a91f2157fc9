/**
 * @ao/daemon: the host. One long-running process per data dir that serves the API and what is
 * mounted on it (plugins' routes and services, the dashboard), runs the lifecycle loop and the
 * orchestrator session, and streams session events. The CLI starts it (`ao start --foreground`
 * calls `runDaemon`) and talks to it through `@ao/daemon/client`; the daemon never imports the CLI.
 */
export { runDaemon, type DaemonContext, type DaemonMount, type RunDaemonOptions } from './run.js';
export { createEventHub, type EventHub, type SessionEventMessage } from './events.js';
export type { RouteHandler } from './server.js';
export type { OrchestratorState } from './orchestrator.js';
