/**
 * The issues directory on disk: finding files by id, scanning them all, reserving new ids and
 * writing files atomically. Everything here is safe with several `ao` processes (CLI, daemon,
 * agents calling `ao issue new`) working on the same directory at once.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError, type Clock } from '@ao/core';
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

/** A reserved issue id; `release` must be called once the issue file exists (or creation failed). */
export interface IdReservation {
  id: number;
  release(): Promise<void>;
}

/**
 * Reserves the next free issue id, safely across processes.
 *
 * Protocol: the candidate is one more than the highest id on disk; it is claimed by creating the
 * marker `.reserve-<id>` with O_EXCL (`wx`), which exactly one process can win. A loser moves to the
 * next number. The winner then re-checks that no issue file with that id appeared (a slower process
 * may have scanned before an earlier creator finished and removed its marker), writes its file,
 * and only then removes the marker, so at every moment either the marker or the file holds the id.
 * A process killed between reserving and releasing leaves a marker behind; that id is skipped.
 */
export async function reserveIssueId(dir: string): Promise<IdReservation> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const existing = await listIssueFiles(dir);
    let candidate = (existing.at(-1)?.id ?? 0) + 1;
    for (let step = 0; step < 1000; step++, candidate++) {
      const marker = join(dir, `.reserve-${candidate}`);
      try {
        await (await open(marker, 'wx')).close();
      } catch (error) {
        if (isErrno(error, 'EEXIST')) continue;
        throw error;
      }
      const release = async (): Promise<void> => {
        await unlink(marker).catch((error: unknown) => {
          if (!isErrno(error, 'ENOENT')) throw error;
        });
      };
      const taken = (await listIssueFiles(dir)).some((f) => f.id === candidate);
      if (!taken) return { id: candidate, release };
      await release();
      break; // rescan: our view of the directory was stale
    }
  }
  throw new AoError('LOCK_TIMEOUT', `Could not reserve a new issue id in ${dir}: too much contention. Try again.`, {
    details: { dir },
  });
}

/**
 * Runs `fn` while holding the per-issue lock `.lock-<id>`, so two read-modify-write updates of one
 * issue (a comment and a close from different processes) cannot lose each other's change. A lock
 * older than `staleMs` is from a crashed process and is taken over.
 */
export async function withIssueLock<T>(
  dir: string,
  id: number,
  clock: Clock,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; staleMs?: number } = {},
): Promise<T> {
  const lock = join(dir, `.lock-${id}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const started = clock.now();
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const age = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > staleMs) {
      await unlink(lock).catch(() => {});
      continue;
    }
    if (clock.now() - started > timeoutMs) {
      throw new AoError(
        'LOCK_TIMEOUT',
        `Issue #${id} is locked by another ao process (${lock}). If no ao process is running, delete that file.`,
        { details: { lock } },
      );
    }
    await clock.sleep(25);
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}
