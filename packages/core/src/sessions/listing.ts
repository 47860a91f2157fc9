import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Agent } from '../contracts/agent.js';
import type { Clock, Logger } from '../contracts/plugin.js';
import type { OwnedTerminal, Runtime, RuntimeHandle } from '../contracts/runtime.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { describeError } from '../errors.js';
import type { PluginHost } from '../plugins/host.js';
import { createScreenAges } from '../activity/screen-age.js';
import { readUsageChange, refreshUsage } from '../usage/refresh.js';
import { TERMINAL_STATUSES, type Session } from './schema.js';
import type { SessionList, SessionStore } from './store.js';
import { exitedWith } from './launch.js';

/** See `SessionManager.list`. */
export interface ListOptions {
  /** Only this project's sessions. */
  project?: string;
  /** False: the records as stored, no runtime asked. */
  refresh?: boolean;
  /** Also each live agent's activity and tokens. */
  activity?: boolean;
  /** Also the terminals ao started that no record points at. */
  orphans?: boolean;
  /** False: what the refresh finds is in this listing only, nothing is written (`ao status`). */
  record?: boolean;
}

export interface SessionListing extends SessionList {
  /** With `orphans: true`: terminals ao started (by their names) whose session has no record. */
  orphans?: OwnedTerminal[];
}

/** Recorded before a kill stops the agent: the intent a later listing completes if the kill is cut short. */
export const KILLING = 'session.killing';
export const KILLED: Partial<Session> = { status: 'killed', activity: 'exited', activityDetail: 'killed' };

export interface ListingDeps {
  config: ResolvedConfig;
  store: SessionStore;
  plugins: PluginHost;
  logger: Logger;
  clock: Clock;
}

/** `SessionManager.list`: the records, with liveness, a missing workspace, activity and orphans refreshed (see there). */
export function createListing(deps: ListingDeps): (options?: ListOptions) => Promise<SessionListing> {
  const { config, store, plugins, logger, clock } = deps;
  const { projectOf } = plugins;

  async function list(options: ListOptions = {}): Promise<SessionListing> {
    // Terminals before records: spawn writes the record before it starts the terminal, so a
    // terminal seen here whose record is not read next really has none.
    const owned = options.orphans ? await ownedTerminals() : undefined;
    const listed = await store.list(options.project);
    const orphans = owned && findOrphans(owned, options.project === undefined ? listed : await store.list());
    const withOrphans = (result: SessionList): SessionListing => (orphans ? { ...result, orphans } : result);
    if (options.refresh === false) return withOrphans(listed);
    const record = options.record !== false;
    const byRuntime = new Map<string, Session[]>();
    for (const s of listed.sessions) {
      if (!s.runtime || s.activity === 'exited') continue;
      const group = byRuntime.get(s.runtime.runtime) ?? [];
      group.push(s);
      byRuntime.set(s.runtime.runtime, group);
    }
    const updates = new Map<string, Session>();
    for (const [runtimeName, sessions] of byRuntime) {
      const project = config.projects[sessions[0]?.project ?? ''];
      if (!project) continue;
      let alive: Map<string, boolean>;
      let runtime: Runtime;
      try {
        runtime = await plugins.plugin(project, 'runtime', { plugin: runtimeName, config: project.runtime.plugin === runtimeName ? project.runtime.config : {}, at: 'session' });
        alive = await runtime.aliveMany(sessions.map((s) => s.runtime as RuntimeHandle));
      } catch (error) {
        logger.warn({ runtime: runtimeName, err: describeError(error) }, 'liveness check failed');
        continue;
      }
      for (const s of sessions) {
        const state = alive.get((s.runtime as RuntimeHandle).id);
        if (state === true) continue;
        if (state === undefined) {
          // The runtime could not tell (an ssh host that is down): not exited. Said in this
          // listing only; nothing is recorded, and the next listing that reaches it decides.
          updates.set(s.id, { ...s, activityDetail: `unreachable: the ${runtimeName} runtime cannot reach this session's terminal now (its host may be down)` });
          continue;
        }
        // The terminal died: say so on this very listing, and record it (unless told not to). A kill interrupted
        // between its stop and its record (a crash, a full disk) is finished here.
        const killed = s.lastEvent?.type === KILLING;
        const [type, set] = killed ? ['session.killed', KILLED] : ['runtime.exited', await exitedWith(runtime, s.runtime as RuntimeHandle)];
        const updated = record ? await store.update(s.project, s.id, type, set).catch(() => ({ ...s, ...set })) : { ...s, ...set };
        updates.set(s.id, updated);
      }
    }
    // A workspace deleted behind ao's back: the session needs a human, who is told how to recover.
    for (const listedSession of listed.sessions) {
      const s = updates.get(listedSession.id) ?? listedSession;
      if (s.status === 'spawning' || s.status === 'queued' || TERMINAL_STATUSES.includes(s.status) || existsSync(s.workspacePath)) continue;
      const set: Partial<Session> = {
        status: 'errored',
        activityDetail: `workspace ${s.workspacePath} is missing: \`ao session restore ${s.id}\` recreates it from branch ${s.branch} if that branch still exists`,
      };
      const updated = record ? await store.update(s.project, s.id, 'workspace.missing', set, { path: s.workspacePath }).catch(() => ({ ...s, ...set })) : { ...s, ...set };
      updates.set(s.id, updated);
    }
    if (options.activity) {
      const live = listed.sessions.filter((s) => !updates.has(s.id) && s.runtime && s.activity !== 'exited' && !TERMINAL_STATUSES.includes(s.status));
      const screens = await captureScreens(live);
      for (const s of live) {
        const refreshed = await refreshActivity(s, screens.get(s.id), record).catch(() => undefined);
        if (refreshed) updates.set(s.id, refreshed);
        const withUsage = await usageOf(refreshed ?? s, record).catch(() => undefined);
        if (withUsage) updates.set(s.id, withUsage);
      }
    }
    return withOrphans({ ...listed, sessions: listed.sessions.map((s) => updates.get(s.id) ?? s) });
  }

  /** Every terminal the configured runtimes started for this data dir (one call per distinct runtime). */
  async function ownedTerminals(): Promise<OwnedTerminal[]> {
    const asked = new Set<string>();
    const found = new Map<string, OwnedTerminal>();
    for (const project of Object.values(config.projects)) {
      const key = `${project.runtime.plugin}\0${JSON.stringify(project.runtime.config)}`;
      if (asked.has(key)) continue;
      asked.add(key);
      try {
        const runtime: Runtime = await plugins.plugin(project, 'runtime');
        for (const terminal of (await runtime.listOwned?.()) ?? []) found.set(handleKey(terminal.handle), terminal);
      } catch (error) {
        logger.warn({ runtime: project.runtime.plugin, err: describeError(error) }, 'could not list terminals');
      }
    }
    return [...found.values()];
  }

  /** Screens of live sessions, one `captureMany` per runtime where the runtime has it. Keys are session ids. */
  async function captureScreens(sessions: readonly Session[]): Promise<Map<string, string>> {
    const screens = new Map<string, string>();
    const byRuntime = new Map<string, Session[]>();
    for (const s of sessions) byRuntime.set(s.runtimeName, [...(byRuntime.get(s.runtimeName) ?? []), s]);
    for (const group of byRuntime.values()) {
      const first = group[0] as Session;
      const project = config.projects[first.project];
      if (!project) continue;
      const runtime: Runtime = await plugins.runtimeOf(first).catch(() => undefined as never);
      if (!runtime?.captureMany) continue;
      const byHandle = await runtime.captureMany(group.map((s) => s.runtime as RuntimeHandle), { lines: 50 }).catch(() => new Map<string, string>());
      for (const s of group) {
        const screen = byHandle.get((s.runtime as RuntimeHandle).id);
        if (screen !== undefined) screens.set(s.id, screen);
      }
    }
    return screens;
  }

  /** How long each session's screen has stayed the same, across the looks of this manager (the daemon's polls). */
  const screenAges = createScreenAges();

  /** The agent's activity now, recorded as `activity.changed` when it changed (only returned when `record` is false). */
  async function refreshActivity(session: Session, capturedScreen?: string, record = true): Promise<Session | undefined> {
    const project = projectOf(session);
    const agentSel = config.agents[session.agent];
    if (!agentSel || !session.runtime) return undefined;
    const [agent, runtime]: [Agent, Runtime] = await Promise.all([
      plugins.plugin(project, 'agent', agentSel),
      plugins.runtimeOf(session),
    ]);
    const screen = capturedScreen ?? (await runtime.capture(session.runtime, { lines: 50 }).catch(() => undefined));
    const age = screen !== undefined ? screenAges.observe(session.id, screen, clock.now()) : undefined;
    const report = await agent.detectActivity({
      workspacePath: session.workspacePath,
      alive: true,
      ...(screen !== undefined ? { screen } : {}),
      ...(age !== undefined ? { msSinceScreenChange: age } : {}),
      startedAt: Date.parse(session.startedAt ?? session.createdAt),
      now: clock.now(),
    });
    const set: Partial<Session> = {};
    const changed = report.activity !== session.activity;
    if (changed) set.activity = report.activity;
    // Events only when something a person acts on changes: the activity, or the question or block
    // shown. A busy screen's detail changes with every spinner frame (58 of 82 events of one run).
    const detail = report.detail ?? null;
    if (detail !== session.activityDetail && (changed || report.activity === 'waiting_input' || report.activity === 'blocked')) set.activityDetail = detail;
    if (report.nativeSessionId && report.nativeSessionId !== session.nativeSessionId) set.nativeSessionId = report.nativeSessionId;
    if (!Object.keys(set).length) return undefined;
    if (!record) return { ...session, ...set };
    return store.update(session.project, session.id, 'activity.changed', set, { source: report.source, from: session.activity });
  }

  /** Tokens from the agent's own log, recorded when they changed (only returned when `record` is false; see usage/refresh.ts). */
  async function usageOf(session: Session, record = true): Promise<Session | undefined> {
    const agentSel = config.agents[session.agent];
    if (!agentSel) return undefined;
    const agent: Agent = await plugins.plugin(projectOf(session), 'agent', agentSel);
    if (record) return refreshUsage(agent, session, store, clock.now());
    const change = await readUsageChange(agent, session, clock.now());
    return change && { ...session, usage: change.usage, usageLogs: change.usageLogs };
  }

  return list;
}

function handleKey(handle: RuntimeHandle): string {
  return `${handle.runtime}\0${handle.id}`;
}

/** The terminals no record claims, by session id or by handle. An unreadable record still claims its id. */
function findOrphans(owned: readonly OwnedTerminal[], records: SessionList): OwnedTerminal[] {
  const ids = new Set(records.sessions.map((s) => s.id));
  for (const problem of records.problems) ids.add(basename(problem.path).replace(/\.(events\.jsonl|json)$/, ''));
  const handles = new Set(records.sessions.flatMap((s) => (s.runtime ? [handleKey(s.runtime)] : [])));
  return owned.filter((terminal) => !ids.has(terminal.sessionId) && !handles.has(handleKey(terminal.handle)));
}
