/**
 * The fake agent for tests: a scripted stand-in for an AI coding agent CLI (raw-mode input,
 * bracketed paste, a `> ` prompt, files written and commits made in its cwd, a JSON-lines log of
 * everything it received). The agent itself is @ao/demo-agent, which `ao demo` also runs; its
 * scenario format is documented in packages/demo-agent/src/scenario.ts. This module adds what only
 * tests need: the argv to run it, and a rebuild of its dist when the monorepo's sources are newer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { demoAgentBinPath } from '@ao/demo-agent';

export * from '@ao/demo-agent';

/** Absolute path of the fake agent's bin script (it runs @ao/demo-agent's `dist/cli.js`). */
export function fakeAgentBinPath(): string {
  return demoAgentBinPath();
}

/** argv that runs the fake agent with this node, e.g. as an agent or runtime command in tests. */
export function fakeAgentArgv(args: readonly string[] = []): string[] {
  return [process.execPath, fakeAgentBinPath(), ...args];
}

/**
 * In the monorepo, builds @ao/demo-agent's `dist` when it is missing or older than its sources, so
 * tests never run a stale fake agent. ao's file lock serialises parallel test workers. An installed
 * @ao/demo-agent (under node_modules) ships its dist and is left alone. Tests only: `ao demo` runs
 * the built agent as it is.
 */
export async function ensureFakeAgentBuilt(): Promise<void> {
  const pkgDir = dirname(dirname(fakeAgentBinPath()));
  if (pkgDir.includes(`${sep}node_modules${sep}`)) return;
  const dists = ['index.js', 'cli.js'].map((f) => join(pkgDir, 'dist', f));
  const srcDir = join(pkgDir, 'src');
  const sources = existsSync(srcDir) ? readdirSync(srcDir).filter((f) => f.endsWith('.ts')).map((f) => join(srcDir, f)) : [];
  const stale = (): boolean => {
    if (!dists.every((f) => existsSync(f))) return true;
    const built = Math.min(...dists.map((f) => statSync(f).mtimeMs));
    return sources.some((f) => statSync(f).mtimeMs > built);
  };
  if (!stale()) return;
  // ao's one file lock: a build killed mid-way leaves a lock whose holder is gone, taken over at once.
  const { withFileLock } = await import('@ao/core');
  mkdirSync(join(pkgDir, 'node_modules', '.cache'), { recursive: true });
  await withFileLock(
    join(pkgDir, 'node_modules', '.cache', 'demo-agent-build.lock'),
    async () => {
      if (!stale()) return;
      try {
        execFileSync(findBin(pkgDir, 'tsup'), [], { cwd: pkgDir, stdio: 'pipe' });
      } catch (error) {
        const stderr = String((error as { stderr?: unknown }).stderr ?? '');
        throw new Error(`building the fake agent failed (run \`pnpm -F @ao/demo-agent build\`): ${stderr || (error as Error).message}`);
      }
    },
    { timeoutMs: 120_000 },
  );
}

function findBin(from: string, name: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} not found in any node_modules/.bin above ${from}`);
  }
}
