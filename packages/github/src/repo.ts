/** `owner/name` repository references, validated once so every URL built from them is safe. */
import { AoError, z } from '@ao/core';

/** GitHub's own rules: owners are alphanumeric with inner dashes; repo names add `.` and `_`. */
const REPO_PATTERN = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/;

export interface RepoRef {
  owner: string;
  name: string;
  /** `owner/name`, as users write it. */
  fullName: string;
}

/** The `repo:` key of the github plugins' config. */
export const RepoSchema = z
  .string()
  .trim()
  .regex(REPO_PATTERN, 'expected "owner/name", e.g. "octocat/hello-world"')
  .refine((s) => !s.endsWith('/.') && !s.endsWith('/..'), 'expected "owner/name", e.g. "octocat/hello-world"');

export function parseRepo(fullName: string): RepoRef {
  const match = REPO_PATTERN.exec(fullName.trim());
  if (!match || match[2] === '.' || match[2] === '..') {
    throw new AoError('USAGE', `"${fullName}" is not a GitHub repository: write it as owner/name, e.g. octocat/hello-world.`);
  }
  return { owner: match[1]!, name: match[2]!, fullName: `${match[1]}/${match[2]}` };
}

/**
 * The `owner/name` of a GitHub remote URL (https, ssh or scp-like), or undefined for anything else.
 * Used by `ao init` to offer the github plugins.
 */
export function repoFromRemoteUrl(url: string, host = 'github.com'): string | undefined {
  const escaped = host.replace(/[.]/g, '\\.');
  const match = new RegExp(`^(?:https?://(?:[^@/]+@)?|ssh://(?:[^@/]+@)?|[^@/]+@)${escaped}(?::\\d+)?[:/]([^/]+)/([^/]+?)(?:\\.git)?/?$`).exec(
    url.trim(),
  );
  if (!match) return undefined;
  const full = `${match[1]}/${match[2]}`;
  return REPO_PATTERN.test(full) ? full : undefined;
}
