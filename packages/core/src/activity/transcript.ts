/**
 * Turning an agent's native transcript into an activity. Each agent plugin reads its own log
 * format into a `TurnState` (what the last meaningful record says); `decideFromTurn` then applies
 * the rules every transcript-based agent shares — the screen still wins for questions, a quiet log
 * ending in the agent's reply means the turn is over — so Claude Code and Codex judge alike.
 */
import type { ActivityProbe, ActivityReport } from '../contracts/agent.js';
import type { Logger } from '../contracts/plugin.js';
import { DEFAULT_STABLE_MS, WAITING_PATTERNS, clipDetail, matchScreen, type ScreenProfile } from './screen.js';

/**
 * The question a finished reply ends with, e.g. `Should I go ahead? (y/n)`: its last non-empty
 * line when that line asks (ends with `?`, or reads like `(y/n)`). A turn that ends on a question
 * waits for a person, though the agent sits at its prompt.
 */
export function closingQuestion(reply: string | undefined): string | undefined {
  const last = (reply ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .pop();
  if (!last) return undefined;
  return /\?["')\]]*$/.test(last) || WAITING_PATTERNS.some((p) => p.test(last)) ? last : undefined;
}

/** A log written to this recently (ms) means the agent is still at it. */
export const DEFAULT_ACTIVE_WINDOW_MS = 30_000;

/** What the last meaningful record of a transcript says about the current turn. */
export type TurnState =
  /** Mid-turn: a prompt or tool result went in, the model is working. */
  | { kind: 'working'; detail?: string }
  /** A tool call without its result yet: running, or waiting for approval on screen. */
  | { kind: 'tool'; detail?: string }
  /** The turn ended explicitly (end-of-turn marker, interrupted by the user); `reply`: its last text. */
  | { kind: 'ended'; detail?: string; reply?: string }
  /** The agent's reply is the last record but nothing marks the turn as over. */
  | { kind: 'replied'; detail?: string; reply?: string }
  /** The turn died on an API error, rate limit or expired login. */
  | { kind: 'failed'; detail?: string }
  /** The log itself says the agent asks the user something. */
  | { kind: 'asking'; detail?: string }
  /** Nothing decisive (only headers so far). */
  | { kind: 'unknown' };

export interface TurnDecisionInput {
  probe: ActivityProbe;
  turn: TurnState;
  /** When the transcript was last written (ms since epoch). */
  logMtimeMs: number;
  /** `source` of the report, e.g. `claude-jsonl`. */
  source: string;
  nativeSessionId?: string;
  /** The agent's screen patterns, for prompts the log doesn't record. */
  screen?: ScreenProfile;
  /** Default `DEFAULT_ACTIVE_WINDOW_MS`. */
  activeWindowMs?: number;
  /** Default `DEFAULT_STABLE_MS`. */
  stableMs?: number;
}

/**
 * Combines a transcript's turn state with the screen:
 * a question on screen → `waiting_input` (approval menus are never logged); a failed turn or a
 * quiet screen showing a limit/login error → `blocked`; an ended turn → `idle`; a bare reply →
 * `idle` once the log has been quiet for `activeWindowMs` or the screen sits quietly at the prompt,
 * else `active`; work or a pending tool → `active`. `unknown` returns undefined: use the screen.
 */
export function decideFromTurn(input: TurnDecisionInput): ActivityReport | undefined {
  const { probe, turn, source } = input;
  const base = input.nativeSessionId !== undefined ? { source, nativeSessionId: input.nativeSessionId } : { source };
  const report = (activity: ActivityReport['activity'], detail?: string): ActivityReport =>
    detail !== undefined ? { activity, ...base, detail } : { activity, ...base };
  if (!probe.alive) return report('exited', 'process ended');
  if (turn.kind === 'unknown') return undefined;

  const screenQuiet =
    probe.screen !== undefined && (probe.msSinceScreenChange ?? Number.POSITIVE_INFINITY) >= (input.stableMs ?? DEFAULT_STABLE_MS);
  const seen = probe.screen !== undefined ? matchScreen(probe.screen, input.screen) : undefined;
  if (seen?.waiting !== undefined) return report('waiting_input', `asks: ${clipDetail(seen.waiting)}`);
  if (turn.kind === 'asking') return report('waiting_input', turn.detail);
  if (turn.kind === 'failed') return report('blocked', turn.detail);
  if (screenQuiet && seen?.blocked !== undefined) return report('blocked', clipDetail(seen.blocked));
  const asks = turn.kind === 'ended' || turn.kind === 'replied' ? closingQuestion(turn.reply) : undefined;
  if (turn.kind === 'ended') return asks ? report('waiting_input', `asks: ${clipDetail(asks)}`) : report('idle', turn.detail);
  if (turn.kind === 'replied') {
    const logQuiet = probe.now - input.logMtimeMs >= (input.activeWindowMs ?? DEFAULT_ACTIVE_WINDOW_MS);
    if (logQuiet || (screenQuiet && seen?.atPrompt === true && seen.busy === undefined)) return asks ? report('waiting_input', `asks: ${clipDetail(asks)}`) : report('idle', turn.detail);
    return report('active', turn.detail);
  }
  return report('active', turn.detail);
}

/**
 * The frame of every `detectActivity`: `exited` when the process is gone (with the conversation id
 * the native log names, which restore asks for); otherwise the native
 * judgement, and when that has no answer or fails (unreadable log, unknown format) the screen.
 * Never throws, as the `Agent` contract requires.
 */
export async function detectWithFallback(
  probe: ActivityProbe,
  native: () => Promise<ActivityReport | undefined>,
  fallback: () => ActivityReport,
  logger?: Logger,
): Promise<ActivityReport> {
  if (!probe.alive) {
    // Gone, but its log still names its conversation: restore resumes it (no poll may have recorded it).
    const id = (await native().catch(() => undefined))?.nativeSessionId;
    return { activity: 'exited', source: 'runtime', detail: 'process ended', ...(id ? { nativeSessionId: id } : {}) };
  }
  try {
    const report = await native();
    if (report) return report;
  } catch (error) {
    logger?.debug({ err: error instanceof Error ? error.message : String(error) }, 'native activity log unreadable; using the screen');
  }
  return fallback();
}

/** `value` as a plain object, for walking parsed JSON without casts. */
export function asJsonObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `obj[key]` when it is a string. */
export function jsonString(obj: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = obj?.[key];
  return typeof v === 'string' ? v : undefined;
}
