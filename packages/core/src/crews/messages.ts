/**
 * Messages between sessions: session A (or a human) writes to session B, or to every other member
 * of a crew. A message is delivered through the one delivery path (`SessionManager.send`: the
 * session's delivery lock, paste and submit, logged as `message.sending`/`message.sent` on B), with
 * `menu: 'refuse'`: a session waiting on a menu needs a human, so another agent's message is refused
 * there and nothing is typed. The text arrives prefixed with its author (`[from app-3] …`), and the
 * exchange is recorded as events: `message.received` on B and `message.posted` on A (not
 * `message.sent`, which on any log means "delivered to this session's agent").
 */
import { realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Clock } from '../contracts/plugin.js';
import { AoError, describeError, isAoError } from '../errors.js';
import { newDeliveryId } from '../sessions/delivery.js';
import type { SessionManager } from '../sessions/manager.js';
import type { SessionStore } from '../sessions/store.js';
import type { CrewMessage, CrewStore } from './store.js';

/** Who a message is from when no session sent it. */
export const HUMAN_SENDER = 'human';

export interface MessageDeps {
  manager: Pick<SessionManager, 'send'>;
  store: Pick<SessionStore, 'find' | 'append'>;
  crews: CrewStore;
  clock: Clock;
}

/** What the receiving agent reads: the author first, so it knows who wrote it. */
export function messageText(from: string, text: string, crew?: string): string {
  return crew ? `[from ${from} in crew ${crew}] ${text}` : `[from ${from}] ${text}`;
}

/**
 * The sender, truthfully: the session this process runs in, or `human`. A session's environment
 * has `AO_SESSION_ID` and the tools it starts inherit it; but an agent CLI may start its MCP
 * servers with a filtered environment (Codex passes only a few variables), so `ao mcp` also passes
 * its `cwd`: a server started inside a session's workspace is that session's. An id that names no
 * session here is refused rather than recorded as someone it is not.
 */
export async function messageSender(
  store: Pick<SessionStore, 'find' | 'list'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: { cwd?: string } = {},
): Promise<string> {
  const id = env.AO_SESSION_ID?.trim();
  if (!id) return options.cwd ? ((await sessionAt(store, options.cwd)) ?? HUMAN_SENDER) : HUMAN_SENDER;
  try {
    return (await store.find(id)).id;
  } catch (error) {
    if (isAoError(error) && error.code === 'SESSION_NOT_FOUND') {
      throw new AoError('SESSION_NOT_FOUND', `AO_SESSION_ID=${id} names no session in this data dir, so the message cannot say who sent it: unset AO_SESSION_ID to send as a human, or set AO_HOME to the data dir of that session.`, { details: { id } });
    }
    throw error;
  }
}

/** The session whose workspace holds `dir`, if any. */
async function sessionAt(store: Pick<SessionStore, 'list'>, dir: string): Promise<string | undefined> {
  const here = await realpath(dir).catch(() => resolve(dir));
  const { sessions } = await store.list();
  for (const s of sessions) {
    const root = await realpath(s.workspacePath).catch(() => resolve(s.workspacePath));
    if (here === root || here.startsWith(root + sep)) return s.id;
  }
  return undefined;
}

export interface SessionMessage {
  from: string;
  to: string;
  text: string;
  crew?: string;
  /** Default: a new one. */
  deliveryId?: string;
}

/**
 * Delivers one message to session `to` and records it on both logs. Throws what `send` throws
 * (`SESSION_NOT_FOUND`, `SESSION_STATE` for an agent not running or waiting on a menu…): then
 * nothing was typed and nothing recorded but `send`'s own events.
 */
export async function sendSessionMessage(deps: MessageDeps, message: SessionMessage, options: { recordSender?: boolean } = {}): Promise<{ to: string; deliveryId: string }> {
  const { from, to, text, crew } = message;
  if (from === to) throw new AoError('USAGE', `${from} cannot send a message to itself.`, { exitCode: 2 });
  if (text.trim() === '') throw new AoError('USAGE', 'The message is empty: say something.', { exitCode: 2 });
  const target = await deps.store.find(to);
  const deliveryId = message.deliveryId ?? newDeliveryId();
  await deps.manager.send(to, messageText(from, text, crew), { deliveryId, menu: 'refuse' });
  const data = { deliveryId, from, to, ...(crew ? { crew } : {}), text };
  await deps.store.append(target.project, to, [{ type: 'message.received', key: `received:${deliveryId}`, data }]);
  if (from !== HUMAN_SENDER && options.recordSender !== false) {
    const sender = await deps.store.find(from);
    await deps.store.append(sender.project, from, [{ type: 'message.posted', key: `posted:${deliveryId}`, data }]);
  }
  return { to, deliveryId };
}

/**
 * Sends `text` to every member of `crew` but the sender, one delivery each (one member's refusal does
 * not stop the others), and appends the message, with who got it and who did not, to the crew's log.
 */
export async function sendCrewMessage(deps: MessageDeps, input: { from: string; crew: string; text: string }): Promise<CrewMessage> {
  const { from, text } = input;
  if (text.trim() === '') throw new AoError('USAGE', 'The message is empty: say something.', { exitCode: 2 });
  const crew = await deps.crews.get(input.crew);
  const to = crew.members.filter((m) => m !== from);
  const id = newDeliveryId();
  const outcomes = await Promise.all(
    to.map(async (member) => {
      try {
        await sendSessionMessage(deps, { from, to: member, text, crew: crew.name }, { recordSender: false });
        return { member };
      } catch (error) {
        return { member, code: isAoError(error) ? error.code : 'UNKNOWN', reason: describeError(error) };
      }
    }),
  );
  const delivered = outcomes.filter((o) => o.code === undefined).map((o) => o.member);
  const entry: CrewMessage = {
    id,
    ts: new Date(deps.clock.now()).toISOString(),
    from,
    text,
    to,
    delivered,
    refused: outcomes.flatMap((o) => (o.code === undefined ? [] : [{ session: o.member, code: o.code, reason: o.reason ?? '' }])),
  };
  await deps.crews.record(crew.name, entry);
  if (from !== HUMAN_SENDER && delivered.length > 0) {
    const sender = await deps.store.find(from);
    await deps.store.append(sender.project, from, [{ type: 'message.posted', key: `posted:${id}`, data: { deliveryId: id, from, to: delivered, crew: crew.name, text } }]);
  }
  return entry;
}
