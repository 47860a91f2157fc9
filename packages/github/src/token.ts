/**
 * Where the GitHub token comes from: the config, `GITHUB_TOKEN` / `GH_TOKEN`, else the GitHub CLI's
 * stored login (`gh auth token`). The token is only ever held in memory: never written to disk,
 * never put in an error message or a log line.
 */
import { AoError, isOnPath, type Exec } from '@ao/core';

export type TokenSource = 'config' | 'GITHUB_TOKEN' | 'GH_TOKEN' | 'gh';

export interface ResolvedToken {
  token: string;
  source: TokenSource;
}

/** The public API; anything else is GitHub Enterprise (or a test server). */
export const DEFAULT_API_URL = 'https://api.github.com';

/** The web host gh knows a server by: `api.github.com` → `github.com`, `ghe.corp/api/v3` → `ghe.corp`. */
export function hostOfApiUrl(baseUrl: string): string {
  const host = new URL(baseUrl).host;
  return host === 'api.github.com' ? 'github.com' : host;
}

/** The token a client would use without asking gh: explicit, then the env vars. */
export function tokenFromEnv(explicit: string | undefined, env: Readonly<Record<string, string | undefined>>): ResolvedToken | undefined {
  if (explicit?.trim()) return { token: explicit.trim(), source: 'config' };
  if (env.GITHUB_TOKEN?.trim()) return { token: env.GITHUB_TOKEN.trim(), source: 'GITHUB_TOKEN' };
  if (env.GH_TOKEN?.trim()) return { token: env.GH_TOKEN.trim(), source: 'GH_TOKEN' };
  return undefined;
}

export function noTokenError(baseUrl: string, why?: string): AoError {
  return new AoError(
    'GITHUB_AUTH',
    `No GitHub token${why ? ` (${why})` : ''}: export GITHUB_TOKEN=<a token with the "repo" scope> ` +
      `(create one at https://${hostOfApiUrl(baseUrl)}/settings/tokens), or install the GitHub CLI and run \`gh auth login\`.`,
    { details: { baseUrl } },
  );
}

/** Resolves the token or throws `GITHUB_AUTH` saying how to provide one. */
export async function resolveToken(options: {
  token?: string;
  baseUrl: string;
  env: Readonly<Record<string, string | undefined>>;
  exec: Exec;
}): Promise<ResolvedToken> {
  const direct = tokenFromEnv(options.token, options.env);
  if (direct) return direct;
  if (!isOnPath('gh', options.env)) throw noTokenError(options.baseUrl, 'GITHUB_TOKEN and GH_TOKEN are unset and gh is not installed');
  const host = hostOfApiUrl(options.baseUrl);
  const result = await options.exec('gh', ['auth', 'token', '--hostname', host], { reject: false, timeoutMs: 10_000 });
  const token = result.stdout.trim();
  if (result.exitCode !== 0 || !token) throw noTokenError(options.baseUrl, `gh is not logged in to ${host}`);
  return { token, source: 'gh' };
}
