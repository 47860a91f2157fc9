/** Tracker: where work items (issues) come from, and where ao reports back. */

export interface Issue {
  /** The tracker's id as users type it (`42`, `PROJ-7`). */
  id: string;
  title: string;
  body: string;
  labels: string[];
  assignees: string[];
  state: 'open' | 'closed';
  url?: string;
}

export interface IssueFilter {
  state?: 'open' | 'closed' | 'all';
  labels?: string[];
  assignee?: string;
  milestone?: string;
  limit?: number;
}

export interface NewIssue {
  title: string;
  body?: string;
  labels?: string[];
}

export interface Tracker {
  /** Called by `ao spawn <issue>`. Throws `ISSUE_NOT_FOUND` for an unknown id. */
  getIssue(id: string): Promise<Issue>;

  /** Called by `ao issue ls` and `ao batch-spawn --label`. */
  listIssues(filter?: IssueFilter): Promise<Issue[]>;

  /** Called by `ao issue new`. Trackers that cannot create issues throw `NOT_IMPLEMENTED`. */
  createIssue(input: NewIssue): Promise<Issue>;

  /** Called by reactions to report progress on the issue. */
  comment(id: string, body: string): Promise<void>;

  /** Called by the `merged` reaction. Closing a closed issue is not an error. */
  close(id: string): Promise<void>;
}
