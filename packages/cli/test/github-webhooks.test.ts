// GitHub webhooks end to end: a real daemon (`ao start`) polling the fake GitHub with scm-github,
// a session with a PR, and signed deliveries to POST /webhooks/github. A check_run event makes
// the daemon poll at once (its own poll interval is an hour), see the failing check and send the
// failure to the agent. A wrong signature (401), a replay (409), an unsigned or browser request
// change nothing.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAoAsync } from './run-ao.js';
import { createSessionEnv, type SessionEnv } from './session-env.js';

const SECRET = 'webhook-secret-for-tests';
let env: SessionEnv;
let gh: FakeGitHub;
let aoEnv: Record<string, string>;

beforeEach(async () => {
  env = await createSessionEnv();
  gh = await startFakeGitHub();
  gh.addRepo('acme/app');
  aoEnv = { AO_HOME: env.home, GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token, AO_GITHUB_WEBHOOK_SECRET: SECRET };
  writeFileSync(
    join(env.repo, 'agent-orchestrator.yaml'),
    [
      'defaults:',
      '  runtime: tmux',
      '  agent: fake',
      'projects:',
      '  app:',
      '    path: .',
      '    defaultBranch: main',
      '    scm: { plugin: github, repo: acme/app }',
      'agents:',
      `  fake: { command: ${JSON.stringify(fakeAgentArgv(['--log', env.log]))}, prompt: arg }`,
      // Only a trigger polls: the hour-long interval never comes round during the test.
      'lifecycle: { pollIntervalMs: 3600000, autoOpenPr: false }',
      'dashboard: { port: 0 }',
    ].join('\n'),
  );
});

afterEach(async () => {
  await runAoAsync(['stop'], { cwd: env.repo, env: aoEnv });
  await env.cleanup();
  await gh.close();
});

// Async: the fake GitHub answers from this process, so a synchronous child would deadlock it.
const ao = (...args: string[]) => runAoAsync(args, { cwd: env.repo, env: aoEnv });
const status = async () => JSON.parse((await ao('daemon', 'status', '--json')).stdout) as { url: string; lifecycle: { polls: number; lastTrigger: string | null } };

interface Answer {
  status: number;
  json(): Promise<unknown>;
}

/** node:http, not fetch: fetch will not send a Host of our choosing, and a tunnel's is foreign. */
function post(url: string, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function deliver(url: string, event: string, payload: unknown, options: { secret?: string; delivery?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = JSON.stringify(payload);
  return post(
    url,
    '/webhooks/github',
    {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', options.secret ?? SECRET).update(body).digest('hex')}`,
      // What a tunnel forwards: GitHub addressed the tunnel's public name, not 127.0.0.1.
      host: 'ao-hooks.example.trycloudflare.com',
      ...options.headers,
    },
    body,
  );
}

describe('POST /webhooks/github', () => {
  it('a signed check_run event makes the daemon poll now and send the CI failure; bad signatures and replays are refused', async () => {
    const id = (await ao('spawn', '--prompt', 'build the feature')).stdout.trim().split('\n').pop()!.trim();
    const opened = await ao('pr', 'open', id, '--json');
    expect(opened.code).toBe(0);
    const prNumber = 1;
    expect(gh.pullRequest('acme/app', prNumber).head).toMatch(id);
    expect((await ao('start', '--no-orchestrator')).code).toBe(0);
    const { url } = await status();
    await vi.waitFor(async () => expect((await status()).lifecycle.polls).toBeGreaterThanOrEqual(1), { timeout: 20_000, interval: 100 });
    const { polls, lastTrigger } = (await status()).lifecycle;

    // CI fails on GitHub; nothing polls for an hour unless GitHub tells the daemon.
    const sha = gh.pullRequest('acme/app', prNumber).headSha;
    gh.setCheckRuns('acme/app', sha, [{ id: 4242, name: 'unit', status: 'completed', conclusion: 'failure', log: 'FAIL src/auth.test.ts\n  expected 200, got 500\n' }]);
    const event = { action: 'completed', check_run: { id: 4242, head_sha: sha, status: 'completed', conclusion: 'failure', pull_requests: [{ number: prNumber }] }, repository: { full_name: 'acme/app' } };

    const forged = await deliver(url, 'check_run', event, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_SIGNATURE');
    const unsigned = await post(url, '/webhooks/github', { 'content-type': 'application/json', 'x-github-event': 'check_run' }, JSON.stringify(event));
    expect(unsigned.status).toBe(401);
    expect((await deliver(url, 'check_run', event, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await status()).lifecycle).toMatchObject({ polls, lastTrigger });

    const delivery = randomUUID();
    const accepted = await deliver(url, 'check_run', event, { delivery });
    expect(accepted.status).toBe(202);
    await vi.waitFor(() => expect(env.received().join('\n')).toContain('expected 200, got 500'), { timeout: 30_000, interval: 200 });
    expect(env.received().join('\n')).toContain('Failing checks: unit');
    expect((await status()).lifecycle.lastTrigger).toBe(`github webhook check_run #${prNumber}`);

    // The same delivery again, or the same signed body under a new delivery id: replays.
    expect((await deliver(url, 'check_run', event, { delivery })).status).toBe(409);
    expect((await deliver(url, 'check_run', event)).status).toBe(409);

    const shown = await ao('daemon', 'status');
    expect(shown.stdout).toMatch(/webhooks: +on, 1 received \(last: check_run, .* ago\), 5 refused/);
    expect(shown.stdout).toMatch(/github: +\d+\/5000 GraphQL points left .*, ~\d+(\.\d)? points\/poll, 1 PRs checked every 60 s \(webhooks flowing\)/);
    expect(readFileSync(join(env.home, 'logs', 'daemon.log'), 'utf8')).not.toContain(SECRET);
  }, 90_000);

  it('is off (404) without AO_GITHUB_WEBHOOK_SECRET, and other routes still need the token', async () => {
    delete aoEnv.AO_GITHUB_WEBHOOK_SECRET;
    expect((await ao('start', '--no-orchestrator')).code).toBe(0);
    const { url } = await status();
    const off = await deliver(url, 'ping', { zen: 'hi' });
    expect(off.status).toBe(404);
    expect(((await off.json()) as { error: { message: string } }).error.message).toMatch(/AO_GITHUB_WEBHOOK_SECRET/);
    // The exemption is this one route: a neighbour gets the usual checks.
    expect((await post(url, '/webhooks/github/x', { 'content-type': 'application/json' }, '{}')).status).toBe(401);
    // ... and with a foreign Host (a rebinding page), the Host check answers first.
    expect((await post(url, '/api/sessions', { 'content-type': 'application/json', host: 'evil.example' }, '{}')).status).toBe(421);
    expect((await ao('daemon', 'status')).stdout).not.toMatch(/webhooks:/);
  }, 60_000);
});
