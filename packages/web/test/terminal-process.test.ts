// The web terminal over the process runtime (node-pty in the daemon), as on a machine without
// tmux: the browser's xterm.js talks to the pty over the dashboard's own port.
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.js';
import { startDaemonEnv, until, type DaemonEnv } from './daemon-env.js';

let env: DaemonEnv;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;

beforeAll(async () => {
  env = await startDaemonEnv({ runtime: 'process' });
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

describe('web terminal on the process runtime', () => {
  it('shows the pty screen, sends typed keys to the agent and follows a resize', async () => {
    const r = env.ao('spawn', '--json', '--prompt', 'hello over a pty');
    expect(r.code, r.stderr).toBe(0);
    const session = JSON.parse(r.stdout) as { id: string; runtime: { runtime: string; data?: { pid?: number } } };
    expect(session.runtime.runtime).toBe('process');
    await until(() => env.received().some((t) => t.includes('hello over a pty')), 10_000, 'the prompt at the agent');

    await page.goto(`${env.url}/?token=${env.token}#/s/${session.id}`);
    await page.waitForSelector('.term-screen[data-state="attached"]', { timeout: 10_000 });
    // The screen so far is replayed on attach.
    await expect.poll(() => page.locator('.term-screen .xterm-rows').textContent(), { timeout: 10_000 }).toContain('hello over a pty');

    await page.click('.term-screen');
    await page.keyboard.type('typed into the pty');
    await page.keyboard.press('Enter');
    await until(() => env.received().includes('typed into the pty'), 10_000, 'the agent to receive the typed line');
    await expect.poll(() => page.locator('.term-screen .xterm-rows').textContent(), { timeout: 10_000 }).toContain('received: typed into the pty');

    // A narrower window resizes the pty itself: its size, read from the agent's tty, follows.
    const ptySize = (): string => {
      const tty = execFileSync('ps', ['-o', 'tty=', '-p', String(session.runtime.data?.pid)], { encoding: 'utf8' }).trim();
      return execFileSync('stty', ['-F', `/dev/${tty}`, 'size'], { encoding: 'utf8' }).trim();
    };
    const before = ptySize();
    await page.setViewportSize({ width: 700, height: 600 });
    await expect.poll(ptySize, { timeout: 10_000 }).not.toBe(before);
    const [rows, cols] = ptySize().split(' ').map(Number);
    expect(cols).toBeLessThan(Number(before.split(' ')[1]));
    expect(rows).toBeGreaterThan(3);
  });
});
