/**
 * Crews: named groups of sessions that share a goal and a message log. One JSON record per crew
 * under `<AO_HOME>/crews/<name>.json`, written with the one atomic JSON writer under the one file
 * lock (`<name>.lock`), so the CLI, the MCP servers of many sessions and the daemon may change a
 * crew at once without losing a member or a message.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AoPaths, Clock } from '../contracts/plugin.js';
import { AoError } from '../errors.js';
import { mkdirPrivate, readJsonRecord, writeJsonRecord } from '../sessions/fs-atomic.js';
import { withFileLock } from '../sessions/lock.js';

/** The log keeps the newest messages only: a crew record stays small enough to rewrite on each message. */
export const CREW_LOG_LIMIT = 500;

/** Crew names are file names: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const CrewMessageSchema = z.object({
  /** The delivery ids share this id's prefix in the members' event logs. */
  id: z.string(),
  ts: z.string(),
  /** The sending session's id, or `human`. */
  from: z.string(),
  text: z.string(),
  /** The members it was meant for: every member but the sender, when it was sent. */
  to: z.array(z.string()),
  delivered: z.array(z.string()),
  /** Members it did not reach, with the reason (not running, waiting on a menu…). */
  refused: z.array(z.object({ session: z.string(), code: z.string(), reason: z.string() })),
});
export type CrewMessage = z.infer<typeof CrewMessageSchema>;

export const CrewSchema = z.object({
  name: z.string(),
  goal: z.string(),
  members: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  log: z.array(CrewMessageSchema),
});
export type Crew = z.infer<typeof CrewSchema>;

export interface CrewStoreOptions {
  paths: AoPaths;
  clock: Clock;
}

export interface CrewStore {
  dir: string;
  /** Throws `CREW_EXISTS` when the name is taken, `USAGE` for a name that is not one. */
  create(input: { name: string; goal: string; members?: readonly string[] }): Promise<Crew>;
  /** Throws `CREW_NOT_FOUND`. */
  get(name: string): Promise<Crew>;
  /** By name; unreadable records are skipped and named in `problems`. */
  list(): Promise<{ crews: Crew[]; problems: { path: string; reason: string }[] }>;
  /** Adds members (already there: no change). */
  add(name: string, members: readonly string[]): Promise<Crew>;
  /** Removes members; throws `USAGE` for one that is not a member. */
  remove(name: string, members: readonly string[]): Promise<Crew>;
  /** Appends a message to the crew's log (keeping the newest `CREW_LOG_LIMIT`). */
  record(name: string, message: CrewMessage): Promise<Crew>;
}

export function createCrewStore(options: CrewStoreOptions): CrewStore {
  const { clock } = options;
  const dir = join(options.paths.home, 'crews');
  const iso = (): string => new Date(clock.now()).toISOString();
  const file = (name: string): string => {
    if (!NAME.test(name)) {
      throw new AoError('USAGE', `"${name}" is not a crew name: use letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit)`, { details: { name } });
    }
    return join(dir, `${name}.json`);
  };
  const lock = <T>(name: string, fn: () => Promise<T>): Promise<T> => withFileLock(join(dir, `${name}.lock`), fn, {});

  async function read(name: string): Promise<Crew | undefined> {
    const path = file(name);
    return readJsonRecord(path, CrewSchema, (reason) =>
      new AoError('CREW_CORRUPT', `Crew file ${path} is corrupt (${reason}); move it aside to drop the crew.`, { details: { path } }));
  }

  async function mustRead(name: string): Promise<Crew> {
    const crew = await read(name);
    if (!crew) throw new AoError('CREW_NOT_FOUND', `No crew named "${name}": run \`ao crew ls\` to list them, or \`ao crew create ${name} --goal "…"\`.`, { details: { name } });
    return crew;
  }

  /** Read, change and write one crew under its lock. */
  async function change(name: string, fn: (crew: Crew) => Crew): Promise<Crew> {
    file(name);
    await mkdirPrivate(dir);
    return lock(name, async () => {
      const next = { ...fn(await mustRead(name)), updatedAt: iso() };
      await writeJsonRecord(file(name), next);
      return next;
    });
  }

  return {
    dir,
    async create(input) {
      const path = file(input.name);
      await mkdirPrivate(dir);
      return lock(input.name, async () => {
        if (await read(input.name)) throw new AoError('CREW_EXISTS', `A crew named "${input.name}" exists already: \`ao crew show ${input.name}\`, or \`ao crew add ${input.name} <session>\`.`, { details: { name: input.name } });
        const now = iso();
        const crew: Crew = { name: input.name, goal: input.goal, members: [...new Set(input.members ?? [])], createdAt: now, updatedAt: now, log: [] };
        await writeJsonRecord(path, crew);
        return crew;
      });
    },
    get: mustRead,
    async list() {
      const names = await readdir(dir).catch(() => [] as string[]);
      const crews: Crew[] = [];
      const problems: { path: string; reason: string }[] = [];
      for (const entry of names.filter((n) => n.endsWith('.json')).sort()) {
        const name = entry.slice(0, -'.json'.length);
        try {
          const crew = await read(name);
          if (crew) crews.push(crew);
        } catch (error) {
          problems.push({ path: join(dir, entry), reason: (error as Error).message });
        }
      }
      return { crews, problems };
    },
    add: (name, members) => change(name, (crew) => ({ ...crew, members: [...new Set([...crew.members, ...members])] })),
    remove: (name, members) =>
      change(name, (crew) => {
        const missing = members.filter((m) => !crew.members.includes(m));
        if (missing.length) throw new AoError('USAGE', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in crew "${name}" (members: ${crew.members.join(', ') || 'none'}).`, { details: { name, missing } });
        return { ...crew, members: crew.members.filter((m) => !members.includes(m)) };
      }),
    record: (name, message) => change(name, (crew) => ({ ...crew, log: [...crew.log, message].slice(-CREW_LOG_LIMIT) })),
  };
}
