/**
 * The issues directory on disk: finding files by id, scanning them all, reserving new ids and
 * writing files atomically. Everything here is safe with several `ao` processes (CLI, daemon,
 * agents calling `ao issue new`) working on the same directory at once.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError, reserveNextNumber, withFileLock } from '@ao/core/plugin';
import { parseIssueFile, type IssueFile, type LocalIssue } from './issue-file.js';

/** `<id>-<slug>.md`, or `<id>.md` for a title without letters or digits. */
const ISSUE_FILE = /^(\d+)(?:-[^/\\]*)?\.md$/;

/** A file in the issues directory that could not be read as an issue. */
export interface IssueFileProblem {
  path: string;
  problem: string;
}

export interface IssueScan {
  /** The readable issues, ordered by id. */
  issues: LocalIssue[];
  /** Files that were skipped, each with the reason; `listIssues` logs these as warnings. */
  problems: IssueFileProblem[];
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** Issue files by id, from file names only (cheap: no file is read). A missing directory has none. */
export async function listIssueFiles(dir: string): Promise<Array<{ id: number; path: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  }
  const files: Array<{ id: number; path: string }> = [];
  for (const name of names) {
    const match = ISSUE_FILE.exec(name);
    if (match) files.push({ id: Number(match[1]), path: join(dir, name) });
  }
  return files.sort((a, b) => a.id - b.id || a.path.localeCompare(b.path));
}

/** Reads and parses one file, checking that its front-matter id agrees with its file name. */
export async function readIssueFile(path: string, fileId: number): Promise<IssueFile> {
  const text = await readFile(path, 'utf8');
  const file = parseIssueFile(text, path);
  if (file.issue.id !== String(fileId)) {
    throw new AoError(
      'ISSUE_CORRUPT',
      `Issue file ${path} is invalid: its front matter says id ${file.issue.id} but its file name says ${fileId}. Make them agree.`,
      { details: { path, problem: 'id mismatch' } },
    );
  }
  return file;
}

function duplicateProblem(id: number, paths: string[]): string {
  return `${paths.length} files claim issue id ${id} (${paths.join(', ')}); renumber all but one (file name and "id:" field)`;
}

/**
 * Finds issue `id`. Resolves `undefined` when no file has that id; throws `ISSUE_CORRUPT` when the
 * file is broken or two files claim the id (e.g. after merging two branches that each created it).
 */
export async function findIssue(dir: string, id: number): Promise<IssueFile | undefined> {
  const matches = (await listIssueFiles(dir)).filter((f) => f.id === id);
  const first = matches[0];
  if (!first) return undefined;
  if (matches.length > 1) {
    const paths = matches.map((m) => m.path);
    throw new AoError('ISSUE_CORRUPT', `Issue #${id} is ambiguous: ${duplicateProblem(id, paths)}.`, {
      details: { paths, problem: 'duplicate id' },
    });
  }
  return readIssueFile(first.path, first.id);
}

/**
 * Reads every issue file. A broken file does not hide the others: it is reported in `problems`
 * (with its path and what is wrong) and skipped. Of several files with one id, the first by name
 * is kept and the others reported.
 */
export async function scanIssueDir(dir: string): Promise<IssueScan> {
  const files = await listIssueFiles(dir);
  const issues: LocalIssue[] = [];
  const problems: IssueFileProblem[] = [];
  const byId = new Map<number, string[]>();
  for (const f of files) byId.set(f.id, [...(byId.get(f.id) ?? []), f.path]);
  type Result = { path: string; id: number; issue?: LocalIssue; problem?: string };
  const results = await Promise.all(
    files.map(async (f): Promise<Result> => {
      try {
        return { ...f, issue: (await readIssueFile(f.path, f.id)).issue };
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return f; // removed while we were scanning
        if (error instanceof AoError) return { ...f, problem: error.message };
        return { ...f, problem: `Issue file ${f.path} could not be read: ${error instanceof Error ? error.message : String(error)}` };
      }
    }),
  );
  const seen = new Set<number>();
  for (const r of results) {
    if (r.problem !== undefined) problems.push({ path: r.path, problem: r.problem });
    if (!r.issue) continue;
    if (seen.has(r.id)) {
      problems.push({ path: r.path, problem: `Issue file ${r.path} was skipped: ${duplicateProblem(r.id, byId.get(r.id) ?? [])}` });
      continue;
    }
    seen.add(r.id);
    issues.push(r.issue);
  }
  return { issues, problems };
}

/**
 * Creates the next issue with `create(id)`, safely across processes, by the one reservation
 * protocol of ao (`reserveNextNumber`): under the directory's ids lock, one above the highest id
 * on disk, and the file is written before the lock is released. Issue numbers are never reused
 * while their file exists.
 */
export function createWithNextId<T>(dir: string, create: (id: number) => Promise<T>): Promise<T> {
  return reserveNextNumber(join(dir, '.ids.lock'), async () => (await listIssueFiles(dir)).map((f) => f.id), create);
}

/**
 * Runs `fn` while holding the per-issue lock `.lock-<id>` (ao's one file lock, `withFileLock`),
 * so two read-modify-write updates of one issue (a comment and a close from different processes)
 * cannot lose each other's change. A lock is taken over only when its holder is gone.
 */
export function withIssueLock<T>(dir: string, id: number, fn: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  return withFileLock(join(dir, `.lock-${id}`), fn, { timeoutMs: options.timeoutMs ?? 10_000 });
}
