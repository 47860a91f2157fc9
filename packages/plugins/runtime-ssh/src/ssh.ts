/**
 * The one way this plugin talks to a host: the system's `ssh`, one multiplexed connection per host
 * (ControlMaster, its socket in a 0700 directory of the data dir), so each call after the first
 * costs one round trip and no new handshake.
 *
 * Every call runs a POSIX sh script built by remote.ts from fixed text and shQuote'd names and
 * paths; what the caller passes as data (launch scripts with secrets, text to paste) travels on
 * ssh's stdin, never on a command line here or on the host. Host keys are checked against
 * known_hosts (StrictHostKeyChecking=yes unless the host is `trustOnFirstUse`), ssh never asks for
 * a password or a passphrase (BatchMode), and its failures become errors that name the host and
 * say what to do.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AoError, mkdirPrivate, shQuote, type Exec, type ExecResult } from '@ao/core/plugin';
import type { SshHostConfig } from './config.js';

/** ssh's own exit status for its failures (connect, auth, host key); our scripts never use it. */
const SSH_FAILED = 255;

export interface SshSettings {
  /** Directory of the control sockets (created 0700). */
  controlDir: string;
  controlPersistSeconds: number;
  connectTimeoutSeconds: number;
  /** Directory of the config file, for relative `identityFile` / `knownHostsFile`. */
  configDir: string;
}

export interface RunOptions {
  /** Bytes for the script's stdin (a launch script, text to paste). */
  input?: string;
  /**
   * Give up (`HOST_UNREACHABLE`) after this long; 0 for never (postCreate may install for
   * minutes). Default: twice the connect timeout, so a host that vanished without closing its
   * connection (the shared one stays open until keep-alives fail) cannot hang `ao status` longer.
   */
  timeoutMs?: number;
}

/** One host, reached through its shared connection. */
export interface SshConnection {
  readonly host: SshHostConfig;
  /** `user@host:port`, for messages. */
  readonly label: string;
  /** Runs `script` with /bin/sh on the host. Resolves with its exit status; throws only for ssh's own failures. */
  run(script: string, options?: RunOptions): Promise<ExecResult>;
  /** argv that runs `script` on the host in a terminal (`ssh -t`), for a human or a pty. */
  ttyArgv(script: string): string[];
  /** `GIT_SSH_COMMAND` for git over this connection, and the URL of a repository path on the host. */
  git: { sshCommand: string; url(path: string): string };
  /** Closes the shared connection (`ssh -O exit`); quiet when none is open. */
  close(): Promise<void>;
}

function expandPath(path: string, configDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/**
 * Where the control sockets of a data dir live: `<AO_HOME>/ssh/cm` (0700). A unix socket path has
 * at most 107 bytes, and ssh adds 17 while it creates one; a data dir too deep for that gets a
 * private directory under the system's temp dir instead, named by a hash of the data dir.
 */
export function controlDirFor(home: string): string {
  const dir = join(home, 'ssh', 'cm');
  if (Buffer.byteLength(join(dir, 'x'.repeat(16))) + 17 <= 104) return dir;
  const uid = process.getuid?.() ?? 'u';
  return join(tmpdir(), `ao-ssh-${uid}`, createHash('sha1').update(home).digest('hex').slice(0, 12));
}

/**
 * Creates `dir` 0700, or checks an existing one: a real directory of ours, then made 0700. Another
 * user's directory (one made in the shared temp dir to catch our sockets) is refused.
 */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdirPrivate(dir);
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) {
    throw new AoError(
      'RUNTIME_FAILED',
      `${dir} (for ssh's connection sockets) is not a directory of yours: remove it, or set AO_HOME to a shorter path so the sockets live in the data dir`,
      { details: { dir } },
    );
  }
  if ((info.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** The control socket's name for a host: short (see controlDirFor) and the same for every call. */
function controlName(host: SshHostConfig): string {
  return createHash('sha1').update(`${host.user ?? ''}@${host.host}:${host.port}`).digest('hex').slice(0, 16);
}

/** A path as the value of an `-o` option: ssh splits values on spaces unless double-quoted. */
function optionPath(path: string): string {
  return /\s/.test(path) ? `"${path}"` : path;
}

/** `-o` options, the same for every call to this host (so they all share one master). */
export function sshOptions(host: SshHostConfig, settings: SshSettings): string[] {
  const options = [
    ...(host.sshConfigFile ? ['-F', host.sshConfigFile === 'none' ? '/dev/null' : expandPath(host.sshConfigFile, settings.configDir)] : []),
    '-o', 'BatchMode=yes',
    '-o', `StrictHostKeyChecking=${host.trustOnFirstUse ? 'accept-new' : 'yes'}`,
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
    '-o', `ConnectTimeout=${settings.connectTimeoutSeconds}`,
    '-o', 'ServerAliveInterval=15',
    '-o', 'ServerAliveCountMax=2',
    '-o', 'ControlMaster=auto',
    '-o', `ControlPath=${optionPath(join(settings.controlDir, controlName(host)))}`,
    '-o', `ControlPersist=${settings.controlPersistSeconds}`,
    '-o', 'LogLevel=ERROR',
    '-p', String(host.port),
  ];
  if (host.knownHostsFile) options.push('-o', `UserKnownHostsFile=${optionPath(expandPath(host.knownHostsFile, settings.configDir))}`);
  if (host.identityFile) options.push('-o', 'IdentitiesOnly=yes', '-i', expandPath(host.identityFile, settings.configDir));
  if (host.user) options.push('-l', host.user);
  return options;
}

/** The remote command: the login shell only ever sees `exec /bin/sh -c '<script>'`. */
function remoteCommand(script: string): string {
  return `exec /bin/sh -c ${shQuote(script)}`;
}

/** ssh's failure as an error naming the host and what to do about it. */
export function sshError(host: SshHostConfig, result: { stderr: string; exitCode: number }, knownHosts: string): AoError {
  const where = `${host.name} (${host.user ? `${host.user}@` : ''}${host.host}:${host.port})`;
  const stderr = result.stderr.trim();
  const details = { host: host.name, stderr };
  const keyName = host.port === 22 ? host.host : `[${host.host}]:${host.port}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr)) {
    return new AoError(
      'HOST_KEY_UNKNOWN',
      `ssh host ${where}: its host key CHANGED since it was recorded in ${knownHosts}: this can be an attack. ` +
        `If the host was reinstalled, remove the old key with \`ssh-keygen -R '${keyName}'\` and add the new one after checking its fingerprint.`,
      { details },
    );
  }
  if (/Host key verification failed|host key is known|No .* host key is known/i.test(stderr)) {
    return new AoError(
      'HOST_KEY_UNKNOWN',
      `ssh host ${where}: its host key is not in ${knownHosts}, and ao never trusts an unknown key. ` +
        `Add it after checking its fingerprint with the host's owner: \`ssh-keyscan -p ${host.port} ${host.host} >> ${knownHosts}\` ` +
        `(or connect once with \`ssh -p ${host.port} ${host.user ? `${host.user}@` : ''}${host.host}\`), or set trustOnFirstUse: true for this host.`,
      { details },
    );
  }
  if (/Permission denied|Too many authentication failures|no mutual signature|sign_and_send_pubkey/i.test(stderr)) {
    return new AoError(
      'HOST_AUTH_FAILED',
      `ssh host ${where} refused the key: put the public key of ${host.identityFile ?? 'your ssh-agent key'} in ~/.ssh/authorized_keys ` +
        `of ${host.user ?? 'the user'} on the host${host.identityFile ? '' : ', or set identityFile'} (passwords are never used). ssh said: ${stderr.split('\n').slice(-1)[0]}`,
      { details },
    );
  }
  return new AoError(
    'HOST_UNREACHABLE',
    `ssh host ${where} is unreachable${stderr ? `: ${stderr.split('\n').slice(-2).join(' ')}` : ''}. ` +
      'Check that it is up and that `ssh` to it works from this machine; its sessions show as unreachable meanwhile.',
    { details },
  );
}

export async function openConnection(exec: Exec, host: SshHostConfig, settings: SshSettings): Promise<SshConnection> {
  await ensurePrivateDir(dirname(settings.controlDir));
  await ensurePrivateDir(settings.controlDir);
  const options = sshOptions(host, settings);
  const knownHosts = host.knownHostsFile ? expandPath(host.knownHostsFile, settings.configDir) : '~/.ssh/known_hosts';
  const label = `${host.user ? `${host.user}@` : ''}${host.host}:${host.port}`;
  // `ssh -p` in the options is also what git's URL carries; git adds its own `-p`, so leave ours out.
  const gitOptions = options.filter((word, i) => word !== '-p' && options[i - 1] !== '-p');
  async function closeMaster(): Promise<void> {
    await exec('ssh', [...options, '-O', 'exit', host.host], { reject: false }).catch(() => undefined);
  }
  return {
    host,
    label,
    async run(script, runOptions = {}) {
      const args = [...options, ...(runOptions.input === undefined ? ['-n'] : []), host.host, '--', remoteCommand(script)];
      const timeoutMs = runOptions.timeoutMs ?? settings.connectTimeoutSeconds * 2000;
      // Killing a multiplexed ssh client is not enough: it handed its stdio to the master, which
      // holds them until the connection dies. Closing the master ends the call (and the next call
      // opens a fresh connection).
      let timedOut = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true;
              void closeMaster();
            }, timeoutMs)
          : undefined;
      let result: ExecResult;
      try {
        result = await exec('ssh', args, { reject: false, ...(runOptions.input === undefined ? {} : { input: runOptions.input }) });
      } finally {
        clearTimeout(timer);
      }
      if (timedOut) {
        throw new AoError('HOST_UNREACHABLE', `ssh host ${host.name} (${label}) did not answer within ${timeoutMs / 1000} s; check that it is up`, { details: { host: host.name } });
      }
      if (result.exitCode === SSH_FAILED) throw sshError(host, result, knownHosts);
      return result;
    },
    ttyArgv(script) {
      return ['ssh', ...options, '-t', host.host, '--', remoteCommand(script)];
    },
    git: {
      sshCommand: ['ssh', ...gitOptions].map(shQuote).join(' '),
      url: (path) => `ssh://${host.user ? `${host.user}@` : ''}${host.host.includes(':') ? `[${host.host}]` : host.host}:${host.port}${path}`,
    },
    close: closeMaster,
  };
}
