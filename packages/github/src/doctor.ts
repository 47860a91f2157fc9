/** `ao doctor` lines for projects that use the github plugins: token, its scopes, repositories, rate limit. */
import { describeError, isAoError, type Clock, type Exec, type Logger } from '@ao/core';
import { createGitHubClient } from './client.js';
import { toAoError } from './errors.js';
import { parseRepo } from './repo.js';
import { lowWaterMark } from './rate-limit.js';

export interface GitHubDoctorCheck {
  level: 'ok' | 'warn' | 'fail';
  label: string;
  detail: string;
}

export interface GitHubDoctorOptions {
  /** `owner/name` of every repository a github plugin is configured for. */
  repos: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  exec: Exec;
  logger: Logger;
  clock: Clock;
  token?: string;
  baseUrl?: string;
}

const SOURCE_TEXT = { config: 'the config', GITHUB_TOKEN: 'GITHUB_TOKEN', GH_TOKEN: 'GH_TOKEN', gh: '`gh auth token`' } as const;

/** Never throws: every problem becomes a line saying what to do. */
export async function githubDoctorChecks(options: GitHubDoctorOptions): Promise<GitHubDoctorCheck[]> {
  const checks: GitHubDoctorCheck[] = [];
  const client = createGitHubClient(options);
  try {
    const source = await client.ensureToken();
    checks.push({ level: 'ok', label: 'github token', detail: `from ${SOURCE_TEXT[source]} (${client.baseUrl})` });
  } catch (error) {
    checks.push({ level: 'fail', label: 'github token', detail: describeError(error) });
    return checks;
  }

  try {
    const { data: user } = await client.octokit.rest.users.getAuthenticated();
    const scopes = client.scopes();
    if (scopes === undefined) {
      checks.push({ level: 'ok', label: 'github auth', detail: `${user.login} (fine-grained token: make sure it has Contents, Issues and Pull requests access to each repository)` });
    } else if (scopes.includes('repo')) {
      checks.push({ level: 'ok', label: 'github auth', detail: `${user.login}, scopes: ${scopes.join(', ')}` });
    } else {
      checks.push({
        level: scopes.includes('public_repo') ? 'warn' : 'fail',
        label: 'github auth',
        detail:
          `${user.login}: the token lacks the "repo" scope (has: ${scopes.length ? scopes.join(', ') : 'none'}), so private repositories, ` +
          'and issues and pull requests in them, are out of reach: create a token with "repo", or run `gh auth refresh -s repo`',
      });
    }
  } catch (error) {
    checks.push({ level: 'fail', label: 'github auth', detail: toAoError(error, { what: 'checking the token' }).message });
    return checks;
  }

  for (const repo of [...new Set(options.repos)]) {
    try {
      const { owner, name } = parseRepo(repo);
      const { data } = await client.octokit.rest.repos.get({ owner, repo: name });
      checks.push({ level: 'ok', label: `github ${repo}`, detail: `${data.private ? 'private' : 'public'}, default branch ${data.default_branch}` });
    } catch (error) {
      const ao = isAoError(error) ? error : toAoError(error, { what: `reading ${repo}`, repo, scopes: client.scopes() });
      checks.push({ level: 'fail', label: `github ${repo}`, detail: ao.message });
    }
  }

  try {
    const { data } = await client.octokit.rest.rateLimit.get();
    const core = data.resources.core;
    const graphql = data.resources.graphql;
    const resetAt = new Date(core.reset * 1000).toLocaleTimeString();
    const low = core.remaining < lowWaterMark(core.limit);
    checks.push({
      level: low ? 'warn' : 'ok',
      label: 'github rate limit',
      detail:
        `${core.remaining}/${core.limit} REST requests left${graphql ? `, ${graphql.remaining}/${graphql.limit} GraphQL` : ''}, resets at ${resetAt}` +
        (low ? ': ao is slowing down until then' : '') +
        (client.health() === 'degraded' ? '; recent GitHub calls failed' : ''),
    });
  } catch (error) {
    checks.push({ level: 'warn', label: 'github rate limit', detail: toAoError(error, { what: 'reading the rate limit' }).message });
  }
  return checks;
}

/**
 * One line for `ao status`: the remaining API budget and the client's health. Costs one
 * `GET /rate_limit` (which GitHub does not count against the limit). Never throws.
 */
export async function githubBudgetLine(options: Omit<GitHubDoctorOptions, 'repos'>): Promise<string> {
  const client = createGitHubClient(options);
  try {
    const { data } = await client.octokit.request('GET /rate_limit');
    const rate = client.rateLimit('core') ?? client.rateLimit();
    if (!rate) return `GitHub: ${client.health()}`;
    const reset = new Date(rate.resetAt).toLocaleTimeString();
    // GraphQL is billed in points, on a budget of its own: what PR polling spends.
    const graphql = (data as { resources?: { graphql?: { remaining: number; limit: number } } }).resources?.graphql;
    const points = graphql ? `, ${graphql.remaining}/${graphql.limit} GraphQL points` : '';
    return `GitHub: ${rate.remaining}/${rate.limit} requests left (resets ${reset})${points}, ${client.health()}`;
  } catch (error) {
    return `GitHub: unavailable (${isAoError(error) ? error.message : describeError(toAoError(error, { what: 'read the rate limit' }))})`;
  }
}
