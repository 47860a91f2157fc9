/**
 * One issue = one markdown file: YAML front matter (id, title, state, labels, assignees, created,
 * updated) between `---` lines, then the markdown body. People edit these files by hand and commit
 * them, so parsing is forgiving where the meaning is clear (`id: 3`, `labels: bug`, an empty
 * `labels:`) and precise where it is not (it names the file and the field). Rewrites go through
 * the yaml `Document` so a user's comments, key order and extra keys survive `comment` and `close`.
 */
import { AoError, Document, isSeq, parseDocument, z, type Issue } from '@ao/core/plugin';

/** An issue as the local tracker returns it: the contract's `Issue` plus where it lives and when it changed. */
export interface LocalIssue extends Issue {
  /** Absolute path of the issue's markdown file. */
  path: string;
  /** ISO timestamps from the front matter (`''` when a hand-written file has none). */
  created: string;
  updated: string;
  milestone?: string;
}

/** A parsed file, kept with its yaml document so it can be rewritten without losing anything. */
export interface IssueFile {
  issue: LocalIssue;
  doc: Document;
}

const stringList = z
  .union([z.array(z.union([z.string(), z.number()]).transform(String)), z.string().transform((s) => [s]), z.null()])
  .optional()
  .transform((v) => v ?? []);

const FrontMatterSchema = z.object({
  id: z
    .union([z.string().trim().regex(/^\d+$/, 'expected a whole number like "3"'), z.number().int().nonnegative()])
    .transform((v) => String(Number(v))),
  title: z.string({ required_error: 'required: a one-line title' }).trim().min(1, 'expected a non-empty title'),
  state: z.enum(['open', 'closed']).default('open'),
  labels: stringList,
  assignees: stringList,
  milestone: z.union([z.string(), z.number().transform(String)]).optional(),
  created: z.string().optional(),
  updated: z.string().optional(),
});

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;

function corrupt(path: string, problem: string): AoError {
  return new AoError(
    'ISSUE_CORRUPT',
    `Issue file ${path} is invalid: ${problem}. Fix the front matter (the YAML between the "---" lines at the top) or remove the file.`,
    { details: { path, problem } },
  );
}

/**
 * Parses an issue file's text. Throws `AoError('ISSUE_CORRUPT')` naming `path` and what is wrong
 * (no front matter, YAML syntax error with its line, a missing or invalid field).
 */
export function parseIssueFile(text: string, path: string): IssueFile {
  const match = FRONT_MATTER.exec(text);
  if (!match) throw corrupt(path, 'it does not start with front matter (a "---" line, YAML, then another "---" line)');
  const doc = parseDocument(match[1] ?? '', { prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The parser's lines are 1-based within the front matter; +1 for the opening `---` line of the file.
    const line = yamlError.linePos?.[0].line;
    const where = line === undefined ? '' : ` at line ${line + 1}`;
    throw corrupt(path, `YAML syntax error${where}: ${yamlError.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw corrupt(path, 'the front matter is not a map of fields (expected lines like "title: Fix login")');
  }
  const parsed = FrontMatterSchema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `field "${i.path.join('.') || '(root)'}": ${i.message}`);
    throw corrupt(path, problems.join('; '));
  }
  const fm = parsed.data;
  const body = text
    .slice(match[0].length)
    .replace(/^(\r?\n)+/, '')
    .replace(/\s+$/, '');
  return {
    doc,
    issue: {
      id: fm.id,
      title: fm.title,
      body,
      labels: fm.labels,
      assignees: fm.assignees,
      state: fm.state,
      path,
      created: fm.created ?? '',
      updated: fm.updated ?? '',
      ...(fm.milestone === undefined ? {} : { milestone: fm.milestone }),
    },
  };
}

/** The file text for a front-matter document and a body. */
export function formatIssueFile(doc: Document, body: string): string {
  const trimmed = body.replace(/\s+$/, '');
  return `---\n${doc.toString()}---\n${trimmed ? `\n${trimmed}\n` : ''}`;
}

/** A new issue's front matter, with lists in flow style (`labels: [bug, ui]`) as people write them. */
export function newIssueDocument(fields: {
  id: string;
  title: string;
  labels: string[];
  assignees: string[];
  created: string;
}): Document {
  const doc = new Document({
    id: fields.id,
    title: fields.title,
    state: 'open',
    labels: fields.labels,
    assignees: fields.assignees,
    created: fields.created,
    updated: fields.created,
  });
  for (const key of ['labels', 'assignees']) {
    const node = doc.get(key, true);
    if (isSeq(node)) node.flow = true;
  }
  return doc;
}
