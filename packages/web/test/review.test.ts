import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.js';
import { startDaemonEnv, until, type DaemonEnv } from './daemon-env.js';

// Reviewing a pull request from the dashboard, in real Chromium against a real daemon: the full
// diff, a comment on one line, request changes (the agent gets the comment with file and line),
// then approve.
let env: DaemonEnv;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let id: string;

beforeAll(async () => {
  env = await startDaemonEnv();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  const spawned = env.ao('spawn', '--json', '--prompt', 'write calc');
  expect(spawned.code, spawned.stderr).toBe(0);
  const session = JSON.parse(spawned.stdout) as { id: string; workspacePath: string };
  id = session.id;
  // The agent's work: a new file, committed on the session's branch.
  mkdirSync(join(session.workspacePath, 'src'), { recursive: true });
  writeFileSync(join(session.workspacePath, 'src', 'calc.js'), 'export function add(a, b) {\n  return a - b;\n}\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: session.workspacePath, stdio: 'pipe' });
  git('add', 'src/calc.js');
  git('-c', 'user.name=agent', '-c', 'user.email=agent@example.invalid', 'commit', '-m', 'add()');
  const pr = env.ao('pr', 'open', id);
  expect(pr.code, pr.stderr).toBe(0);
  await page.goto(`${env.url}/?token=${env.token}#/s/${id}`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

describe('review in the dashboard', () => {
  it('shows the full diff of the PR, per file, with the changed lines highlighted', async () => {
    const review = page.locator('section.review');
    await review.waitFor({ state: 'visible', timeout: 15_000 });
    await review.getByRole('button', { name: 'Show the full diff' }).click();
    const file = review.locator('.d2h-file-wrapper');
    await file.waitFor({ timeout: 10_000 });
    expect(await file.locator('.d2h-file-name').textContent()).toContain('src/calc.js');
    expect(await file.locator('td.d2h-ins .d2h-code-line-ctn').allTextContents()).toEqual(['export function add(a, b) {', '  return a - b;', '}']);
  });

  it('a comment on a line reaches the agent with its file and line when changes are requested', async () => {
    const review = page.locator('section.review');
    // Line 2 of the new file.
    await review.locator('td.d2h-code-linenumber', { has: page.locator('.line-num2', { hasText: /^\s*2\s*$/ }) }).click();
    await review.getByLabel('Comment on src/calc.js:2').fill('add() subtracts: use a + b');
    await review.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(() => review.locator('.pending-comments li').allTextContents()).toEqual([expect.stringContaining('src/calc.js:2 add() subtracts: use a + b')]);
    await review.locator('#review-body').fill('One bug, see the line comment.');
    await review.getByRole('button', { name: 'Request changes' }).click();
    await expect.poll(() => review.locator('.outcome').textContent(), { timeout: 10_000 }).toContain('Changes requested with 1 line comment');
    await until(
      () => env.received().some((t) => t.includes('src/calc.js:2') && t.includes('add() subtracts: use a + b') && t.includes('One bug, see the line comment.')),
      20_000,
      'the review comments at the agent',
    );
  });

  it('approves from the page', async () => {
    const review = page.locator('section.review');
    await review.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => review.locator('.outcome').textContent(), { timeout: 10_000 }).toContain('Approved (review: approved)');
    const detail = (await (await env.api(`/api/sessions/${id}/pr`)).json()) as { review?: { decision: string } };
    expect(detail.review?.decision).toBe('approved');
  });

  it('refuses a malformed review with 400 and says what was expected', async () => {
    const bad = await env.api(`/api/sessions/${id}/review`, { method: 'POST', body: JSON.stringify({ decision: 'request-changes', comments: [{ path: 'a.js' }] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('Invalid request body: comments.0.line: Required; comments.0.body: Required');
  });
});
