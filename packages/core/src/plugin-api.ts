// `@ao/core/plugin`: the API a plugin may use, and nothing of the host. Plugins (built-in and external)
// import from here only; the root `@ao/core` is the host's (config, registry, sessions, lifecycle,
// daemon), which a plugin reaches through its `ctx` or not at all. packages/cli/test/architecture.test.ts
// checks that no plugin source imports the root. A name joins this list when plugins are meant to use it.

// Contracts: one per slot, the manifest, and what the host hands a plugin (`PluginContext`, `DaemonHost`).
export {
  ACTIVITIES,
  PLUGIN_SLOTS,
  neutralizePasteMarkers,
  type Activity,
  type ActivityProbe,
  type ActivityReport,
  type Agent,
  type AgentLaunch,
  type AgentLaunchInput,
  type AgentLogProbe,
  type AgentMenu,
  type AnyPluginManifest,
  type AoPaths,
  type AttachPlan,
  type AttachTarget,
  type CiState,
  type CiStatus,
  type Clock,
  type DaemonHost,
  type DaemonRouteHandler,
  type DaemonUpgradeHandler,
  type DeliveryStatus,
  type Exec,
  type ExecOptions,
  type ExecResult,
  type Issue,
  type IssueFilter,
  type KeyName,
  type LineComment,
  type LogCursor,
  type Logger,
  type McpServerSpec,
  type MenuOption,
  type Mergeability,
  type NewIssue,
  type Notification,
  type Notifier,
  type OpenPullRequestInput,
  type OwnedTerminal,
  type PluginContext,
  type PluginManifest,
  type PluginSlot,
  type ProjectInfo,
  type PromptDelivery,
  type PullRequest,
  type PullRequestStatus,
  type ReviewComment,
  type ReviewDecision,
  type ReviewInput,
  type ReviewState,
  type Runtime,
  type RuntimeCheck,
  type RuntimeCleanupResult,
  type RuntimeHandle,
  type RuntimeStartOptions,
  type Scm,
  type SendTextOptions,
  type SlotInstances,
  type Terminal,
  type TerminalConnection,
  type TerminalOpenOptions,
  type TokenCounts,
  type TraceEntry,
  type TraceProbe,
  type TraceReading,
  type Tracker,
  type UsageProbe,
  type UsageReading,
  type Workspace,
  type WorkspaceCreateOptions,
  type WorkspaceInfo,
  type WorkspaceRecreateOptions,
  type WorkspaceState,
} from './contracts/index.js';

// Definition: `export default definePlugin({ name, slot, version, configSchema, create })`, with the
// `z` the host validates with (core bundles zod: one copy for the host and every plugin).
export { definePlugin } from './contracts/index.js';
export { z } from 'zod';

// Errors: throw `AoError` with a stable code (docs/errors.md); `isAoError` to judge a caught one.
export { AoError, ErrorCodes, describeError, isAoError, type AoErrorOptions, type ErrorCode } from './errors.js';

// Context: the host builds each plugin's `ctx`; tests build one with these (in plugin code use
// `ctx.exec`, `ctx.clock`, `ctx.paths`, `ctx.logger`, not the defaults below).
export { createPluginContext, type PluginContextOptions } from './context.js';
export { resolvePaths } from './paths.js';
export { systemClock } from './clock.js';
export { silentLogger } from './logging.js';
export { exec, whichSync } from './exec.js';

// Helpers, files: the one lock, the one id reservation, atomic writes and JSON records, private dirs.
export { reserveNextNumber, withFileLock, type FileLockOptions } from './sessions/lock.js';
export {
  writeFileAtomic,
  writeFileAtomicSync,
  readJsonRecord,
  writeJsonRecord,
  mkdirPrivate,
  mkdirPrivateSync,
  ensureDataDirSync,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
} from './sessions/fs-atomic.js';

// Helpers, processes: liveness of a recorded pid (and whether it is still the same process).
export { pidAlive, processStartTime } from './process.js';

// Helpers, runtimes: the launch script an agent runs in, a pty for `openTerminal`, optional native modules,
// and the crash points durability tests stop at.
export { LAUNCH_SHELL, launchScript, shQuote } from './launch-script.js';
export { openPtyTerminal, optionalModule, type PtyModule } from './pty-terminal.js';
export { crashPoint } from './crash-point.js';

// Helpers, agents: activity from transcripts (JSONL) and from the screen, and numbered menus.
export {
  asJsonObject,
  clipDetail,
  decideFromTurn,
  detectScreenActivity,
  detectWithFallback,
  findNewestFile,
  jsonString,
  lastScreenLines,
  listRecentFiles,
  screenLines,
  readFirstJsonLine,
  readJsonlFrom,
  readJsonlTail,
  readNumberedMenu,
  resolveMenuAnswer,
  type RecentFile,
  type ScreenProfile,
  type TurnState,
} from './activity/index.js';

// Helpers, workspaces and scm: the one git helper, and the checks that refuse to lose work.
export {
  REGENERABLE_DIRS,
  asWorkspaceError,
  assertNothingLost,
  assertWorkspaceCreatable,
  git,
  gitAheadCount,
  gitBranchExists,
  gitDeleteBranchIfMerged,
  gitIgnoredLosable,
  gitLosableChanges,
  gitRecordIgnoredBaseline,
  gitStatus,
  gitTry,
  gitUnmergedCount,
  gitWorktreeAdd,
  gitWorktreeCheckout,
  gitWorktreeList,
  gitWorktreePrune,
  gitWorktreeRemove,
  prepareWorkspace,
  removeQuietly,
} from './git.js';
export { DEFAULT_CI_REPORT_CHARS, ciFailureReport } from './ci/failures.js';

// Helpers, trackers: branch names for an issue, and YAML documents that keep a user's comments.
export { MAX_BRANCH_LENGTH, branchNameForIssue, slugify } from './sessions/naming.js';
export { Document, isSeq, parseDocument } from './yaml.js';

// Helpers, HTTP: outgoing requests (notifiers), and the router for `configureDaemon` routes.
export { HttpUrlSchema, postJson } from './http.js';
export { createRouter, route, type Router } from './http-router.js';

// The running daemon, for plugins that call their own `configureDaemon` routes (runtime-process) or
// link to the dashboard (terminal-web). Host knowledge: a candidate for `ctx`, kept here until then.
export { daemonRequest, readDaemonInfo } from './daemon-client.js';
