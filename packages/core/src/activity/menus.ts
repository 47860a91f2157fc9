/**
 * Menus on an agent's screen: reading the numbered menus most CLIs draw, matching a person's
 * answer ("3", "n", "Reject", "no") to one option, and the bytes a terminal sends for a key.
 *
 * Why this exists: the agent TUIs ignore pasted text inside their menus, so a pasted answer
 * followed by Enter confirms whatever option is highlighted — usually "Yes". An answer must
 * become the keys that select the option it names, or be refused.
 *
 * Pure functions: no I/O.
 */
import type { AgentMenu, KeyName, MenuOption } from '../contracts/agent.js';
import { AoError } from '../errors.js';
import { lastScreenLines } from './screen.js';

/** The bytes a terminal sends for each named key. */
export const KEY_BYTES: Readonly<Record<KeyName, string>> = {
  Enter: '\r',
  Escape: '\u001b',
  Tab: '\t',
  Space: ' ',
  Backspace: '\u007f',
  Up: '\u001b[A',
  Down: '\u001b[B',
  Right: '\u001b[C',
  Left: '\u001b[D',
  'C-c': '\u0003',
};

const KEY_ALIASES: Readonly<Record<string, KeyName>> = {
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  tab: 'Tab',
  space: 'Space',
  backspace: 'Backspace',
  bspace: 'Backspace',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  'c-c': 'C-c',
  'ctrl-c': 'C-c',
};

/** The names `ao send --keys` accepts, for help and error messages. */
export const KEY_NAMES: readonly string[] = Object.keys(KEY_BYTES);

/**
 * The bytes for one key: a `KeyName` (case-insensitive, `esc` and `ctrl-c` too) or a single
 * printable character. Throws `USAGE` for anything else: a word is not a key.
 */
export function keyBytes(key: string): string {
  const named = KEY_ALIASES[key.toLowerCase()];
  if (named) return KEY_BYTES[named];
  if ([...key].length === 1 && !/[\u0000-\u001f\u007f]/.test(key)) return key;
  throw new AoError('USAGE', `"${key}" is not a key: give single characters or key names (${KEY_NAMES.join(', ')})`);
}

/** A menu's options as one line, `1. Yes · 2. No (esc)`, for messages. */
export function describeOptions(menu: AgentMenu): string {
  return menu.options.map((o) => `${o.number}. ${o.label}${o.shortcut ? ` (${o.shortcut})` : ''}`).join(' · ');
}

const YES_WORDS = new Set(['y', 'yes', 'allow', 'approve', 'accept', 'ok', 'trust']);
const NO_WORDS = new Set(['n', 'no', 'deny', 'reject', 'decline', 'refuse']);
const YES_LABELS = new Set(['yes', 'allow', 'approve', 'accept', 'trust']);
const NO_LABELS = new Set(['no', 'deny', 'reject', 'decline']);

const normalise = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[.!?,;:]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
/** The label without a trailing parenthesis, `No (recommended)` → `no`. */
const bareLabel = (label: string): string => normalise(label.replace(/\s*\([^)]*\)\s*$/, ''));
const firstWord = (label: string): string => normalise(label).split(/[\s,]/)[0] ?? '';

/**
 * The option `answer` names, or `undefined`. In order: its number; its shortcut; its label
 * (with or without a trailing parenthesis, case-insensitive); a yes/no word (`y`, `no`, `deny`…)
 * for the first option whose label begins with one; the only label that begins with `answer`.
 */
export function matchMenuAnswer(menu: AgentMenu, answer: string): MenuOption | undefined {
  const a = normalise(answer);
  if (a === '') return undefined;
  if (/^\d+$/.test(a)) return menu.options.find((o) => o.number === Number(a));
  const byShortcut = menu.options.find((o) => o.shortcut !== undefined && o.shortcut === a);
  if (byShortcut) return byShortcut;
  const byLabel = menu.options.find((o) => normalise(o.label) === a || bareLabel(o.label) === a);
  if (byLabel) return byLabel;
  if (YES_WORDS.has(a)) return menu.options.find((o) => YES_LABELS.has(firstWord(o.label)));
  if (NO_WORDS.has(a)) return menu.options.find((o) => NO_LABELS.has(firstWord(o.label)));
  const byPrefix = a.length >= 2 ? menu.options.filter((o) => normalise(o.label).startsWith(a)) : [];
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/**
 * The option `answer` names; throws `ANSWER_NOT_IN_MENU` listing the options when it names none,
 * so a mistyped answer is never turned into Enter on the highlighted default.
 */
export function resolveMenuAnswer(menu: AgentMenu, answer: string, sessionId = 'the session'): MenuOption {
  const option = matchMenuAnswer(menu, answer);
  if (option) return option;
  const keysHint = sessionId === 'the session' ? '`ao send <id> --keys …`' : `\`ao send ${sessionId} --keys …\``;
  throw new AoError(
    'ANSWER_NOT_IN_MENU',
    `${sessionId} is waiting on a menu (${menu.prompt || menu.kind}) and "${answer.trim()}" is none of its options: ${describeOptions(menu)}. Answer with a number, a shortcut or a label, or send raw keys with ${keysHint}. Nothing was sent.`,
    { details: { menu } },
  );
}

export interface NumberedMenuOptions {
  /** The cursor characters the CLI draws before the highlighted option, e.g. `❯` or `›`. */
  cursor?: string;
  /** A line that must appear below the options (the menu's key hints), e.g. `/Esc to cancel/`. */
  footer?: RegExp;
  /** How many non-blank lines may follow the last option. Default 6. */
  maxTrailing?: number;
  /** How many of the last non-blank lines are searched. Default 40. */
  tailLines?: number;
}

/** `❯ 1. Yes`, `  2. Blue`, `┃  3. Type your own answer`, `› 1. Yes, proceed (y)`. */
const OPTION_LINE = /^\s*(?:[│┃|]\s*)?(?:([❯›>▶])\s*)?(\d{1,2})\.\s+(\S.*?)\s*(?:[│┃|]\s*)?$/;
const SHORTCUT = /\s+\((esc|[a-z0-9])\)$/i;

/**
 * Reads a numbered menu (options `1.` … `n.` in order, with description lines allowed between
 * them) near the bottom of `screen`. It counts only when the CLI's own marks are there: the
 * `cursor` on one of its options, or the `footer` below them; a numbered list in the agent's
 * reply has neither. The prompt is the nearest line above the options that ends with `?` (or the
 * nearest non-empty one).
 */
export function readNumberedMenu(screen: string, kind: AgentMenu['kind'], options: NumberedMenuOptions = {}): AgentMenu | undefined {
  const lines = lastScreenLines(screen, options.tailLines ?? 40);
  // The last option block: scan up from the bottom for the option numbered 1 whose run reaches here.
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (OPTION_LINE.test(lines[i] ?? '')) {
      end = i;
      break;
    }
  }
  if (end < 0 || lines.length - 1 - end > (options.maxTrailing ?? 6)) return undefined;
  const found: { index: number; number: number; label: string; cursor: boolean }[] = [];
  for (let i = end; i >= 0; i--) {
    const m = OPTION_LINE.exec(lines[i] ?? '');
    if (!m) continue;
    const number = Number(m[2]);
    const expected = found.length === 0 ? undefined : (found[0]?.number ?? 0) - 1;
    if (expected !== undefined && number !== expected) break;
    found.unshift({ index: i, number, label: m[3] ?? '', cursor: m[1] !== undefined && (options.cursor ?? '').includes(m[1]) });
    if (number === 1) break;
  }
  if (found.length < 2 || found[0]?.number !== 1) return undefined;
  const trailing = lines.slice(end + 1);
  const marked = found.some((o) => o.cursor) || (options.footer !== undefined && trailing.some((l) => options.footer?.test(l)));
  if (!marked) return undefined;
  const first = found[0]?.index ?? 0;
  const above = lines
    .slice(Math.max(0, first - 8), first)
    .map((l) => l.replace(/^\s*[│┃|]\s?/, '').trim())
    .filter((l) => l !== '');
  const prompt = [...above].reverse().find((l) => l.endsWith('?')) ?? above[above.length - 1] ?? '';
  return {
    kind,
    prompt,
    options: found.map((o) => {
      const shortcut = SHORTCUT.exec(o.label);
      const option: MenuOption = { number: o.number, label: shortcut ? o.label.slice(0, shortcut.index) : o.label };
      if (shortcut?.[1]) option.shortcut = shortcut[1].toLowerCase();
      return option;
    }),
  };
}
