/**
 * A real OpenSSH server for tests, on a free loopback port, with a throwaway host key and a
 * throwaway client key in authorized_keys. The "remote" host is this machine, reached through
 * sshd as the current user; its ao root is a directory of its own, so local and remote paths
 * differ. Debian: `apt-get install openssh-server` (scripts/test does it when root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { exec } from '@ao/core';

const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((path) => existsSync(path));

export interface TestSshd {
  port: number;
  dir: string;
  /** known_hosts with this server's key. */
  knownHosts: string;
  /** Private key that authorized_keys accepts. */
  identityFile: string;
  user: string;
  /** Directory used as the host's ao root. */
  remoteRoot: string;
  /** A host entry of the ssh runtime's config for this server. */
  host(name: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  /**
   * Freezes every connection the server serves (SIGSTOP), as a host that vanished without closing
   * them; the returned function thaws them.
   */
  freeze(): () => void;
  /**
   * Stops the server and every connection it serves (the host is down for every client), then
   * removes its directory, the host's root included: end tmux there first. Idempotent.
   */
  stop(): Promise<void>;
}

/** Pids of every live descendant of `pid` (from /proc): sshd's per-connection processes call setsid. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startSshd(label = 'sshd'): Promise<TestSshd> {
  if (!SSHD) throw new Error('sshd not found: install it (apt-get install openssh-server); ./scripts/test does so when run as root');
  const dir = await realpath(await mkdtemp(join(tmpdir(), `ao-${label}-`)));
  for (const key of ['host_key', 'client_key']) {
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `ao-test-${key}`, '-f', join(dir, key)]);
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub'), 'utf8'));
  // sshd refuses to start without its privilege-separation directory when run as root.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PidFile none',
    // The temp dir lives under the world-writable /tmp, which StrictModes refuses.
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    'AcceptEnv none',
    'MaxSessions 50',
    'MaxStartups 50',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  const hostKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  await writeFile(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  const remoteRoot = join(dir, 'remote', '.ao-remote');

  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sshd exited (${code}) before listening: ${log}`)));
  });
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();

  let stopped = false;
  return {
    port,
    dir,
    knownHosts: join(dir, 'known_hosts'),
    identityFile: join(dir, 'client_key'),
    user: userInfo().username,
    remoteRoot,
    host: (name, overrides = {}) => ({
      name,
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      identityFile: join(dir, 'client_key'),
      knownHostsFile: join(dir, 'known_hosts'),
      sshConfigFile: 'none',
      root: remoteRoot,
      minFreeMemoryMb: 0,
      ...overrides,
    }),
    freeze() {
      const frozen = descendants(child.pid as number);
      const signal = (name: NodeJS.Signals): void => {
        for (const pid of frozen) {
          try {
            process.kill(pid, name);
          } catch {
            // already gone
          }
        }
      };
      signal('SIGSTOP');
      return () => signal('SIGCONT');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // The server, then the per-connection processes it forked (they left its process group), so
      // the host is down for every client, connected or not. tmux servers started through it
      // daemonized and are not among them: they are ended by the runtime's killServers.
      const connections = descendants(child.pid as number);
      for (const pid of [child.pid as number, ...connections]) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      if (child.exitCode === null && child.signalCode === null) await exited;
      // A host stopped mid-test cannot be reached to end its tmux server; "remote" is this machine,
      // so end every tmux server whose socket lives in the host's directory, or it outlives the test.
      const sockets = spawnSync('find', [dir, '-type', 's', '-name', '*.sock'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (const socket of sockets) spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
