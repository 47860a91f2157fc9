import { daemonRequest, resolvePaths } from '@ao/core';
import { budgetFacts, githubStatusShown, type GitHubStatus } from '@ao/github/budget';
import type { GlobalOptions } from '../context.js';
import { age } from '../sessions.js';
import { color, print, printErr } from '../render.js';

interface StatusBody {
  pid: number;
  url: string;
  startedAt: string;
  uptimeMs: number;
  version: string;
  lifecycle?: { running?: boolean; lastPollAt?: string | null; lastPollOk?: boolean | null; lastPollResult?: unknown; lastPollError?: string | null; polls?: number };
  orchestrator?: { state: string; sessionId?: string; error?: string; reason?: string };
  sessions?: { total: number };
  github?: GitHubStatus;
}

/** `ao daemon status [--json]`: running or not, pid, url, uptime, last lifecycle poll. Exit 1 when not running. */
export async function run([opts]: unknown[], _globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean };
  const paths = resolvePaths(process.env);
  const { daemonState, removeStaleDaemonInfo } = await import('@ao/daemon/client');
  const state = daemonState(paths);
  if (state.state !== 'running') {
    if (state.state === 'stale') printErr(color.dim(removeStaleDaemonInfo(paths, state)));
    if (flags.json) print(JSON.stringify({ running: false, ...(state.state === 'stale' ? { stalePid: state.info.pid } : {}) }));
    else print('ao daemon is not running (start it with `ao start`)');
    return 1;
  }
  const s = await daemonRequest<StatusBody>(paths, '/api/status', { timeoutMs: 5_000 });
  if (flags.json) {
    print(JSON.stringify(s, null, 2));
    return 0;
  }
  const lc = s.lifecycle ?? {};
  const poll = lc.lastPollAt
    ? `${age(lc.lastPollAt)} ago, ${lc.lastPollOk === false ? color.red(`failed: ${lc.lastPollError ?? 'unknown error'}`) : color.green('ok')}${summary(lc.lastPollResult)}`
    : 'not yet';
  const o = s.orchestrator;
  const orch = !o ? '-' : o.state === 'running' ? `${o.sessionId ?? '?'}` : o.state === 'failed' ? color.yellow(`failed: ${o.error ?? ''}`) : o.state === 'disabled' ? `off (${o.reason ?? ''})` : o.state;
  print(`${color.green('running')}  pid ${s.pid}  ${s.url}`);
  print(`uptime:       ${age(s.startedAt)}`);
  print(`last poll:    ${poll}${lc.polls !== undefined ? ` (${lc.polls} polls)` : ''}`);
  print(`orchestrator: ${orch}`);
  if (s.sessions) print(`sessions:     ${s.sessions.total}`);
  for (const line of githubLines(s.github)) print(line);
  print(`version:      ${s.version}`);
  return 0;
}

/** The GraphQL points budget of each GitHub client the daemon polls with, and the webhook receiver. */
export function githubLines(github: GitHubStatus | undefined): string[] {
  if (!githubStatusShown(github)) return [];
  const lines = github.budgets.map(({ baseUrl, budget }) => {
    const f = budgetFacts(baseUrl, budget);
    const left = f.points ? `${f.points.remaining}/${f.points.limit} GraphQL points left` : 'GraphQL budget not read yet';
    const reset = f.resetAt ? ` (resets ${f.resetAt.toLocaleTimeString()})` : '';
    const pace = f.slowedBy ? `every ${f.everySeconds} s (${f.slowedBy === 'budget' ? color.yellow('budget low') : 'webhooks flowing'})` : 'every poll';
    const host = f.host ? ` [${baseUrl}]` : '';
    return `github:       ${left}${reset}, ~${f.pointsPerPoll} points/poll, ${f.trackedPullRequests} PRs checked ${pace}${host}`;
  });
  const w = github.webhooks;
  lines.push(
    `webhooks:     ${
      w.enabled
        ? `on, ${w.accepted} received${w.lastEvent && w.lastAt ? ` (last: ${w.lastEvent}, ${age(w.lastAt)} ago)` : ''}${w.refused ? `, ${color.yellow(`${w.refused} refused`)}` : ''}`
        : 'off (set AO_GITHUB_WEBHOOK_SECRET, see docs/webhooks.md)'
    }`,
  );
  return lines;
}

function summary(result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const parts = Object.entries(result as Record<string, unknown>)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .slice(0, 6)
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
