/**
 * Screen heuristics: what an agent is doing, judged from the text a runtime captured of its
 * terminal. Every agent plugin falls back to this when it has no native log, so the patterns
 * here are the ones common to most CLIs; a plugin adds its own through a `ScreenProfile`.
 *
 * Pure functions: no I/O, no clock. The caller tracks how long the screen has been unchanged.
 */
import type { ActivityProbe, ActivityReport, AgentMenu } from '../contracts/agent.js';

/** How long a screen must stay unchanged before a quiet agent counts as idle or blocked. */
export const DEFAULT_STABLE_MS = 5_000;

/** How many of the last non-blank lines are searched for questions, errors and busy markers. */
const TAIL_LINES = 15;

/**
 * Questions that wait for a human, as CLIs commonly ask them: `(y/n)`, `[Y/n]`, Claude Code's
 * `Do you want to proceed?` menu with `❯ 1. Yes`, Codex's `Would you like to run…`, aider's
 * `(Y)es/(N)o`, `Press Enter to continue`, `Allow …?`.
 */
export const WAITING_PATTERNS: readonly RegExp[] = [
  /\((?:y|yes)\/(?:n|no)\)/i,
  /\[(?:y\/n|yes\/no)\]/i,
  /\(Y\)es\/\(N\)o/i,
  /\bDo you want to (?:proceed|continue|make this edit|create|allow|run)\b[^\n]*\?/i,
  /\bWould you like to (?:run|make|apply|proceed)\b[^\n]*\?/i,
  /^\s*[❯›>]\s*1\.\s*Yes\b/m,
  /\bPress Enter\b/i,
  /^\s*(?:[│|]\s*)?Allow\b[^\n]*\?\s*(?:[│|]\s*)?$/im,
  /\bPermission required\b/i,
  /\bAllow once\b/i,
];

/** Conditions the agent cannot get past by itself: rate and usage limits, missing login or key. */
export const BLOCKED_PATTERNS: readonly RegExp[] = [
  /\brate[ _-]?limit(?:ed|s)?\b|\bRateLimitError\b/i,
  /\busage limit\b|\bhit your (?:usage|session) limit\b/i,
  /\bquota exceeded\b|\binsufficient_quota\b/i,
  /\bcredit balance is too low\b/i,
  /Please run \/login\b|\bnot logged in\b|\bOAuth token has expired\b/i,
  /\binvalid (?:x-)?api[ _-]?key\b|\bAPI key\b[^\n]*\b(?:invalid|missing|not (?:set|found|valid))\b|\b(?:missing|no) API key\b/i,
  /\bAuthenticationError\b|\bauthentication_error\b|\b401 Unauthorized\b/i,
];

/**
 * Signs of work in progress: a braille spinner frame standing alone (`⠋ Thinking`; a run of braille
 * characters is art, such as the logo Codex 0.171 draws on its start screen, which read as busy for
 * as long as it showed) and the "esc to interrupt" hint of TUIs.
 */
export const BUSY_PATTERNS: readonly RegExp[] = [/(?<![\u2800-\u28ff])[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏](?![\u2800-\u28ff])/u, /\besc (?:to )?interrupt\b/i];

/** What one agent CLI adds to the common patterns. */
export interface ScreenProfile {
  /**
   * The agent's own input prompt, searched in the last `idleLines` non-blank lines. When none is
   * given, any screen that stays unchanged (and shows no busy marker) counts as idle.
   */
  idle?: readonly RegExp[];
  /** How many of the last non-blank lines may hold the idle prompt (a TUI's footer sits below it). Default 1. */
  idleLines?: number;
  /** Extra questions, checked before the common `WAITING_PATTERNS`. */
  waiting?: readonly RegExp[];
  /** Extra blocking errors, checked before the common `BLOCKED_PATTERNS`. */
  blocked?: readonly RegExp[];
  /** Extra busy markers, checked before the common `BUSY_PATTERNS`. */
  busy?: readonly RegExp[];
  /**
   * The CLI's own menu reader (the agent plugin's `readMenu`): a menu on screen is a question
   * whatever else shows, since the screen is its and nothing below it can be newer.
   */
  menu?: (screen: string) => AgentMenu | undefined;
}

/** What was recognised on a screen; each string is the line that matched, for `detail`. */
export interface ScreenMatch {
  waiting?: string;
  blocked?: string;
  busy?: string;
  /** The last lines show the agent's idle prompt (always false when the profile has none). */
  atPrompt: boolean;
}

// CSI/OSC sequences and other escapes, in case a runtime captured colours.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/** The screen's lines without escape sequences and trailing blanks, blank lines kept (where a TUI's layout is in them). */
export function screenLines(screen: string): string[] {
  return screen
    .replace(ANSI, '')
    .replace(/\r/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''));
}

/** The screen's text without escape sequences, its last `count` non-blank lines. */
export function lastScreenLines(screen: string, count: number): string[] {
  const lines = screenLines(screen);
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < count; i--) {
    const line = lines[i] ?? '';
    if (line.trim() !== '') out.unshift(line);
  }
  return out;
}

/** The bottom-most line of `lines` that one of `patterns` matches (patterns are per line). */
function lastMatch(lines: readonly string[], patterns: readonly RegExp[]): { index: number; line: string } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (patterns.some((p) => p.test(line))) return { index: i, line: line.trim() };
  }
  return undefined;
}

/**
 * Recognises questions, blocking errors, busy markers and the idle prompt near the bottom of
 * `screen`. Of a question, an error and the prompt, only the lowest on screen counts: a question
 * already answered, or an error the agent got past, stays visible above whatever came next.
 */
export function matchScreen(screen: string, profile: ScreenProfile = {}): ScreenMatch {
  const menu = profile.menu?.(screen);
  if (menu) {
    const options = menu.options.map((o) => `${o.number}. ${o.label}`).join(' · ');
    return { atPrompt: false, waiting: `${menu.prompt ? `${menu.prompt} ` : ''}(${options})` };
  }
  const tail = lastScreenLines(screen, TAIL_LINES);
  const idle = profile.idle ?? [];
  const prompt = idle.length > 0 ? lastMatch(tail, idle) : undefined;
  const promptAt = prompt && prompt.index >= tail.length - (profile.idleLines ?? 1) ? prompt.index : -1;
  const waiting = lastMatch(tail, [...(profile.waiting ?? []), ...WAITING_PATTERNS]);
  // Errors are only looked for at the very bottom: an agent writing a rate limiter prints "rate
  // limit" all over its screen while it works.
  const blockedMatch = lastMatch(tail, [...(profile.blocked ?? []), ...BLOCKED_PATTERNS]);
  const blocked = blockedMatch && blockedMatch.index >= tail.length - 6 ? blockedMatch : undefined;
  const waitingAt = waiting?.index ?? -1;
  const blockedAt = blocked?.index ?? -1;
  // On one line, a question beats an error ("Rate limited. Retry? (y/n)") and both beat the prompt.
  const match: ScreenMatch = { atPrompt: promptAt >= 0 && promptAt > Math.max(waitingAt, blockedAt) };
  if (waiting && waitingAt >= Math.max(promptAt, blockedAt)) match.waiting = waiting.line;
  if (blocked && blockedAt > waitingAt && blockedAt >= promptAt) match.blocked = blocked.line;
  const busy = lastMatch(tail, [...(profile.busy ?? []), ...BUSY_PATTERNS]);
  if (busy) match.busy = busy.line;
  return match;
}

export interface ScreenDetectOptions {
  /** Unchanged this long (ms) = quiet. Default `DEFAULT_STABLE_MS`. */
  stableMs?: number;
  /** `source` of the report. Default `screen`. */
  source?: string;
}

/** A short one-line `detail` from a matched line. */
export function clipDetail(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * Decides the activity from the screen alone:
 * not alive → `exited`; a question near the bottom → `waiting_input`; a quiet screen ending in a
 * rate-limit/login/API-key error → `blocked`; a busy marker or a changing screen → `active`; a
 * quiet screen at the idle prompt (or, for profiles without one, any quiet screen) → `idle`.
 * Without a screen the answer is `active`: nothing says the agent stopped.
 */
export function detectScreenActivity(
  probe: Pick<ActivityProbe, 'alive' | 'screen' | 'msSinceScreenChange'>,
  profile: ScreenProfile = {},
  options: ScreenDetectOptions = {},
): ActivityReport {
  const source = options.source ?? 'screen';
  if (!probe.alive) return { activity: 'exited', source, detail: 'process ended' };
  if (probe.screen === undefined) return { activity: 'active', source: 'none', detail: 'no screen or log to judge from' };
  const stableMs = options.stableMs ?? DEFAULT_STABLE_MS;
  // Unknown age: judge by content only, as if quiet.
  const quiet = (probe.msSinceScreenChange ?? Number.POSITIVE_INFINITY) >= stableMs;
  const m = matchScreen(probe.screen, profile);
  if (m.waiting !== undefined) return { activity: 'waiting_input', source, detail: `asks: ${clipDetail(m.waiting)}` };
  if (quiet && m.blocked !== undefined) return { activity: 'blocked', source, detail: clipDetail(m.blocked) };
  if (m.busy !== undefined) return { activity: 'active', source, detail: `busy: ${clipDetail(m.busy)}` };
  if (!quiet) return { activity: 'active', source, detail: 'screen is changing' };
  const hasPrompt = (profile.idle ?? []).length > 0;
  if (m.atPrompt || !hasPrompt) return { activity: 'idle', source, detail: hasPrompt ? 'at its prompt' : 'screen unchanged' };
  return { activity: 'active', source, detail: 'quiet, not at its prompt' };
}
