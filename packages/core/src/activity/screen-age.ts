/**
 * How long a session's screen has stayed the same: what `ActivityProbe.msSinceScreenChange` says.
 * A screen that changed since the last look is work going on (text streaming in, a tool call still
 * being written) even when the CLI's prompt is drawn below it: Codex keeps its input box on screen
 * mid-turn, so the screen's content alone read as idle. Measured by whoever looks repeatedly (the
 * daemon's lifecycle polls, in memory): the first look has no age (undefined), and the detectors
 * then judge by content alone, as a one-shot `ao status` does.
 */
import { createHash } from 'node:crypto';

export interface ScreenAges {
  /** Records this look at `screen` and returns the milliseconds since it last changed (undefined on a first look). */
  observe(sessionId: string, screen: string, now: number): number | undefined;
}

/** More sessions than this seen by one process: the oldest looks are dropped. */
const MAX_TRACKED = 10_000;

export function createScreenAges(): ScreenAges {
  const seen = new Map<string, { digest: string; since: number }>();
  return {
    observe(sessionId, screen, now) {
      const digest = createHash('sha1').update(screen).digest('hex');
      const last = seen.get(sessionId);
      if (last && last.digest === digest) return Math.max(0, now - last.since);
      seen.delete(sessionId);
      if (seen.size >= MAX_TRACKED) seen.delete(seen.keys().next().value as string);
      seen.set(sessionId, { digest, since: now });
      return last ? 0 : undefined;
    },
  };
}
