/**
 * Which host a new session goes to: the least loaded reachable host with a free slot and enough
 * free memory. Load is ao's live sessions there (one probe call per host, all hosts at once) plus
 * the starts this data dir has under way (reservation files), so concurrent spawns of several ao
 * processes do not all pick the same last slot. The choice and its reservation are made under a
 * file lock; the (slow) start itself is not.
 *
 * A session restored while its remote workspace still exists goes back to that host: its work
 * (uncommitted changes included) is there.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AoError, describeError, withFileLock, type Logger } from '@ao/core/plugin';
import type { SshHostConfig } from './config.js';
import { probeScript } from './remote.js';
import type { SshConnection } from './ssh.js';

/** A reservation older than this belongs to a start that died: it no longer holds a slot. */
const RESERVATION_TTL_MS = 10 * 60_000;

export interface HostProbe {
  host: SshHostConfig;
  reachable: boolean;
  error?: unknown;
  /** Absolute root on the host. */
  root?: string;
  memAvailableMb?: number;
  diskFreeMb?: number;
  tmux?: string;
  git?: string;
  /** ao's live sessions on the host. */
  owned: number;
  /** The session's remote workspace exists there (a restore). */
  hasWorkspace: boolean;
  /** Where each program asked about was found (absent: not found). */
  programs: Map<string, string>;
}

export async function probeHost(conn: SshConnection, prefix: string, workspaceName?: string, programs: readonly string[] = []): Promise<HostProbe> {
  const host = conn.host;
  try {
    const result = await conn.run(probeScript(host.root, prefix, workspaceName, programs));
    if (result.exitCode !== 0) {
      return { host, reachable: true, error: new AoError('RUNTIME_FAILED', `ssh host ${host.name}: ${result.stderr.trim() || `probe exited ${result.exitCode}`}`), owned: 0, hasWorkspace: false, programs: new Map() };
    }
    const values = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
    const kib = (key: string): number | undefined => {
      const n = Number.parseInt(values.get(key) ?? '', 10);
      return Number.isFinite(n) ? Math.floor(n / 1024) : undefined;
    };
    const probe: HostProbe = {
      host,
      reachable: true,
      owned: Number.parseInt(values.get('owned') ?? '0', 10) || 0,
      hasWorkspace: values.get('workspace') === '1',
      programs: new Map(programs.flatMap((program, i) => (values.get(`program:${i}`) ? [[program, values.get(`program:${i}`) as string] as const] : []))),
    };
    const root = values.get('root');
    if (root) probe.root = root;
    const mem = kib('mem');
    if (mem !== undefined) probe.memAvailableMb = mem;
    const disk = kib('disk');
    if (disk !== undefined) probe.diskFreeMb = disk;
    if (values.get('tmux')) probe.tmux = values.get('tmux') as string;
    if (values.get('git')) probe.git = values.get('git') as string;
    return probe;
  } catch (error) {
    return { host, reachable: false, error, owned: 0, hasWorkspace: false, programs: new Map() };
  }
}

/** Starts under way per host, from this data dir's reservation files (stale ones removed). */
async function reservations(dir: string, now: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const hosts = await readdir(dir).catch(() => [] as string[]);
  for (const host of hosts) {
    const files = await readdir(join(dir, host)).catch(() => [] as string[]);
    for (const file of files) {
      const info = await stat(join(dir, host, file)).catch(() => undefined);
      if (!info) continue;
      if (now - info.mtimeMs > RESERVATION_TTL_MS) {
        await rm(join(dir, host, file), { force: true });
        continue;
      }
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
  }
  return counts;
}

export interface Placement {
  probe: HostProbe;
  /** Frees the slot reservation; call once the session runs (or failed to start). */
  release(): Promise<void>;
}

export interface PlaceOptions {
  connections: readonly SshConnection[];
  /** Tmux name prefix of this data dir's sessions. */
  prefix: string;
  /** Tmux name of the session being placed. */
  name: string;
  /** `<AO_HOME>/ssh`. */
  stateDir: string;
  now: () => number;
  log: Logger;
}

function why(probe: HostProbe, reserved: number): string {
  if (!probe.reachable) return `${probe.host.name}: unreachable (${describeError(probe.error)})`;
  if (probe.error) return `${probe.host.name}: ${describeError(probe.error)}`;
  if (probe.owned + reserved >= probe.host.maxSessions) return `${probe.host.name}: full (${probe.owned + reserved}/${probe.host.maxSessions} sessions)`;
  return `${probe.host.name}: ${probe.memAvailableMb ?? '?'} MiB free, below minFreeMemoryMb ${probe.host.minFreeMemoryMb}`;
}

/** Picks a host for session `name` and reserves a slot on it; throws `SESSION_LIMIT` when none fits. */
export async function placeSession(options: PlaceOptions): Promise<Placement> {
  const reservationDir = join(options.stateDir, 'reservations');
  await mkdir(reservationDir, { recursive: true, mode: 0o700 });
  return withFileLock(
    join(options.stateDir, 'placement.lock'),
    async () => {
      const [probes, reserved] = await Promise.all([
        Promise.all(options.connections.map((conn) => probeHost(conn, options.prefix, options.name))),
        reservations(reservationDir, options.now()),
      ]);
      const usable = probes.filter((p) => p.reachable && !p.error);
      const home = usable.find((p) => p.hasWorkspace);
      const load = (p: HostProbe): number => (p.owned + (reserved.get(p.host.name) ?? 0)) / p.host.maxSessions;
      const fits = (p: HostProbe): boolean =>
        p.owned + (reserved.get(p.host.name) ?? 0) < p.host.maxSessions && (p.memAvailableMb === undefined || p.memAvailableMb >= p.host.minFreeMemoryMb);
      const chosen =
        home ??
        usable
          .filter(fits)
          .sort((a, b) => load(a) - load(b) || (b.memAvailableMb ?? 0) - (a.memAvailableMb ?? 0))[0];
      if (!chosen) {
        throw new AoError(
          'SESSION_LIMIT',
          `no ssh host can take another session: ${probes.map((p) => why(p, reserved.get(p.host.name) ?? 0)).join('; ')}. ` +
            'Wait for a session to finish, raise maxSessions, or add a host.',
          { details: { hosts: probes.map((p) => ({ host: p.host.name, reachable: p.reachable, owned: p.owned })) } },
        );
      }
      for (const p of probes) if (!p.reachable) options.log.warn({ host: p.host.name, err: describeError(p.error) }, 'ssh host unreachable; placing elsewhere');
      const file = join(reservationDir, chosen.host.name, options.name);
      await mkdir(join(reservationDir, chosen.host.name), { recursive: true, mode: 0o700 });
      await writeFile(file, String(options.now()));
      return { probe: chosen, release: () => rm(file, { force: true }) };
    },
    { timeoutMs: 60_000 },
  );
}
