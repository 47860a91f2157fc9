/**
 * Delivering text to an agent: the one path `ao send`, the API, the dashboard, reactions and the
 * initial prompt all take, whichever runtime the session uses.
 *
 * Every delivery holds the session's delivery lock (`<id>.delivery.lock`, the same file lock as
 * the session store) from paste to submit, so deliveries from any number of processes reach the
 * agent one whole submission at a time: without it, two pastes followed by two Enters arrive as
 * one glued submission and one empty one.
 *
 * Every delivery is logged twice, keyed by a delivery id: `message.sending` (the intent, before
 * anything is pasted) and `message.sent` (after the paste and submit). An intent without its
 * `message.sent` means the sender died in between; `settleDelivery` finds out what happened.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Agent } from '../contracts/agent.js';
import type { Clock } from '../contracts/plugin.js';
import type { DeliveryStatus, Runtime, RuntimeHandle } from '../contracts/runtime.js';
import { systemClock } from '../clock.js';
import { crashPoint } from '../crash-point.js';
import { withFileLock } from './lock.js';
import type { Session } from './schema.js';
import type { SessionStore } from './store.js';
import { planMenuAnswer, sendKeys, type MenuPolicy } from './answer.js';

/**
 * Waiting for the lock: deliveries queue one short paste at a time, but 20 senders on a busy
 * machine can wait seconds; a holder that died is detected by its pid at once.
 */
const DELIVERY_LOCK_TIMEOUT_MS = 60_000;

export interface DeliverOptions {
  /** The id to log the delivery under (reactions choose it first); default: a new one. */
  deliveryId?: string;
  /** Extra fields for the `message.sent` event (e.g. `initial: true`). */
  data?: Record<string, unknown>;
  /** Called once the runtime has pasted and submitted the text, before it is recorded. */
  onDelivered?: () => void;
  /**
   * When the agent may show a menu: the text then answers it (selects the option it names with the
   * agent's `readMenu` and `menuKeys`, or is refused) or, for reactions, is refused. See
   * `answer.ts`. Without it the text is always pasted.
   */
  menu?: MenuPolicy;
  /**
   * The agent the text is for: its menu reading (with `menu`), its `submitDelayMs` (a pause between
   * paste and Enter) and its `readInput`, with which the submission is confirmed (see `confirmSubmitted`).
   */
  agent?: Pick<Agent, 'submitDelayMs' | 'readInput' | 'readMenu' | 'menuKeys'>;
  /** For the confirmation's waits; default the system clock. */
  clock?: Clock;
}

/** A new delivery id: 16 hex characters (safe in tmux buffer and option names). */
export function newDeliveryId(): string {
  return randomBytes(8).toString('hex');
}

/** The lock file every delivery to `session` holds around paste and submit. */
export function deliveryLockPath(store: SessionStore, session: Pick<Session, 'project' | 'id'>): string {
  return join(dirname(store.files(session.project, session.id).lock), `${session.id}.delivery.lock`);
}

/** Logs the intent, pastes `text` into the agent as one submission, logs `message.sent`; all under the delivery lock. */
export async function deliver(
  store: SessionStore,
  session: Session,
  runtime: Runtime,
  handle: RuntimeHandle,
  text: string,
  options: DeliverOptions = {},
): Promise<Session> {
  const deliveryId = options.deliveryId ?? newDeliveryId();
  const { project, id } = session;
  return withFileLock(
    deliveryLockPath(store, session),
    async () => {
      const { agent } = options;
      const reads = agent?.readInput ? (agent as ReadsInput) : undefined;
      const answersMenus = options.menu !== undefined && agent?.readMenu !== undefined && agent.menuKeys !== undefined;
      // The screen, read once under the lock: no other delivery can change the menu before the
      // answer's last key, or type into the input box before the paste.
      const screen = answersMenus || reads ? await runtime.capture(handle, { lines: 0 }).catch(() => undefined) : undefined;
      const answer = answersMenus && agent && options.menu ? planMenuAnswer(agent, screen, text, options.menu) : undefined;
      const answered = answer ? { answer: answer.option.label, option: answer.option.number, keys: answer.keys } : {};
      // The agent it is meant for: a delivery cut short is only checked against that very agent.
      const intent = { deliveryId, handle: handle.id, startedAt: session.startedAt, chars: text.length, ...answered };
      await store.append(project, id, [{ type: 'message.sending', key: `sending:${deliveryId}`, data: intent }]);
      crashPoint('message.sending');
      const submitDelayMs = agent?.submitDelayMs;
      const paste = () => runtime.sendText(handle, text, { submit: true, bracketedPaste: true, deliveryId, ...(submitDelayMs ? { submitDelayMs } : {}) });
      // The screen before the paste, when the submission is confirmed against it: the agent reads
      // its input box, and the box did not hold the message yet (a menu answer is keys, not a message).
      let confirmFrom: string | undefined;
      if (answer) {
        await sendKeys(runtime, handle, answer.keys);
      } else {
        // A box that already held the text (typed there by hand) cannot show whether it was taken.
        const before = reads && screen !== undefined ? reads.readInput(screen) : undefined;
        if (reads && !(before !== undefined && holdsMessage(before, text))) confirmFrom = screen;
        await paste();
      }
      options.onDelivered?.();
      crashPoint('message.pasted');
      const confirmation = reads && confirmFrom !== undefined ? await confirmSubmitted(runtime, handle, text, reads, options.clock ?? systemClock, { before: confirmFrom, paste }) : undefined;
      const checked = { ...(confirmation?.enters ? { extraEnters: confirmation.enters } : {}), ...(confirmation?.pastes ? { extraPastes: confirmation.pastes } : {}), ...(confirmation?.confirmed === false ? { unconfirmed: true } : {}) };
      const sent = await store.append(project, id, [
        { type: 'message.sent', key: `sent:${deliveryId}`, data: { deliveryId, chars: text.length, preview: preview(text), ...answered, ...checked, ...options.data } },
      ]);
      crashPoint('message.sent');
      await runtime.forgetDelivery?.(handle, deliveryId).catch(() => undefined);
      return sent;
    },
    { timeoutMs: DELIVERY_LOCK_TIMEOUT_MS },
  );
}

/**
 * The outcome of delivery `deliveryId` to `session`, recorded in its log: `delivered` once a
 * `message.sent` is logged (found in the log, or on the runtime's receipt, then logged with
 * `recovered: true`), `not-delivered` when it never began or certainly never arrived (logged as
 * `message.unsent`), `unknown` when nobody can tell: the agent it was meant for has exited or was
 * replaced, or the runtime keeps no receipts. Call it only when the sender is known to be dead.
 */
export async function settleDelivery(store: SessionStore, session: Session, runtime: Runtime | undefined, deliveryId: string): Promise<DeliveryStatus> {
  const { project, id } = session;
  return withFileLock(
    deliveryLockPath(store, session),
    async () => {
      const events = await store.events(project, id);
      const has = (key: string) => events.some((e) => e.key === key);
      if (has(`sent:${deliveryId}`)) return 'delivered';
      if (has(`unsent:${deliveryId}`)) return 'not-delivered';
      const intent = events.find((e) => e.key === `sending:${deliveryId}`)?.data;
      let status: DeliveryStatus = 'not-delivered';
      if (intent) {
        const sameAgent = session.runtime !== null && session.runtime.id === intent.handle && session.startedAt === intent.startedAt;
        status = sameAgent && runtime?.deliveryStatus ? await runtime.deliveryStatus(session.runtime as RuntimeHandle, deliveryId).catch(() => 'unknown' as const) : 'unknown';
      }
      if (status === 'delivered') {
        await store.append(project, id, [{ type: 'message.sent', key: `sent:${deliveryId}`, data: { deliveryId, chars: intent?.chars, recovered: true } }]);
      } else if (status === 'not-delivered') {
        await store.append(project, id, [{ type: 'message.unsent', key: `unsent:${deliveryId}`, data: { deliveryId, ...(intent ? {} : { reason: 'never began' }) } }]);
      }
      if (status !== 'unknown' && session.runtime) await runtime?.forgetDelivery?.(session.runtime, deliveryId).catch(() => undefined);
      return status;
    },
    { timeoutMs: DELIVERY_LOCK_TIMEOUT_MS },
  );
}

/**
 * How long the screen must stay unchanged, with the message still in the box, before Enter is
 * pressed again; doubled after each (a CLI still starting may be busy for seconds). A CLI that took
 * the message shows it at once (a spinner, the message moved up): a box unchanged this long was
 * not taken. Long enough that an Enter never lands on the menu a taken message's reply brings up.
 */
const SUBMIT_SETTLE_MS = 1_000;
/** Enters pressed again at most (1 + 2 + 4 + 8 s of settling), and how long the confirmation may take in all. */
const MAX_EXTRA_ENTERS = 4;
const CONFIRM_TIMEOUT_MS = 25_000;
/**
 * How long the screen must stay exactly as it was before the paste (the box empty, nothing drawn)
 * before the message is taken to be lost and pasted once more. Every CLI redraws at once when a
 * paste reaches it (the box, the transcript, a spinner); a screen this long untouched never got it.
 */
const LOST_PASTE_SETTLE_MS = 3_000;

type ReadsInput = Pick<Agent, 'readMenu'> & Required<Pick<Agent, 'readInput'>>;

/**
 * How long a message never seen in the box may leave the screen changing (a spinner: the agent
 * took it and works) before it counts as taken.
 */
const UNSEEN_MAX_MS = 5_000;

/**
 * Confirms that the agent took the message it was just sent, from its screen (`before`: the screen
 * just before the paste):
 *
 * - While its input box (as the agent reads its screen) holds the message on a screen that has
 *   settled, the Enter was dropped (a TUI busy rendering or processing the paste takes keys
 *   asynchronously): press it again. An extra Enter on an empty box submits nothing, so one pressed
 *   just as the first was taken is harmless.
 * - The message left the box after being seen there, or is newly drawn outside it (the
 *   transcript): taken.
 * - Never seen in the box: a CLI that took it at once, one that has not drawn the paste yet (still
 *   rendering a resumed conversation), or one that never got it. Judged once the screen settles:
 *   the box then shows it (above), or it is empty on a changed screen (taken), or the screen is
 *   exactly `before` (never got it: pasted once more, `paste`, and judged again the same way). A
 *   screen that keeps changing (a spinner) for `UNSEEN_MAX_MS` counts as taken.
 *
 * Returns how many Enters and pastes were repeated, and whether the message was taken (false: the
 * box still held it after the last Enter, or the screen did not change for the second paste either;
 * recorded on `message.sent` as `unconfirmed`).
 */
export async function confirmSubmitted(
  runtime: Runtime,
  handle: RuntimeHandle,
  text: string,
  agent: ReadsInput,
  clock: Clock,
  { before, paste }: { before: string; paste: () => Promise<void> },
): Promise<{ enters: number; pastes: number; confirmed: boolean }> {
  let unseenSince = clock.now();
  const deadline = unseenSince + CONFIRM_TIMEOUT_MS;
  const drawnBefore = timesDrawn(before, text);
  let enters = 0;
  let pastes = 0;
  let seen = false;
  let last: string | undefined;
  let stableSince = clock.now();
  for (;;) {
    const screen = await runtime.capture(handle, { lines: 0 }).catch(() => undefined);
    if (screen === undefined) return { enters, pastes, confirmed: true };
    // A menu on screen (the reply's permission prompt) takes no Enter: the message was taken.
    if (agent.readMenu?.(screen)) return { enters, pastes, confirmed: true };
    if (screen !== last) {
      last = screen;
      stableSince = clock.now();
    }
    const settled = clock.now() - stableSince;
    const input = agent.readInput(screen);
    if (input !== undefined && holdsMessage(input, text)) {
      seen = true;
      if (settled >= SUBMIT_SETTLE_MS * 2 ** enters) {
        if (enters >= MAX_EXTRA_ENTERS) break;
        // A failed key press (the agent just exited) ends the confirmation, not the delivery.
        if (!(await sendKeys(runtime, handle, ['Enter']).then(() => true, () => false))) break;
        enters++;
        last = undefined;
      }
    } else if (seen || timesDrawn(screen, text) > drawnBefore) {
      return { enters, pastes, confirmed: true };
    } else if (screen === before) {
      if (settled >= LOST_PASTE_SETTLE_MS) {
        // Once only: a screen that did not change for the second paste either is `unconfirmed`.
        if (pastes > 0 || !(await paste().then(() => true, () => false))) break;
        pastes++;
        last = undefined;
        unseenSince = clock.now();
      }
    } else if (settled >= SUBMIT_SETTLE_MS || clock.now() - unseenSince >= UNSEEN_MAX_MS) {
      return { enters, pastes, confirmed: true };
    }
    if (clock.now() >= deadline) break;
    await clock.sleep(100);
  }
  return { enters, pastes, confirmed: false };
}

/** How many times the start of `text` is drawn on `screen` (whitespace as the TUI wraps it). */
function timesDrawn(screen: string, text: string): number {
  const start = messageStart(text);
  return start.length < 8 ? 0 : flat(screen).split(start).length - 1;
}

/** Text on one line, whitespace runs as one space (as a TUI wraps and indents it). */
const flat = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** What a TUI shows of a message for sure, wherever it draws it: its first 24 characters, flattened. */
const messageStart = (text: string): string => flat(text).slice(0, 24);

/**
 * Whether input box text `input` is message `text`: the box shows its start (whitespace as the
 * TUI wraps it), or the placeholder a TUI shows for a long paste ("[Pasted text #1 +33 lines]").
 */
export function holdsMessage(input: string, text: string): boolean {
  const box = flat(input);
  if (box === '') return false;
  if (/^\[Pasted text #\d+/.test(box)) return true;
  const start = messageStart(text);
  return start !== '' && (box.startsWith(start) || (box.length >= 8 && start.startsWith(box)));
}

/** One line of at most 80 characters, for event logs and listings. */
export function preview(text: string): string {
  const line = flat(text);
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
