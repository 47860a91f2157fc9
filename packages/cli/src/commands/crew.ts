/**
 * `ao crew`: named groups of sessions sharing a goal and a message log. `ao crew send` writes to
 * every member but the sender, through the same delivery path as `ao send` (see core's crews/).
 * The sender is the session this runs in (AO_SESSION_ID), or `human`.
 */
import { AoError, createCrewStore, messageSender, sendCrewMessage, systemClock, type Crew, type CrewMessage, type Session } from '@ao/core';
import { notifyDaemon } from '@ao/daemon/client';
import type { GlobalOptions } from '../context.js';
import { color, print, table } from '../render.js';
import { age, loadSessions } from '../sessions.js';

type Flags = { json?: boolean; goal?: string; last?: string };

async function load(globals: GlobalOptions) {
  const cli = await loadSessions(globals);
  return { ...cli, crews: createCrewStore({ paths: cli.paths, clock: systemClock }) };
}

/** Every id must name a session: a crew of typos would swallow messages. */
async function sessionsExist(store: { find(id: string): Promise<Session> }, ids: readonly string[]): Promise<void> {
  for (const id of ids) await store.find(id);
}

function emit(json: boolean | undefined, value: unknown, text: () => string): number {
  print(json ? JSON.stringify(value, null, 2) : text());
  return 0;
}

/** `ao crew create <name> --goal TEXT [sessions...]` */
export async function create([name, members, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  if (!flags.goal?.trim()) throw new AoError('USAGE', 'A crew needs a goal: `ao crew create <name> --goal "what the crew is for" [sessions...]`.', { exitCode: 2 });
  const { store, crews } = await load(globals);
  const ids = (members as string[] | undefined) ?? [];
  await sessionsExist(store, ids);
  const crew = await crews.create({ name: String(name), goal: flags.goal.trim(), members: ids });
  return emit(flags.json, crew, () => `created crew ${crew.name} (${crew.members.length} member${crew.members.length === 1 ? '' : 's'}): ${crew.goal}`);
}

/** `ao crew add <name> <session...>` */
export async function add([name, members, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  const { store, crews } = await load(globals);
  const ids = members as string[];
  await sessionsExist(store, ids);
  const crew = await crews.add(String(name), ids);
  return emit(flags.json, crew, () => `crew ${crew.name}: ${crew.members.join(', ')}`);
}

/** `ao crew rm <name> <session...>` */
export async function rm([name, members, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  const { crews } = await load(globals);
  const crew = await crews.remove(String(name), members as string[]);
  return emit(flags.json, crew, () => `crew ${crew.name}: ${crew.members.join(', ') || '(no members)'}`);
}

/** `ao crew ls` */
export async function ls([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  const { crews } = await load(globals);
  const { crews: all, problems } = await crews.list();
  for (const p of problems) process.stderr.write(`ao: skipped ${p.path}: ${p.reason}\n`);
  if (flags.json) return emit(true, all.map(({ log, ...c }) => ({ ...c, messages: log.length })), () => '');
  if (all.length === 0) return emit(false, null, () => 'No crews. Create one with `ao crew create <name> --goal "…" [sessions...]`.');
  const now = Date.now();
  return emit(false, null, () =>
    table(['CREW', 'MEMBERS', 'MESSAGES', 'LAST', 'GOAL'], all.map((c) => [c.name, c.members.join(', ') || '-', String(c.log.length), c.log.length ? age(c.log[c.log.length - 1]!.ts, now) : '-', c.goal])),
  );
}

const line = (m: CrewMessage): string => {
  const refused = m.refused.length ? color.red(` (not delivered to ${m.refused.map((r) => `${r.session}: ${r.code}`).join('; ')})`) : '';
  return `${color.dim(m.ts)} ${color.bold(m.from)} → ${m.delivered.join(', ') || 'nobody'}${refused}\n  ${m.text.replace(/\n/g, '\n  ')}`;
};

/** `ao crew show <name> [--last N]`: members (with status), goal, the message log. */
export async function show([name, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  const { store, crews } = await load(globals);
  const crew: Crew = await crews.get(String(name));
  const members = await Promise.all(
    crew.members.map(async (id) => {
      const s = await store.find(id).catch(() => undefined);
      return { id, status: s?.status ?? 'gone', activity: s?.activity ?? null };
    }),
  );
  const last = flags.last ? Number(flags.last) : undefined;
  const log = last && last > 0 ? crew.log.slice(-last) : crew.log;
  if (flags.json) return emit(true, { ...crew, members, log }, () => '');
  const out = [
    `${color.bold(crew.name)}: ${crew.goal}`,
    '',
    members.length ? table(['MEMBER', 'STATUS', 'ACTIVITY'], members.map((m) => [m.id, m.status, m.activity ?? '-'])) : '(no members)',
    '',
    log.length ? log.map(line).join('\n') : 'No messages yet: `ao crew send ' + crew.name + ' <text>`.',
  ];
  return emit(false, null, () => out.join('\n'));
}

/** `ao crew send <name> <text...>`: to every member but the sender; exit 1 when any member did not get it. */
export async function send([name, words, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as Flags;
  const text = ((words as string[] | undefined) ?? []).join(' ');
  const { store, manager, crews, paths } = await load(globals);
  const from = await messageSender(store);
  const message = await sendCrewMessage({ manager, store, crews, clock: systemClock }, { from, crew: String(name), text });
  if (message.delivered.length) await notifyDaemon(paths, `crew ${String(name)} message`);
  const code = message.refused.length ? 1 : 0;
  if (flags.json) {
    emit(true, message, () => '');
    return code;
  }
  if (message.to.length === 0) print(`crew ${String(name)} has no ${from === 'human' ? '' : 'other '}members: nobody to tell (add some with \`ao crew add ${String(name)} <session>\`)`);
  if (message.delivered.length) print(`sent to ${message.delivered.join(', ')}`);
  for (const r of message.refused) process.stderr.write(`ao: not delivered to ${r.session}: ${r.code}: ${r.reason}\n`);
  return code;
}
