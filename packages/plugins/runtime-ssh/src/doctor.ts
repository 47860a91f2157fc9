/**
 * `ao doctor` for the ssh runtime: one probe per host (all at once), each turned into lines that
 * say what is wrong and how to fix it.
 */
import { describeError, type RuntimeCheck } from '@ao/core/plugin';
import type { HostProbe } from './placement.js';

/** Below this much free disk in a host's root, doctor warns (clones and worktrees live there). */
const MIN_DISK_MB = 1024;

export function hostChecks(probe: HostProbe, programs: readonly string[], workspace: 'sync' | 'shared'): RuntimeCheck[] {
  const { host } = probe;
  const label = `ssh ${host.name}`;
  if (!probe.reachable || probe.error) return [{ level: 'fail', label, detail: describeError(probe.error) }];
  const checks: RuntimeCheck[] = [];
  const where = `on ${host.name} (or not on the PATH of ssh sessions there)`;
  if (!probe.tmux) checks.push({ level: 'fail', label, detail: `tmux not found ${where}: install it there (apt install tmux)` });
  if (!probe.git) checks.push({ level: workspace === 'sync' ? 'fail' : 'warn', label, detail: `git not found ${where}: install it there (apt install git)` });
  for (const program of programs) {
    if (!probe.programs.has(program)) {
      checks.push({ level: 'fail', label, detail: `agent CLI ${program} not found ${where}: install it there, or give its absolute path in the agent's command` });
    }
  }
  if (probe.memAvailableMb !== undefined && probe.memAvailableMb < host.minFreeMemoryMb) {
    checks.push({ level: 'warn', label, detail: `${probe.memAvailableMb} MiB of memory available, below minFreeMemoryMb ${host.minFreeMemoryMb}: new sessions go to other hosts` });
  }
  if (probe.diskFreeMb !== undefined && probe.diskFreeMb < MIN_DISK_MB) {
    checks.push({ level: 'warn', label, detail: `${probe.diskFreeMb} MiB free in ${probe.root}: clones and worktrees may not fit; free space there` });
  }
  const facts = [
    `${host.user ? `${host.user}@` : ''}${host.host}:${host.port} reachable`,
    probe.tmux,
    probe.git,
    probe.memAvailableMb === undefined ? undefined : `${probe.memAvailableMb} MiB free`,
    probe.diskFreeMb === undefined ? undefined : `${probe.diskFreeMb} MiB disk`,
    `${probe.owned}/${host.maxSessions} sessions`,
    ...programs.filter((p) => probe.programs.has(p)).map((p) => `${p} at ${probe.programs.get(p)}`),
  ].filter(Boolean);
  return [...(checks.some((c) => c.level === 'fail') ? [] : [{ level: 'ok' as const, label, detail: facts.join(', ') }]), ...checks];
}
