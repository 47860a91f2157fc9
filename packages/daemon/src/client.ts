/**
 * @ao/daemon/client: what a command needs to start, stop, find and nudge the daemon, without
 * loading the server. Kept apart from the package's entry so that `ao send` and friends stay light.
 */
export { notifyDaemon, waitForOrchestrator } from './notify.js';
export { spawnDaemon, stopDaemon, waitForExit, healthy, logTail, type SpawnDaemonOptions, type StopResult } from './process.js';
export { daemonState, removeStaleDaemonInfo } from './files.js';
export { isLoopback } from './server.js';
export type { OrchestratorState } from './orchestrator.js';
/** How an agent starts ao's own MCP server (`ao mcp`); `ao mcp` gives the workers it spawns `--worker`. */
export { aoMcpServer, aoWorkerMcpServers } from './orchestrator.js';
