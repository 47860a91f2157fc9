import type { Clock, Logger } from '@ao/core';
import { exec, silentLogger } from '@ao/core';
import type { FakeGitHub } from '@ao/testkit/fake-github';
import { createGitHubClient, type GitHubClient } from '../src/index.js';

/** A clock whose sleeps pass instantly and are recorded; `onSleep` can change the world meanwhile. */
export function fakeClock(onSleep?: (ms: number) => void): Clock & { slept: number[]; t: number } {
  const clock = {
    t: Date.now(),
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
      onSleep?.(ms);
    },
  };
  return clock;
}

/** A logger that keeps warnings, to check what the client reported (and that no token leaks). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger: Logger & { lines: string[] } = {
    lines,
    debug: (o, m) => void lines.push(JSON.stringify([o, m])),
    info: (o, m) => void lines.push(JSON.stringify([o, m])),
    warn: (o, m) => void lines.push(JSON.stringify([o, m])),
    error: (o, m) => void lines.push(JSON.stringify([o, m])),
    child: () => logger,
  };
  return logger;
}

export function clientFor(fake: FakeGitHub, overrides: { clock?: Clock; logger?: Logger; token?: string } = {}): GitHubClient {
  return createGitHubClient({
    env: { GITHUB_API_URL: fake.url, GITHUB_TOKEN: overrides.token ?? fake.token, PATH: process.env.PATH },
    exec,
    logger: overrides.logger ?? silentLogger,
    clock: overrides.clock ?? fakeClock(),
  });
}
