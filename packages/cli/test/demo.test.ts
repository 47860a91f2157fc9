import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '@ao/testkit/temp-repo';
import { runAo } from './run-ao.js';

const tmuxSessions = (): string[] => {
  try {
    return execFileSync('tmux', ['list-sessions', '-F', '#{session_name}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
  } catch {
    return [];
  }
};

describe('ao demo', () => {
  it('runs the whole loop — CI failure sent back, fix, reviews, merges — and leaves nothing behind', async () => {
    const dir = await createTempDir('ao-demo-test-');
    try {
      const before = new Set(tmuxSessions());
      const r = runAo(['demo', '--timeout', '120'], { cwd: dir.path, env: { TMPDIR: dir.path } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/calc-2 ci_failed \(PR #2, CI failing\)/);
      expect(r.stdout).toContain('both changes merged');
      expect(r.stdout).toMatch(/calc-2 ← ao sent the agent: "CI failed/);
      expect(r.stdout).toMatch(/Fix multiply\(\)/);
      expect(r.stdout).toMatch(/Merge local PR #1/);
      expect(r.stdout).toMatch(/Merge local PR #2/);
      const leftover = tmuxSessions().filter((s) => !before.has(s) && s.startsWith('ao-'));
      expect(leftover).toEqual([]);
      const stray = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(dir.path) && !l.includes('ps -eo'));
      expect(stray).toEqual([]);
    } finally {
      await dir.cleanup();
    }
  }, 180_000);
});
