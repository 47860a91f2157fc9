import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApprovalStore, createSessionStore, resolvePaths, systemClock } from '@ao/core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runAo } from '../../cli/test/run-ao.js';
import { launchBrowser } from './browser.js';
import { startDaemonEnv, until, type DaemonEnv } from './daemon-env.js';

// The docs' screenshots are rewritten only when asked (AO_UPDATE_SCREENSHOTS=1): a test run must not
// change tracked files. Otherwise they go to a temp dir, and the test still checks each page renders.
const SCREENSHOTS = process.env.AO_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), `ao-screenshots-${process.pid}`);

let env: DaemonEnv;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let page: Page;
let sessionId: string;

beforeAll(async () => {
  env = await startDaemonEnv();
  browser = await launchBrowser();
  context = browser.context;
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
  if (!process.env.AO_UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

/** Resolves with the HTTP status the server answered a WebSocket upgrade with (101 = opened). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', (error) => reject(error));
  });
}

/** The approval queue the daemon reads, with its session store (each change is logged there). */
const approvalStore = () => {
  const paths = resolvePaths({ AO_HOME: env.home });
  return createApprovalStore({ paths, clock: systemClock, sessions: createSessionStore(paths) });
};

const spawnFromCli = (...args: string[]): string => {
  const r = env.ao('spawn', '--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { id: string }).id;
};

describe('dashboard', () => {
  it('answers 401 without the token, for pages, the API and the terminal WebSocket', async () => {
    for (const path of ['/', '/index.html', '/api/sessions', '/metrics', '/api/metrics']) {
      const res = await fetch(new URL(path, env.url));
      expect(res.status, path).toBe(401);
      await res.arrayBuffer();
    }
    const wsUrl = `${env.url.replace('http', 'ws')}/api/sessions/x-1/terminal`;
    expect(await upgradeStatus(wsUrl)).toBe(401);
    expect(await upgradeStatus(`${wsUrl}?token=wrong`)).toBe(401);
    expect(await upgradeStatus(wsUrl, { cookie: 'ao_token=wrong' })).toBe(401);
  });

  it('loads with the token URL, which becomes a cookie and leaves the address bar', async () => {
    const printed = env.ao('dashboard');
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(`${env.url}/?token=${env.token}`);
    await page.goto(printed.stdout.trim());
    expect(new URL(page.url()).search).toBe('');
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.locator('h2#g-attention').textContent()).toContain('Needs you');
    const cookies = await context.cookies(env.url);
    expect(cookies.find((c) => c.name === 'ao_token')?.httpOnly).toBe(true);
    // The app's own requests work on the cookie alone.
    expect(await page.evaluate(async () => (await fetch('/api/sessions')).status)).toBe(200);
  });

  it('shows a session spawned from the CLI live, without a reload', async () => {
    await page.evaluate(() => {
      const w = window as unknown as { __seen: Record<string, number> };
      w.__seen = {};
      new MutationObserver(() => {
        for (const tr of document.querySelectorAll<HTMLElement>('tr[data-session]')) w.__seen[tr.dataset.session as string] ??= Date.now();
      }).observe(document.body, { subtree: true, childList: true });
    });
    sessionId = spawnFromCli('--prompt', 'hello from the test');
    const row = page.locator(`tr[data-session="${sessionId}"]`);
    await row.waitFor({ timeout: 5000 });
    const created = (JSON.parse(env.ao('session', 'ls', '--json').stdout) as { id: string; createdAt: string }[]).find((s) => s.id === sessionId)?.createdAt as string;
    const seenAt = (await page.evaluate((id) => (window as unknown as { __seen: Record<string, number> }).__seen[id], sessionId)) as number;
    // Seen without a reload, pushed by the event stream. How fast is a figure of scripts/bench/dashboard,
    // not an assertion: a loaded CI machine would turn a time limit into a flake.
    expect(seenAt).toBeGreaterThanOrEqual(Date.parse(created));
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 10_000 }).toBe('working');
    expect(await row.locator('.c-agent').textContent()).toBe('fake');
  });

  it('sends a multi-line message with quotes from the session page, delivered literally', async () => {
    await page.click(`a.sid[href="#/s/${sessionId}"]`);
    await page.waitForSelector('textarea#message');
    const message = `first line with "double" and 'single' quotes\nsecond $(not a command) \`x\``;
    await page.fill('textarea#message', message);
    await page.click('form.send button[type=submit]');
    await until(() => env.received().includes(message), 10_000, 'the fake agent to receive the message');
    await expect.poll(() => page.locator('form.send .outcome').textContent()).toContain('Sent');
    // The timeline got the message.sent event live.
    await page.locator('.timeline li[data-type="message.sent"]').first().waitFor({ timeout: 5000 });
  });

  it('attaches the web terminal: typed keys reach the agent and its echo shows', async () => {
    await page.waitForSelector('.term-screen[data-state="attached"]', { timeout: 10_000 });
    await page.click('.term-screen');
    await page.keyboard.type('typed-in-browser');
    await expect.poll(() => page.locator('.term-screen .xterm-rows').textContent(), { timeout: 10_000 }).toContain('typed-in-browser');
    await page.keyboard.press('Enter');
    await until(() => env.received().includes('typed-in-browser'), 10_000, 'the agent to receive the typed line');
    await expect.poll(() => page.locator('.term-screen .xterm-rows').textContent(), { timeout: 10_000 }).toContain('received: typed-in-browser');
  });

  it('shows an approval requested and rejected elsewhere live, from its events alone', async () => {
    // The page reads the queue once as the approvals page opens; from then on it must learn of
    // approvals from the event stream, not by asking the queue again.
    const opened = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/approvals');
    await page.click('a[data-nav="approvals"]');
    await opened;
    await page.waitForSelector('#conn[data-state="live"]');
    await expect.poll(() => page.locator('.approvals .empty').count()).toBe(1);
    const asked: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/approvals') asked.push(r.url());
    });
    const { approval } = await approvalStore().create({
      key: `test:${sessionId}:live`,
      project: 'app',
      sessionId,
      action: { type: 'merge', payload: { prId: '7' } },
      reason: 'asked while the page was open',
      reaction: 'test',
    });
    const card = page.locator(`[data-approval="${approval.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.textContent()).toContain('merge PR #7');
    await expect.poll(() => page.locator('#approval-count').textContent()).toBe('1');
    const rejected = env.ao('approvals', 'reject', approval.id, '-m', 'not this one');
    expect(rejected.code, rejected.stderr).toBe(0);
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => page.locator('.decided li[data-status="rejected"]').textContent()).toContain('merge PR #7');
    expect(asked).toEqual([]);
    // ao session events shows both changes.
    const events = env.ao('session', 'events', sessionId, '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data?: { id?: string } });
    expect(events.filter((e) => e.data?.id === approval.id).map((e) => e.type)).toEqual(['approval.requested', 'approval.rejected']);
  });

  it('the client finds approvals by event type, not by sniffing payloads for "approval"', () => {
    const dir = fileURLToPath(new URL('../src/client/', import.meta.url));
    const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    for (const f of sources) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/JSON\.stringify\([^)]*\)\.includes\(/);
  });

  it('approves a pending approval from the page; the held action runs', async () => {
    const approvals = approvalStore();
    const text = 'approved message from the queue';
    const { approval } = await approvals.create({
      key: `test:${sessionId}:1`,
      project: 'app',
      sessionId,
      action: { type: 'send', payload: { message: text } },
      reason: 'the test wants a human to agree',
      reaction: 'test',
    });
    await page.click('a[data-nav="approvals"]');
    const card = page.locator(`[data-approval="${approval.id}"]`);
    await card.waitFor();
    await expect.poll(() => page.locator('#approval-count').textContent()).toBe('1');
    await card.locator('button[data-approve]').click();
    await until(() => env.received().includes(text), 10_000, 'the approved send to arrive');
    await card.waitFor({ state: 'detached' });
    expect((await approvals.get(approval.id)).status).toBe('approved');
    await expect.poll(() => page.locator('.decided li[data-status="approved"]').count()).toBe(1);
  });

  it('kills and restores from the session page', async () => {
    await page.goto(`${env.url}/#/s/${sessionId}`);
    const badge = page.locator('.session-head .status');
    await expect.poll(() => badge.textContent()).toBe('working');
    await page.click('button:has-text("Kill")');
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toBe('killed');
    await page.click('button:has-text("Restore")');
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toBe('working');
  });

  it('serves metrics as JSON and Prometheus text, and a diff stat', async () => {
    const json = (await (await env.api('/api/metrics')).json()) as { sessions: { total: number }; spawnMs: { count: number; p50: number | null } };
    expect(json.sessions.total).toBeGreaterThanOrEqual(1);
    expect(json.spawnMs.count).toBeGreaterThanOrEqual(1);
    const text = await (await env.api('/metrics')).text();
    expect(text).toContain('ao_sessions{status="working"} 1');
    expect(text).toContain('ao_spawn_latency_seconds_count');
    const diff = (await (await env.api(`/api/sessions/${sessionId}/diffstat`)).json()) as { base: string; files: unknown[] };
    expect(diff.base).toBe('main');
    expect(Array.isArray(diff.files)).toBe(true);
  });

  it("shows a message from another session in the timeline: who wrote it, the crew, the text", async () => {
    await page.goto(`${env.url}/#/s/${sessionId}`);
    await page.locator('.timeline li').first().waitFor();
    const other = spawnFromCli('--prompt', 'the other half');
    expect(env.ao('crew', 'create', 'pair', '--goal', 'pair up', sessionId, other).code).toBe(0);
    // Sent from inside the other session, as its agent would (AO_SESSION_ID is in every session's env).
    const sent = runAo(['crew', 'send', 'pair', 'rebase on main please'], { cwd: env.repo, env: { AO_HOME: env.home, AO_SESSION_ID: other } });
    expect(sent.code, sent.stderr).toBe(0);
    await until(() => env.received().includes(`[from ${other} in crew pair] rebase on main please`), 10_000, 'the message to arrive');
    const item = page.locator('.timeline li[data-type="message.received"]').first();
    await expect.poll(() => item.textContent(), { timeout: 10_000 }).toContain(`from ${other} (crew pair): “rebase on main please”`);
    expect(env.ao('session', 'kill', other).code).toBe(0);
  });

  it('saves screenshots of the main pages at 1280 px and 390 px', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    spawnFromCli('--prompt', 'second task');
    // One more pending approval so the queue and the "needs you" group have something to show.
    await approvalStore().create({
      key: `test:${sessionId}:merge`,
      project: 'app',
      sessionId,
      action: { type: 'merge', payload: { prId: '1' } },
      reason: 'PR #1 is approved, CI is green and it merges cleanly',
      reaction: 'approved-and-green',
    });
    for (const [width, height, suffix] of [
      [1280, 860, 'desktop'],
      [390, 844, 'phone'],
    ] as const) {
      const p = await context.newPage();
      await p.setViewportSize({ width, height });
      await p.goto(`${env.url}/#/`);
      await p.waitForSelector('#conn[data-state="live"]');
      await p.waitForSelector(`tr[data-session="${sessionId}"]`);
      await p.screenshot({ path: join(SCREENSHOTS, `list-${suffix}.png`), fullPage: true });
      await p.goto(`${env.url}/#/s/${sessionId}`);
      await p.waitForSelector('.term-screen[data-state="attached"]');
      await p.locator('.timeline li').first().waitFor();
      await expect.poll(() => p.locator('.term-screen .xterm-rows').textContent()).toMatch(/\S/);
      await p.screenshot({ path: join(SCREENSHOTS, `session-${suffix}.png`), fullPage: true });
      await p.goto(`${env.url}/#/approvals`);
      await p.locator('[data-approval]').first().waitFor();
      await p.screenshot({ path: join(SCREENSHOTS, `approvals-${suffix}.png`), fullPage: true });
      await p.close();
    }
  });

  it('keeps ten tabs of one browser live (they share one event stream)', async () => {
    const tabs: Page[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const tab = await context.newPage();
        tabs.push(tab);
        await tab.goto(`${env.url}/#/`);
        await tab.waitForSelector('#conn[data-state="live"]', { timeout: 10_000 });
      }
      const id = spawnFromCli('--prompt', 'seen by every tab');
      for (const tab of tabs) await tab.locator(`tr[data-session="${id}"]`).waitFor({ timeout: 5000 });
    } finally {
      for (const tab of tabs) await tab.close();
    }
  });
});

describe('ao dashboard without a daemon', () => {
  it('says how to start it', async () => {
    const other = await import('../../cli/test/session-env.js').then((m) => m.createSessionEnv());
    try {
      const r = other.ao('dashboard');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('ao start');
    } finally {
      await other.cleanup();
    }
  });
});
