import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AoPaths } from '../contracts/plugin.js';
import { AoError } from '../errors.js';
import { hasCode, mkdirPrivate, readJsonRecord, writeJsonRecord } from '../sessions/fs-atomic.js';
import { reserveNextNumber, withFileLock } from '../sessions/lock.js';
import { PlanRecordSchema, type PlanRecord } from './schema.js';

/**
 * Plans on disk: one JSON file per plan under `<AO_HOME>/plans/`, replaced atomically, changed only
 * under the plan's lock, so the daemon, `ao lifecycle poll` and `ao plan` may all advance a plan.
 */
export interface PlanStore {
  dir: string;
  /** Stores a new plan with a fresh id `<name>-<n>`. */
  create(record: Omit<PlanRecord, 'id'>): Promise<PlanRecord>;
  /** Throws `PLAN_NOT_FOUND`. */
  get(id: string): Promise<PlanRecord>;
  /** Oldest first; unreadable files are skipped and named in `problems`. */
  list(): Promise<{ plans: PlanRecord[]; problems: { path: string; reason: string }[] }>;
  /**
   * Runs `fn` on the current record under the plan's lock and stores what it returns. `save`
   * stores an intermediate record at once (after each step started, so a crash loses none).
   */
  update(id: string, fn: (record: PlanRecord, save: (record: PlanRecord) => Promise<void>) => Promise<PlanRecord>): Promise<PlanRecord>;
}

const ID = /^[a-z0-9][a-z0-9-]*-\d+$/;

export function createPlanStore(paths: AoPaths): PlanStore {
  const dir = join(paths.home, 'plans');
  const file = (id: string): string => {
    if (!ID.test(id)) throw new AoError('PLAN_NOT_FOUND', `"${id}" is not a plan id (they look like auth-rework-1): run \`ao plan ls\``, { exitCode: 2 });
    return join(dir, `${id}.json`);
  };
  const write = (record: PlanRecord): Promise<void> => writeJsonRecord(file(record.id), record);
  const lock = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
    // A plan's advance spawns its ready steps (each a short record under the spawn lock).
    withFileLock(join(dir, `${name}.lock`), fn, { timeoutMs: 60_000 });

  async function read(id: string): Promise<PlanRecord> {
    const path = file(id);
    const record = await readJsonRecord(path, PlanRecordSchema, () =>
      new AoError('PLAN_STATE', `Plan file ${path} is corrupt; move it aside to drop the plan.`, { details: { path } }));
    if (!record) throw new AoError('PLAN_NOT_FOUND', `Plan ${id} not found: run \`ao plan ls\` to list plans.`, { details: { id } });
    return record;
  }

  const names = async (): Promise<string[]> => {
    try {
      return (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length));
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
  };

  return {
    dir,
    async create(record) {
      await mkdirPrivate(dir);
      const slug = record.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'plan';
      // ao's one id reservation: `<slug>-<n>`, n one above any used, written under the ids lock.
      return reserveNextNumber(
        join(dir, '.ids.lock'),
        async () => (await names()).filter((n) => n.startsWith(`${slug}-`)).map((n) => Number(n.slice(slug.length + 1))).filter(Number.isInteger),
        async (n) => {
          const created: PlanRecord = { ...record, id: `${slug}-${n}` };
          await write(created);
          return created;
        },
        { timeoutMs: 60_000 },
      );
    },
    get: read,
    async list() {
      const plans: PlanRecord[] = [];
      const problems: { path: string; reason: string }[] = [];
      for (const name of await names()) {
        if (!ID.test(name)) continue;
        try {
          plans.push(await read(name));
        } catch (error) {
          problems.push({ path: join(dir, `${name}.json`), reason: (error as Error).message });
        }
      }
      plans.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id)));
      return { plans, problems };
    },
    update: (id, fn) =>
      lock(id, async () => {
        const next = await fn(await read(id), write);
        await write(next);
        return next;
      }),
  };
}
