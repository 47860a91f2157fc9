// The GitHub points budget in the dashboard header, in real Chromium: a real daemon (`ao start`)
// whose project uses scm-github against the testkit's fake GitHub (GraphQL executed against
// GitHub's published schema, points charged by GitHub's formula). Before ao has read any PR the
// line is hidden; once the daemon polled a session's PR the open page shows, without a reload,
// points left of the limit, the reset time, how often PRs are checked and whether webhooks are on —
// the figures of GET /api/status.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentArgv } from '@ao/testkit/fake-agent';
import { startFakeGitHub, type FakeGitHub } from '@ao/testkit/fake-github';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAoAsync } from '../../cli/test/run-ao.js';
import { createSessionEnv, type SessionEnv } from '../../cli/test/session-env.js';
import { launchBrowser } from './browser.js';

let env: SessionEnv;
let gh: FakeGitHub;
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let aoEnv: Record<string, string>;

// Async: the fake GitHub answers from this process, so a synchronous child would deadlock it.
const ao = (...args: string[]) => runAoAsync(args, { cwd: env.repo, env: aoEnv });

interface Status {
  github?: { budgets: { baseUrl: string; budget: { limit?: number; remaining?: number; resetAt?: number; pacing: string } }[]; webhooks: { enabled: boolean } };
}

beforeAll(async () => {
  env = await createSessionEnv();
  gh = await startFakeGitHub({ rateLimit: 5000 });
  gh.addRepo('acme/app');
  aoEnv = { AO_HOME: env.home, GITHUB_API_URL: gh.url, GITHUB_TOKEN: gh.token };
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
      'lifecycle: { autoOpenPr: false }',
      'dashboard: { port: 0 }',
    ].join('\n'),
  );
  const started = await ao('start', '--no-orchestrator');
  if (started.code !== 0) throw new Error(`ao start failed: ${started.stdout}${started.stderr}`);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ao('stop', '--force');
  await env.cleanup();
  await gh.close();
});

describe('GitHub budget in the dashboard header', () => {
  it('is hidden until ao reads GitHub, then shows points left, reset, pace and webhooks from /api/status', async () => {
    const url = (await ao('dashboard')).stdout.trim();
    const page = await browser!.context.newPage();
    await page.goto(url);
    const line = page.locator('#github-budget');
    await line.and(page.locator('[data-loaded="true"]')).waitFor({ state: 'attached' });
    expect(await line.isHidden()).toBe(true);

    // A session with a PR on GitHub: the daemon's poll reads it and learns the budget.
    const spawned = await ao('spawn', '--prompt', 'build it');
    expect(spawned.code, spawned.stderr).toBe(0);
    const id = spawned.stdout.trim().split('\n').pop()!.trim();
    const opened = await ao('pr', 'open', id);
    expect(opened.code, opened.stderr).toBe(0);
    const status = async () => JSON.parse((await ao('daemon', 'status', '--json')).stdout) as Status;
    await vi.waitFor(async () => expect((await status()).github?.budgets[0]?.budget.remaining).toBeTypeOf('number'), { timeout: 30_000, interval: 200 });
    const { budget } = (await status()).github!.budgets[0]!;
    expect(budget.remaining).toBeLessThan(5000);

    // The open page follows by itself: the poll that read the PR changed the session's status.
    await line.waitFor({ state: 'visible', timeout: 30_000 });
    const text = (await line.textContent()) ?? '';
    // The fake is not api.github.com, so its host is named (as a GitHub Enterprise Server's would be).
    const host = new URL(gh.url).host;
    expect(text.startsWith(`GitHub ${host}: `), text).toBe(true);
    const shown = Number(/: ([\d,]+)\/5,000 points/.exec(text)?.[1]?.replace(/,/g, ''));
    // The figure is one the daemon reported: the page read it at some poll, so it is no older than
    // the first budget (< 5,000) and no newer than the daemon's latest (points only go down).
    const latest = (await status()).github!.budgets[0]!.budget.remaining!;
    expect(shown).toBeLessThan(5000);
    expect(shown).toBeGreaterThanOrEqual(latest);
    expect(shown).toBeGreaterThan(4000);
    expect(text).toMatch(/, resets \d\d:\d\d · PRs every poll · webhooks off$/);
    expect(await line.getAttribute('title')).toMatch(/points per poll, 1 pull request\(s\) tracked\nWebhooks off: set AO_GITHUB_WEBHOOK_SECRET/);
    await page.close();
  }, 90_000);
});
