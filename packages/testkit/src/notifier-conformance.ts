/**
 * The conformance suite every notifier runs (console, desktop, webhook, slack, third-party ones):
 * the behaviour the `Notifier` contract promises, checked against a real receiver.
 *
 *   notifierConformance('webhook', async () => {
 *     const server = await startHttpRecorder();
 *     return {
 *       notifier: await plugin.create({ url: server.url }, ctx),
 *       received: async () => server.requests.map((r) => r.json),
 *       cleanup: () => server.close(),
 *     };
 *   });
 *
 * `received()` returns one entry per delivery the receiver saw (a request body, a printed line,
 * the argv of `notify-send`…). The suite only assumes that a delivery mentions the notification's
 * title somewhere in its JSON form, so it works for any transport.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification, Notifier } from '@ao/core';

export interface NotifierUnderTest {
  notifier: Notifier;
  /** Everything the receiver got so far, one entry per delivery. */
  received(): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

/** Alphanumeric markers: they survive any escaping, and `q1z` is never a substring of `q10z`. */
function marker(run: string, n: number): string {
  return `ao${run}q${n}z`;
}

function deliveriesMentioning(received: readonly unknown[], text: string): number {
  return received.filter((entry) => JSON.stringify(entry).includes(text)).length;
}

const LEVELS: ReadonlyArray<Notification['level']> = ['info', 'warn', 'action', 'error'];

export function notifierConformance(label: string, setup: () => Promise<NotifierUnderTest>): void {
  describe(`notifier conformance: ${label}`, () => {
    let under: NotifierUnderTest | undefined;
    const run = randomBytes(4).toString('hex');

    beforeEach(async () => {
      under = await setup();
    });

    afterEach(async () => {
      await under?.cleanup();
      under = undefined;
    });

    const notifier = (): Notifier => under!.notifier;
    const received = (): Promise<unknown[]> => under!.received();

    function notification(n: number, overrides: Partial<Notification> = {}): Notification {
      return {
        event: 'ci-failed',
        title: `CI failed ${marker(run, n)}`,
        body: '2 tests failed in auth.test.ts',
        level: 'warn',
        project: 'shop',
        sessionId: 'shop-3',
        url: 'http://127.0.0.1:3939/sessions/shop-3',
        ...overrides,
      };
    }

    it('resolves only after delivery, with exactly one delivery per notification', async () => {
      await notifier().notify(notification(1));
      let got = await received();
      expect(got).toHaveLength(1);
      expect(deliveriesMentioning(got, marker(run, 1))).toBe(1);

      await notifier().notify(notification(2, { level: 'action', event: 'needs-input' }));
      await notifier().notify(notification(3, { level: 'info', event: 'merged' }));
      got = await received();
      expect(got).toHaveLength(3);
      for (const n of [1, 2, 3]) expect(deliveriesMentioning(got, marker(run, n))).toBe(1);
    });

    it('delivers a minimal notification (no project, session or URL; empty body) at every level', async () => {
      for (const [i, level] of LEVELS.entries()) {
        await notifier().notify({ event: 'hello', title: `Daemon started ${marker(run, 10 + i)}`, body: '', level });
      }
      const got = await received();
      expect(got).toHaveLength(LEVELS.length);
      for (const i of LEVELS.keys()) expect(deliveriesMentioning(got, marker(run, 10 + i))).toBe(1);
    });

    it('delivers text with newlines, quotes, markup, escape sequences and unicode without breaking', async () => {
      const awkward = notification(20, {
        // A leading dash must stay text, never become an option of a program the notifier runs.
        title: `--help "quoted" 'single' ${marker(run, 20)} \x1b[31mred\x1b[0m <b>&amp;</b>`,
        body:
          'line one\nline two\r\n\ttabbed "double" \'single\' `backtick` $HOME $(id) \\ backslash\n' +
          '<!channel> <@U123> *bold* _it_ & < > \x1b]0;pwned\x07 \x1b[2J\x00nul ' +
          'Grüße 日本語 🚀 ₂',
      });
      await notifier().notify(awkward);
      const got = await received();
      expect(got).toHaveLength(1);
      expect(deliveriesMentioning(got, marker(run, 20))).toBe(1);
      // Printable unicode is content, not noise: it must reach the human intact.
      expect(JSON.stringify(got[0])).toContain('Grüße 日本語 🚀');
    });

    it('delivers concurrent notifications, each exactly once', async () => {
      const count = 8;
      const numbers = Array.from({ length: count }, (_, i) => 100 + i);
      await Promise.all(numbers.map((n) => notifier().notify(notification(n, { level: LEVELS[n % LEVELS.length]! }))));
      const got = await received();
      expect(got).toHaveLength(count);
      for (const n of numbers) expect(deliveriesMentioning(got, marker(run, n))).toBe(1);
    });
  });
}
