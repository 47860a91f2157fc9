// The plan view in real Chromium against a real daemon: a diamond plan run with the fake agent is
// drawn as a graph (columns by depth, an arrow per dependency, each step's state and sessions), and
// a step that fails elsewhere (the CLI kills its session and advances the plan) shows live.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.js';
import { startDaemonEnv, until, type DaemonEnv } from './daemon-env.js';

let env: DaemonEnv;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  env = await startDaemonEnv();
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

interface Plan {
  id: string;
  state: string;
  steps: { id: string; state: string; runs: { sessionId: string }[] }[];
}

const showPlan = (id: string): Plan => {
  const r = env.ao('plan', 'show', id, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
};
const stepState = (step: string): Promise<string | null> => page.locator(`[data-step="${step}"]`).getAttribute('data-state');

describe('dashboard plan view', () => {
  it('draws a diamond plan with its states and sessions, serves /api/plans, and shows a step failing live', async () => {
    const file = join(env.home, '..', 'diamond.plan.yaml');
    writeFileSync(
      file,
      ['name: diamond', 'steps:', '  - id: a', '    prompt: a', '  - id: b', '    dependsOn: [a]', '    prompt: b', '  - id: c', '    dependsOn: [a]', '    prompt: c', '  - id: d', '    dependsOn: [b, c]', '    prompt: d', ''].join('\n'),
    );
    const run = env.ao('plan', 'run', file);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect(id).toBe('diamond-1');

    // The routes read the plan store: the same record as `ao plan show --json`.
    const listed = (await (await env.api('/api/plans')).json()) as { plans: Plan[] };
    expect(listed.plans.map((p) => p.id)).toEqual([id]);
    const one = (await (await env.api(`/api/plans/${id}`)).json()) as Plan;
    expect(one.steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd']);
    const missing = await env.api('/api/plans/nope-1');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('PLAN_NOT_FOUND');
    // The dashboard's routes are read-only: another method is a 405 naming the one allowed, in the one error shape.
    const post = await env.api(`/api/plans/${id}`, { method: 'POST', body: '{}' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET']);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');

    await page.goto(`${env.url}/?token=${env.token}`);
    await page.waitForSelector('#conn[data-state="live"]');
    await page.click('nav a[data-nav="plans"]');
    await page.waitForSelector(`tr[data-plan="${id}"]`);
    await page.click(`tr[data-plan="${id}"] a`);
    expect(page.url()).toContain(`#/plans/${id}`);
    await page.waitForSelector('[data-step="d"]');

    // Steps in columns by depth; one arrow per dependency.
    const columns = await page.$$eval('.plan-column', (cols) => cols.map((c) => [...c.querySelectorAll('[data-step]')].map((s) => (s as HTMLElement).dataset.step)));
    expect(columns).toEqual([['a'], ['b', 'c'], ['d']]);
    expect((await page.$$eval('.plan-edges path', (ps) => ps.map((p) => p.getAttribute('data-edge')))).sort()).toEqual(['a->b', 'a->c', 'b->d', 'c->d']);
    expect(['queued', 'running']).toContain(await stepState('a'));
    for (const step of ['b', 'c', 'd']) expect(await stepState(step)).toBe('pending');
    // A's session links to its session page.
    const a = showPlan(id).steps[0]!.runs[0]!.sessionId;
    expect(await page.locator(`[data-step="a"] a[data-session="${a}"]`).getAttribute('href')).toBe(`#/s/${a}`);

    // Elsewhere, A's session is stopped and the plan advanced: A failed, so B, C and D (which need
    // their dependencies merged) are skipped. The open page shows it without a reload.
    const statusOf = (sessionId: string): string | undefined => (JSON.parse(env.ao('session', 'ls', '--json').stdout) as { id: string; status: string }[]).find((s) => s.id === sessionId)?.status;
    await until(() => statusOf(a) === 'working', 30_000, 'the daemon to start step a');
    expect(env.ao('session', 'kill', a).code).toBe(0);
    expect(env.ao('lifecycle', 'poll').code).toBe(0);
    await page.waitForSelector('[data-step="a"][data-state="failed"]');
    for (const step of ['b', 'c', 'd']) await page.waitForSelector(`[data-step="${step}"][data-state="skipped"]`);
    await page.waitForSelector('.title-row[data-state="failed"]');
    expect(await page.locator('[data-step="b"]').textContent()).toContain('a ended failed');
  }, 120_000);
});
