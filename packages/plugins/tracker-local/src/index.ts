/**
 * tracker-local: issues as markdown files in the project's repository (`.ao/issues/<id>-<slug>.md`),
 * so ao works from an issue with no account and no network, and the issues travel with the code.
 */
import { mkdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { AoError, definePlugin, z, type Clock, type IssueFilter, type Logger, type NewIssue, type Tracker } from '@ao/core/plugin';
import { writeFileAtomic } from '@ao/core/plugin';
import { createWithNextId, findIssue, scanIssueDir, withIssueLock, type IssueScan } from './issue-dir.js';
import { formatIssueFile, newIssueDocument, type IssueFile, type LocalIssue } from './issue-file.js';
import { slugify } from '@ao/core/plugin';

/** Issue files live in the repository, to be committed and shared: the usual mode, not ao's private 0600. */
const REPO_FILE_MODE = 0o644;

export { branchNameForIssue, MAX_BRANCH_LENGTH, slugify } from '@ao/core/plugin';
export { parseIssueFile, type LocalIssue } from './issue-file.js';
export { scanIssueDir, type IssueFileProblem, type IssueScan } from './issue-dir.js';

/** Where issue files live when the config does not say: relative to the project's repository. */
export const DEFAULT_ISSUES_DIR = '.ao/issues';

const ConfigSchema = z
  .object({
    /** Issues directory, relative to the project path (or absolute). Default `.ao/issues`. */
    dir: z.string().min(1).optional(),
  })
  .strict();

export type LocalTrackerConfig = z.infer<typeof ConfigSchema>;

/** The local tracker: the `Tracker` contract, plus `scan()` for callers that want to show broken files. */
export interface LocalTracker extends Tracker {
  /** Absolute path of the issues directory. */
  readonly dir: string;
  getIssue(id: string): Promise<LocalIssue>;
  listIssues(filter?: IssueFilter): Promise<LocalIssue[]>;
  createIssue(input: NewIssue): Promise<LocalIssue>;
  /** Every readable issue (all states) and every file that was skipped, with why. */
  scan(): Promise<IssueScan>;
}

/** Local issue ids are whole numbers; users may write `#3`. */
function parseId(id: string, dir: string): number {
  const match = /^#?(\d+)$/.exec(id.trim());
  if (!match) {
    throw new AoError(
      'ISSUE_NOT_FOUND',
      `Issue "${id}" not found: local issue ids are numbers like 3 or #3. See existing issues with \`ao issue ls\` (files in ${dir}).`,
      { details: { id, dir } },
    );
  }
  return Number(match[1]);
}

function notFound(id: number, dir: string): AoError {
  return new AoError(
    'ISSUE_NOT_FOUND',
    `Issue #${id} not found in ${dir}. See existing issues with \`ao issue ls\`, or create one with \`ao issue new\`.`,
    { details: { id: String(id), dir } },
  );
}

function matches(issue: LocalIssue, filter: IssueFilter): boolean {
  const state = filter.state ?? 'open';
  if (state !== 'all' && issue.state !== state) return false;
  const lower = (s: string): string => s.toLowerCase();
  const labels = new Set(issue.labels.map(lower));
  if (filter.labels && !filter.labels.every((l) => labels.has(lower(l)))) return false;
  if (filter.assignee && !issue.assignees.some((a) => lower(a) === lower(filter.assignee ?? ''))) return false;
  if (filter.milestone !== undefined && issue.milestone !== filter.milestone) return false;
  return true;
}

/** Builds the tracker for an issues directory. Exported for tools and tests that have no plugin context. */
export function createLocalTracker(options: { dir: string; clock: Clock; logger: Logger }): LocalTracker {
  const { dir, clock, logger } = options;
  const now = (): string => new Date(clock.now()).toISOString();

  async function load(id: string): Promise<IssueFile> {
    const n = parseId(id, dir);
    const file = await findIssue(dir, n);
    if (!file) throw notFound(n, dir);
    return file;
  }

  /** Read-modify-write of one issue under its lock; `change` returns false when there is nothing to write. */
  async function update(id: string, change: (file: IssueFile) => { body: string } | false): Promise<void> {
    const n = parseId(id, dir);
    // Unknown ids (and a project with no issues dir yet) fail as ISSUE_NOT_FOUND before any lock file is made.
    await load(String(n));
    await withIssueLock(dir, n, async () => {
      const file = await load(String(n));
      const result = change(file);
      if (result === false) return;
      file.doc.set('updated', now());
      await writeFileAtomic(file.issue.path, formatIssueFile(file.doc, result.body), { mode: REPO_FILE_MODE });
    });
  }

  return {
    dir,

    async getIssue(id) {
      return (await load(id)).issue;
    },

    async listIssues(filter = {}) {
      if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) {
        throw new AoError('USAGE', `Issue list limit must be a whole number >= 0, got ${filter.limit}.`);
      }
      const { issues, problems } = await scanIssueDir(dir);
      // Report and skip: one broken file must not hide the rest (the CLI can show `scan().problems`).
      for (const p of problems) logger.warn({ path: p.path, problem: p.problem }, 'skipped an invalid issue file');
      const selected = issues.filter((issue) => matches(issue, filter));
      return filter.limit === undefined ? selected : selected.slice(0, filter.limit);
    },

    async createIssue(input: NewIssue) {
      const title = input.title.replace(/\s+/g, ' ').trim();
      if (!title) throw new AoError('USAGE', 'An issue needs a title: ao issue new "Fix the login redirect".');
      await mkdir(dir, { recursive: true });
      return createWithNextId(dir, async (n) => {
        const id = String(n);
        const slug = slugify(title);
        const path = resolve(dir, slug ? `${id}-${slug}.md` : `${id}.md`);
        const created = now();
        const labels = [...new Set(input.labels ?? [])];
        const doc = newIssueDocument({ id, title, labels, assignees: [], created });
        const body = (input.body ?? '').replace(/\s+$/, '');
        await writeFileAtomic(path, formatIssueFile(doc, body), { mode: REPO_FILE_MODE });
        const issue: LocalIssue = { id, title, body, labels, assignees: [], state: 'open', path, created, updated: created };
        return issue;
      });
    },

    async comment(id, body) {
      const text = body.replace(/\s+$/, '');
      if (!text.trim()) throw new AoError('USAGE', `A comment on issue ${id} needs some text.`);
      await update(id, (file) => {
        const section = `## Comment (${now()})\n\n${text}`;
        return { body: file.issue.body ? `${file.issue.body}\n\n${section}` : section };
      });
    },

    async close(id) {
      await update(id, (file) => {
        if (file.issue.state === 'closed') return false;
        file.doc.set('state', 'closed');
        return { body: file.issue.body };
      });
    },

    scan: () => scanIssueDir(dir),
  };
}

export default definePlugin({
  name: 'local',
  slot: 'tracker',
  version: '0.1.0',
  description: 'Issues as markdown files with YAML front matter in .ao/issues/ of the project',
  configSchema: ConfigSchema,
  create(config, ctx) {
    if (!ctx.project) {
      throw new AoError(
        'PLUGIN_CONFIG_INVALID',
        'The local tracker needs a project: it keeps issues in the project repository. Configure it under `projects.<name>.tracker` (or `defaults.tracker`), not as a global plugin.',
      );
    }
    const configured = config.dir ?? DEFAULT_ISSUES_DIR;
    const dir = isAbsolute(configured) ? configured : resolve(ctx.project.path, configured);
    return createLocalTracker({ dir, clock: ctx.clock, logger: ctx.logger.child({ plugin: 'tracker-local' }) });
  },
});
