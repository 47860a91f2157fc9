/**
 * Every error ao raises on purpose is an `AoError` with a stable `code`.
 * The message says what went wrong and what to do next; the CLI prints it as is.
 * Codes are part of the public API: scripts and plugins may switch on them.
 */
export const ErrorCodes = {
  CONFIG_NOT_FOUND: 'CONFIG_NOT_FOUND',
  CONFIG_PARSE: 'CONFIG_PARSE',
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_EXISTS: 'CONFIG_EXISTS',
  ENV_VAR_UNSET: 'ENV_VAR_UNSET',
  PLUGIN_NOT_FOUND: 'PLUGIN_NOT_FOUND',
  PLUGIN_INVALID: 'PLUGIN_INVALID',
  PLUGIN_LOAD_FAILED: 'PLUGIN_LOAD_FAILED',
  PLUGIN_CONFIG_INVALID: 'PLUGIN_CONFIG_INVALID',
  PROJECT_NOT_FOUND: 'PROJECT_NOT_FOUND',
  NOT_A_GIT_REPO: 'NOT_A_GIT_REPO',
  TOOL_MISSING: 'TOOL_MISSING',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  SESSION_CORRUPT: 'SESSION_CORRUPT',
  SESSION_BUSY: 'SESSION_BUSY',
  SESSION_STATE: 'SESSION_STATE',
  SESSION_LIMIT: 'SESSION_LIMIT',
  ANSWER_NOT_IN_MENU: 'ANSWER_NOT_IN_MENU',
  QUEUE_FULL: 'QUEUE_FULL',
  PLAN_INVALID: 'PLAN_INVALID',
  PLAN_NOT_FOUND: 'PLAN_NOT_FOUND',
  PLAN_STATE: 'PLAN_STATE',
  ISSUE_NOT_FOUND: 'ISSUE_NOT_FOUND',
  ISSUE_CORRUPT: 'ISSUE_CORRUPT',
  TEMPLATE_INVALID: 'TEMPLATE_INVALID',
  WORKSPACE_FAILED: 'WORKSPACE_FAILED',
  WORKSPACE_DIRTY: 'WORKSPACE_DIRTY',
  BRANCH_EXISTS: 'BRANCH_EXISTS',
  RUNTIME_FAILED: 'RUNTIME_FAILED',
  RUNTIME_NOT_FOUND: 'RUNTIME_NOT_FOUND',
  RUNTIME_STATE: 'RUNTIME_STATE',
  HOST_UNREACHABLE: 'HOST_UNREACHABLE',
  HOST_KEY_UNKNOWN: 'HOST_KEY_UNKNOWN',
  HOST_AUTH_FAILED: 'HOST_AUTH_FAILED',
  PR_NOT_FOUND: 'PR_NOT_FOUND',
  PR_STATE: 'PR_STATE',
  PR_CORRUPT: 'PR_CORRUPT',
  MERGE_CONFLICT: 'MERGE_CONFLICT',
  SCM_FAILED: 'SCM_FAILED',
  GITHUB_AUTH: 'GITHUB_AUTH',
  GITHUB_NOT_FOUND: 'GITHUB_NOT_FOUND',
  GITHUB_RATE_LIMITED: 'GITHUB_RATE_LIMITED',
  GITHUB_FAILED: 'GITHUB_FAILED',
  AGENT_FAILED: 'AGENT_FAILED',
  NOTIFY_FAILED: 'NOTIFY_FAILED',
  EXEC_FAILED: 'EXEC_FAILED',
  LOCK_TIMEOUT: 'LOCK_TIMEOUT',
  DISK_FULL: 'DISK_FULL',
  USAGE: 'USAGE',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  DAEMON_UNAVAILABLE: 'DAEMON_UNAVAILABLE',
  DAEMON_FAILED: 'DAEMON_FAILED',
  DAEMON_RUNNING: 'DAEMON_RUNNING',
  APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND',
  APPROVAL_STATE: 'APPROVAL_STATE',
  CREW_NOT_FOUND: 'CREW_NOT_FOUND',
  CREW_EXISTS: 'CREW_EXISTS',
  CREW_CORRUPT: 'CREW_CORRUPT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface AoErrorOptions {
  /** The lower-level error that caused this one; shown with `--verbose`. */
  cause?: unknown;
  /** Structured facts about the failure (file, key path, plugin name…), for logs and `--json`. */
  details?: Record<string, unknown>;
  /** Exit code the CLI should use; 1 unless this is a usage error (2). */
  exitCode?: number;
}

export class AoError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: AoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AoError';
    this.code = code;
    this.details = options.details ?? {};
    this.exitCode = options.exitCode ?? (code === 'USAGE' ? 2 : 1);
  }
}

/** True for an `AoError`, also one thrown by a second copy of `@ao/core` (external plugins). */
export function isAoError(error: unknown): error is AoError {
  return (
    error instanceof AoError ||
    (error instanceof Error && error.name === 'AoError' && typeof (error as AoError).code === 'string')
  );
}

/** A one-line description of any thrown value, for wrapping foreign errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
