/**
 * The ssh runtime: each ao session is a tmux session on one of the configured hosts, on ao's own
 * tmux socket there. The control plane (ao, its store, the daemon) stays on this machine; only the
 * agent (and its workspace, with `workspace: sync`) lives on the host.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  AoError,
  describeError,
  isAoError,
  launchScript,
  neutralizePasteMarkers,
  type OwnedTerminal,
  type PluginContext,
  type Runtime,
  type RuntimeHandle,
} from '@ao/core/plugin';
import type { SshHostConfig, SshRuntimeConfig } from './config.js';
import { placeSession, probeHost, type HostProbe } from './placement.js';
import { captureOn, listHost, prepareRemoteWorkspace, scriptError, type HostListing } from './host-calls.js';
import { EXIT, aliveScript, attachScript, deliveryScript, forgetScript, killServerScript, sendScript, startScript, stopScript } from './remote.js';
import { controlDirFor, openConnection, type SshConnection } from './ssh.js';
import { fetchBranch, localHead, mapPaths } from './sync.js';
import { hostChecks } from './doctor.js';
import { openSshTerminal } from './terminal.js';
import { cleanupRemoteWorkspace } from './cleanup.js';

export const RUNTIME_NAME = 'ssh';

const plain = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '_');
const sendBuffer = (deliveryId: string): string => `ao-send-${plain(deliveryId)}`;
const receiptOption = (deliveryId: string): string => `@ao-sent-${plain(deliveryId)}`;

/** `ao-<6 hex of sha1(data dir)>-<session id>`, as the tmux runtime names its sessions. */
export function sshSessionName(home: string, sessionId: string): string {
  const tag = createHash('sha1').update(home).digest('hex').slice(0, 6);
  return `ao-${tag}-${sessionId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** What an ssh handle carries (`handle.data`): enough for any ao process to find the session again. */
interface SshHandleData {
  host: string;
  /** Absolute root on the host (its tmux socket is `<root>/tmux.sock`). */
  root: string;
  /** The agent's working directory on the host. */
  cwd: string;
  /** `workspace: sync` only: the host's clone, the branch, the local workspace and its repository. */
  repo: string | null;
  branch: string | null;
  local: string | null;
  localRepo: string | null;
}

/** The runtime plus what tests and `ao doctor` use beyond the contract. */
export interface SshRuntime extends Runtime {
  /** One probe per host, all at once: reachable, tmux and git versions, memory, disk, load. */
  probeHosts(): Promise<HostProbe[]>;
  /** Closes every shared connection this instance opened. */
  closeConnections(): Promise<void>;
  /** Ends ao's tmux server on every reachable host (all sessions there). For teardown. */
  killServers(): Promise<void>;
}

function dataOf(handle: RuntimeHandle): SshHandleData | undefined {
  const d = handle.data;
  if (!d || typeof d.host !== 'string' || typeof d.root !== 'string') return undefined;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { host: d.host, root: d.root, cwd: str(d.cwd) ?? '', repo: str(d.repo), branch: str(d.branch), local: str(d.local), localRepo: str(d.localRepo) };
}

function checkHandle(handle: RuntimeHandle): void {
  if (handle.runtime !== RUNTIME_NAME) {
    throw new AoError('RUNTIME_FAILED', `the ssh runtime cannot use a handle of runtime "${handle.runtime}" (${handle.id})`, { details: { handle } });
  }
}

function goneError(handle: RuntimeHandle, action: string, host?: string): AoError {
  return new AoError(
    'RUNTIME_FAILED',
    `cannot ${action}: tmux session ${handle.id}${host ? ` on ssh host ${host}` : ''} is not running; restore it with \`ao session restore\``,
    { details: { handle } },
  );
}

const isHostError = (error: unknown): boolean => isAoError(error) && error.code.startsWith('HOST_');

export function createSshRuntime(config: SshRuntimeConfig, ctx: PluginContext): SshRuntime {
  const { exec } = ctx;
  const log = ctx.logger.child({ plugin: 'runtime-ssh' });
  const stateDir = join(ctx.paths.home, 'ssh');
  const settings = {
    controlDir: controlDirFor(ctx.paths.home),
    controlPersistSeconds: config.controlPersistSeconds,
    connectTimeoutSeconds: config.connectTimeoutSeconds,
    configDir: ctx.configDir,
  };
  const prefix = sshSessionName(ctx.paths.home, '');
  const connections = new Map<string, Promise<SshConnection>>();

  function hostConfig(name: string): SshHostConfig {
    const host = config.hosts.find((h) => h.name === name);
    if (!host) {
      throw new AoError('RUNTIME_FAILED', `ssh host "${name}" of this session is no longer in the config: add it back under runtime.hosts to reach its session`, { details: { host: name } });
    }
    return host;
  }

  function connection(name: string): Promise<SshConnection> {
    let conn = connections.get(name);
    if (!conn) {
      conn = openConnection(exec, hostConfig(name), settings);
      connections.set(name, conn);
    }
    return conn;
  }

  /** The handle's host connection and data; undefined for a handle that never started (no data). */
  async function target(handle: RuntimeHandle): Promise<{ conn: SshConnection; data: SshHandleData } | undefined> {
    checkHandle(handle);
    const data = dataOf(handle);
    if (!data) return undefined;
    return { conn: await connection(data.host), data };
  }

  /** Brings the agent's commits on the host back into the local workspace (sync mode). */
  async function fetchBack(conn: SshConnection, data: SshHandleData): Promise<void> {
    if (!data.repo || !data.branch || !data.local) return;
    await fetchBranch(exec, conn, data.local, data.branch, data.repo, log);
  }

  function groupByHost(handles: readonly RuntimeHandle[]): Map<string, { handle: RuntimeHandle; data: SshHandleData }[]> {
    const groups = new Map<string, { handle: RuntimeHandle; data: SshHandleData }[]>();
    for (const handle of handles) {
      const data = handle.runtime === RUNTIME_NAME ? dataOf(handle) : undefined;
      if (!data) continue;
      groups.set(data.host, [...(groups.get(data.host) ?? []), { handle, data }]);
    }
    return groups;
  }

  const runtime: SshRuntime = {
    async start(options) {
      const name = sshSessionName(ctx.paths.home, options.sessionId);
      const conns = await Promise.all(config.hosts.map((h) => connection(h.name)));
      const placement = await placeSession({ connections: conns, prefix, name, stateDir, now: () => ctx.clock.now(), log });
      try {
        const conn = await connection(placement.probe.host.name);
        const root = placement.probe.root as string;
        let argv = [...options.argv];
        let env = { ...(options.env ?? {}) };
        let data: SshHandleData = { host: conn.host.name, root, cwd: options.cwd, repo: null, branch: null, local: null, localRepo: null };
        if (config.workspace === 'sync') {
          const { local, repo, workspace } = await prepareRemoteWorkspace(exec, conn, { root, name, cwd: options.cwd, postCreate: config.postCreate, log });
          argv = argv.map((word) => mapPaths(word, local.path, workspace));
          env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, mapPaths(v, local.path, workspace)]));
          data = { ...data, cwd: workspace, repo, branch: local.branch, local: local.path, localRepo: local.commonDir };
        }
        const launchFile = `${root}/launch/launch-${randomBytes(8).toString('hex')}.sh`;
        const script = startScript(conn.host.root, {
          name,
          cwd: data.cwd,
          launchFile,
          cols: options.cols ?? config.cols,
          rows: options.rows ?? config.rows,
          remainOnExit: config.remainOnExit,
        });
        // The environment and argv travel on stdin into a 0600 file on the host (launch-script.ts).
        const result = await conn.run(script, { input: launchScript(launchFile, argv, env) });
        if (result.exitCode === EXIT.running) throw new AoError('RUNTIME_FAILED', `tmux session ${name} is already running on ssh host ${conn.host.name}; kill it before starting it again`, { details: { name } });
        if (result.exitCode !== 0) throw scriptError(conn, `start tmux session ${name}`, result);
        log.info({ name, host: conn.host.name, cwd: data.cwd, program: options.argv[0] }, 'ssh tmux session started');
        return { runtime: RUNTIME_NAME, id: name, data: { ...data } };
      } finally {
        await placement.release();
      }
    },

    /** Ends the agent and fetches its last commits back; the workspace on the host is kept. */
    async stop(handle) {
      const t = await target(handle);
      if (!t) return;
      const result = await t.conn.run(stopScript(t.data.root, handle.id));
      if (result.exitCode !== 0) throw scriptError(t.conn, `stop tmux session ${handle.id}`, result);
      await fetchBack(t.conn, t.data);
    },

    /** `workspace: sync`: the session's worktree on the host goes with its local workspace, when that loses nothing. */
    async cleanup(handle, options) {
      checkHandle(handle);
      const data = dataOf(handle);
      if (!data?.repo || !data.branch) return {}; // shared: the workspace is the local one
      const host = config.hosts.find((h) => h.name === data.host);
      if (!host) return { note: `its worktree on ssh host ${data.host} (${data.cwd}) was left: that host is no longer in the config` };
      const workspace = { host, repo: data.repo, workspace: data.cwd, branch: data.branch, local: data.local, localRepo: data.localRepo };
      return cleanupRemoteWorkspace(exec, () => connection(host.name), workspace, options, log);
    },

    async isAlive(handle) {
      const t = await target(handle);
      if (!t) return false;
      const result = await t.conn.run(aliveScript(t.data.root, handle.id));
      if (result.exitCode !== 0) throw scriptError(t.conn, 'check the session', result);
      return result.stdout.trim() === 'alive';
    },

    /**
     * One ssh call per host answers for all of that host's handles, and reports which session
     * branches moved there (then fetched back). Handles on an unreachable host are left out of the
     * map: ao cannot know, and does not take them for exited.
     */
    async aliveMany(handles) {
      const result = new Map<string, boolean>();
      for (const handle of handles) if (!dataOf(handle) || handle.runtime !== RUNTIME_NAME) result.set(handle.id, false);
      await Promise.all(
        [...groupByHost(handles)].map(async ([hostName, group]) => {
          let listed: HostListing;
          let conn: SshConnection;
          try {
            conn = await connection(hostName);
            listed = await listHost(conn, [...new Set(group.map((g) => g.data.repo).filter((r): r is string => r !== null))]);
          } catch (error) {
            if (!isHostError(error) && !(isAoError(error) && error.code === 'RUNTIME_FAILED')) throw error;
            log.warn({ host: hostName, err: describeError(error) }, 'ssh host unreachable: its sessions are unknown, not exited');
            return;
          }
          for (const { handle, data } of group) {
            result.set(handle.id, listed.sessions.get(handle.id) === true);
            if (!data.repo || !data.branch || !data.local || !data.localRepo) continue;
            const remote = listed.heads.get(`${data.repo}\0${data.branch}`);
            if (remote && remote !== (await localHead(exec, data.localRepo, data.branch))) await fetchBack(conn, data);
          }
        }),
      );
      return result;
    },

    async sendText(handle, text, options = {}) {
      const t = await target(handle);
      if (!t) throw goneError(handle, 'send text');
      const buffer = sendBuffer(options.deliveryId ?? randomBytes(6).toString('hex'));
      const script = sendScript(t.data.root, {
        name: handle.id,
        buffer,
        bracketed: options.bracketedPaste !== false,
        submit: options.submit !== false,
        ...(options.deliveryId ? { receipt: receiptOption(options.deliveryId) } : {}),
        ...(options.submitDelayMs ? { submitDelayMs: options.submitDelayMs } : {}),
      });
      const result = await t.conn.run(script, { input: neutralizePasteMarkers(text) });
      if (result.exitCode === EXIT.missing) throw goneError(handle, 'send text', t.data.host);
      if (result.exitCode !== 0) throw scriptError(t.conn, `send text to ${handle.id}`, result);
    },

    /** As runtime-tmux: the receipt is set in the same tmux command as the paste and its Enter. */
    async deliveryStatus(handle, deliveryId) {
      const t = await target(handle);
      if (!t) return 'unknown';
      try {
        const result = await t.conn.run(deliveryScript(t.data.root, handle.id, sendBuffer(deliveryId), receiptOption(deliveryId)));
        const answer = result.stdout.trim();
        return answer === 'delivered' || answer === 'not-delivered' ? answer : 'unknown';
      } catch (error) {
        if (isHostError(error)) return 'unknown';
        throw error;
      }
    },

    async forgetDelivery(handle, deliveryId) {
      const t = await target(handle);
      if (t) await t.conn.run(forgetScript(t.data.root, handle.id, receiptOption(deliveryId)));
    },

    /** Works on a dead pane kept by remain-on-exit too, so the agent's last screen stays readable. */
    async capture(handle, options = {}) {
      const t = await target(handle);
      if (!t) throw goneError(handle, 'capture the screen');
      const screens = await captureOn(t.conn, t.data.root, [handle.id], options.lines ?? 0);
      const screen = screens.get(handle.id);
      if (screen === undefined) throw goneError(handle, 'capture the screen', t.data.host);
      return screen;
    },

    async captureMany(handles, options = {}) {
      handles.forEach(checkHandle);
      const screens = new Map<string, string>();
      await Promise.all(
        [...groupByHost(handles)].map(async ([hostName, group]) => {
          try {
            const conn = await connection(hostName);
            const root = group[0]?.data.root as string;
            for (const [id, screen] of await captureOn(conn, root, group.map((g) => g.handle.id), options.lines ?? 0)) screens.set(id, screen);
          } catch (error) {
            if (!isHostError(error)) throw error;
          }
        }),
      );
      return screens;
    },

    async listOwned() {
      const found: OwnedTerminal[] = [];
      await Promise.all(
        config.hosts.map(async (host) => {
          const conn = await connection(host.name);
          let listed: HostListing;
          try {
            listed = await listHost(conn, []);
          } catch (error) {
            if (isHostError(error)) return;
            throw error;
          }
          const root = listed.root;
          for (const [name, alive] of listed.sessions) {
            if (!name.startsWith(prefix) || name.length <= prefix.length) continue;
            found.push({
              handle: { runtime: RUNTIME_NAME, id: name, data: { host: host.name, root, cwd: '', repo: null, branch: null, local: null, localRepo: null } },
              sessionId: name.slice(prefix.length),
              alive,
              attach: conn.ttyArgv(attachScript(root, name)),
              end: conn.ttyArgv(stopScript(root, name)),
            });
          }
        }),
      );
      return found;
    },

    async openTerminal(handle, options) {
      const t = await target(handle);
      if (!t) throw goneError(handle, 'open its terminal');
      const state = await t.conn.run(aliveScript(t.data.root, handle.id));
      if (state.stdout.trim() === 'missing') throw goneError(handle, 'open its terminal', t.data.host);
      return openSshTerminal(ctx, t.conn.ttyArgv(attachScript(t.data.root, handle.id)), `${handle.id} on ${t.data.host}`, options);
    },

    async attachArgv(handle) {
      const t = await target(handle);
      if (!t) throw goneError(handle, 'attach');
      const state = await t.conn.run(aliveScript(t.data.root, handle.id));
      if (state.stdout.trim() === 'missing') throw goneError(handle, 'attach', t.data.host);
      return t.conn.ttyArgv(attachScript(t.data.root, handle.id));
    },

    async doctor({ programs }) {
      const probes = await Promise.all(config.hosts.map(async (h) => probeHost(await connection(h.name), prefix, undefined, programs)));
      return probes.flatMap((probe) => hostChecks(probe, programs, config.workspace));
    },

    async probeHosts() {
      return Promise.all(config.hosts.map(async (h) => probeHost(await connection(h.name), prefix)));
    },

    async closeConnections() {
      const open = [...connections.values()];
      connections.clear();
      await Promise.all(open.map(async (c) => (await c).close()));
    },

    async killServers() {
      await Promise.all(
        config.hosts.map(async (h) => {
          const conn = await connection(h.name);
          await conn.run(killServerScript(h.root)).catch((error: unknown) => log.warn({ host: h.name, err: describeError(error) }, 'could not end tmux on the host'));
        }),
      );
    },
  };

  return runtime;
}
