import { pickProject, type Tracker } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { print, table } from '../render.js';
import { loadSessions } from '../sessions.js';

async function tracker(globals: GlobalOptions, projectName: string | undefined): Promise<Tracker> {
  const { plugins, config } = await loadSessions(globals);
  const project = pickProject(config, projectName, process.cwd());
  return plugins.plugin(project, 'tracker');
}

/** `ao issue new <title> [--body TEXT] [--label L...]`: prints the new issue id. */
export async function create([title, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { body?: string; label?: string[]; project?: string; json?: boolean };
  const t = await tracker(globals, flags.project);
  const issue = await t.createIssue({ title: String(title), ...(flags.body ? { body: flags.body } : {}), ...(flags.label ? { labels: flags.label } : {}) });
  print(flags.json ? JSON.stringify(issue, null, 2) : issue.id);
  return 0;
}

/** `ao issue ls [--state S] [--label L]`. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { state?: 'open' | 'closed' | 'all'; label?: string[]; project?: string; json?: boolean };
  const t = await tracker(globals, flags.project);
  const issues = await t.listIssues({ state: flags.state ?? 'open', ...(flags.label ? { labels: flags.label } : {}) });
  if (flags.json) {
    print(JSON.stringify(issues, null, 2));
    return 0;
  }
  if (!issues.length) {
    print('No issues. Create one with `ao issue new "title" --body "..."`.');
    return 0;
  }
  print(table(['id', 'state', 'title', 'labels'], issues.map((i) => [i.id, i.state, i.title, i.labels.join(',')])));
  return 0;
}
