import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AoPaths } from '../contracts/plugin.js';
import type { StoreProblem } from './event-log.js';
import { hasCode, nonEmpty } from './fs-atomic.js';
import type { Session } from './schema.js';
import { readSnapshotSync } from './snapshot-file.js';
import { compareIds, ID_PART } from './store-names.js';
import type { RebuiltSnapshot, SessionFiles, SessionList } from './store-types.js';

/**
 * Listing sessions for the store: every snapshot of a project (or of all), rebuilding from its log a
 * snapshot that is corrupt or missing (through `get`, which rewrites it), and reporting what cannot be
 * read instead of failing the whole list.
 */
export function createSessionLister(deps: {
  paths: AoPaths;
  files: (project: string, id: string) => SessionFiles;
  get: (project: string, id: string) => Promise<Session>;
}): { list(project?: string): Promise<SessionList>; listProjects(): Promise<string[]> } {
  const { paths, files, get } = deps;
  const projectsRoot = dirname(paths.project('_'));

  const listProject = async (project: string): Promise<SessionList> => {
    const dir = paths.sessions(project);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return { sessions: [], problems: [] };
      return { sessions: [], problems: [{ path: dir, reason: `unreadable: ${(error as Error).message}` }] };
    }
    const present = new Set(names);
    const sessions: Session[] = [];
    const problems: StoreProblem[] = [];
    const rebuilt: RebuiltSnapshot[] = [];
    /** The log is the truth: `get` folds it and rewrites the snapshot; say so, by path. */
    const rebuild = async (id: string, reason: string): Promise<void> => {
      const { snapshot, log } = files(project, id);
      try {
        sessions.push(await get(project, id));
        rebuilt.push({ path: snapshot, log, reason });
      } catch (error) {
        problems.push({ path: reason === 'missing' ? log : snapshot, reason: (error as Error).message });
      }
    };
    await Promise.all(
      names.map(async (name) => {
        if (name.startsWith('.')) return;
        if (name.endsWith('.json')) {
          const path = join(dir, name);
          const result = readSnapshotSync(path);
          if (result.session) sessions.push(result.session);
          if (!result.reason) return;
          // Corrupt next to a log: rebuilt from it (the docs promise this); alone: reported.
          const id = name.slice(0, -'.json'.length);
          const log = `${id}.events.jsonl`;
          if (present.has(log) && (await nonEmpty(join(dir, log)))) await rebuild(id, result.reason);
          else problems.push({ path, reason: result.reason });
        } else if (name.endsWith('.events.jsonl')) {
          // A log without a snapshot: a reserved id (empty log, spawn under way), a crash before
          // the first snapshot write, or a snapshot removed because a full disk refused it.
          const id = name.slice(0, -'.events.jsonl'.length);
          if (present.has(`${id}.json`) || !(await nonEmpty(join(dir, name)))) return;
          await rebuild(id, 'missing');
        }
      }),
    );
    return rebuilt.length > 0 ? { sessions, problems, rebuilt } : { sessions, problems };
  };

  const listProjects = async (): Promise<string[]> => {
    try {
      const entries = await readdir(projectsRoot, { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory() && ID_PART.test(entry.name)).map((entry) => entry.name);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
  };

  const list = async (project?: string): Promise<SessionList> => {
    const projects = project === undefined ? await listProjects() : [project];
    const parts = await Promise.all(projects.map(listProject));
    const sessions = parts.flatMap((part) => part.sessions);
    sessions.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : compareIds(a.id, b.id)));
    const rebuilt = parts.flatMap((part) => part.rebuilt ?? []);
    return { sessions, problems: parts.flatMap((part) => part.problems), ...(rebuilt.length > 0 ? { rebuilt } : {}) };
  };

  return { list, listProjects };
}
