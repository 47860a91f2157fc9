import { approvalOfEvent, attentionOf, createApprovalStore, describeAction, systemClock, type Approval, type Attention, type Session, type SessionEvent } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { createEventHub } from '@ao/daemon';
import { color, print, printErr } from '../render.js';
import { loadSessions } from '../sessions.js';

/** Events worth a line: what ao and the agents did. Activity flicker and bookkeeping are left out. */
const SHOWN = new Set([
  'session.spawned',
  'session.queued',
  'queue.admitted',
  'session.restored',
  'session.killed',
  'spawn.failed',
  'status.changed',
  'runtime.exited',
  'message.sent',
  'message.unsent',
  'keys.sent',
  'pr.updated',
  'reaction.done',
  'reaction.failed',
  'workspace.missing',
  'workspace.recreated',
  'workspace.removed',
  'approval.requested',
  'approval.approved',
  'approval.rejected',
  'approval.expired',
  'approval.executed',
]);

function describe(event: SessionEvent): string {
  const set = (event.set ?? {}) as Partial<Session>;
  const data = (event.data ?? {}) as Record<string, unknown>;
  const preview = (text: unknown): string => {
    const line = String(text ?? '').split('\n')[0] ?? '';
    return `"${line.length > 60 ? `${line.slice(0, 60)}…` : line}"`;
  };
  switch (event.type) {
    case 'status.changed':
      return `status ${set.status ?? String(data.status ?? '')}${set.activityDetail ? ` (${set.activityDetail})` : ''}`;
    case 'message.sent':
      return `ao sent the agent ${preview(data.message ?? data.text)}${data.source ? ` (${String(data.source)})` : ''}`;
    case 'reaction.done':
      return `reaction ${String(data.reaction ?? event.key ?? '')}: ${String(data.outcome ?? 'done')}`;
    case 'reaction.failed':
      return `reaction ${String(data.reaction ?? event.key ?? '')} failed: ${String(data.error ?? '')}`;
    case 'approval.requested':
    case 'approval.approved':
    case 'approval.rejected':
    case 'approval.expired':
    case 'approval.executed': {
      const a = approvalOfEvent(event);
      if (!a) return event.type.replace('.', ' ');
      const what = `approval ${a.id} (${describeAction(a.action)})`;
      if (event.type === 'approval.requested') return `${what} waits for you: ao approvals approve ${a.id}`;
      if (event.type === 'approval.executed') return `${what} ran: ${a.outcome ?? 'done'}`;
      return `${what} ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}`;
    }
    case 'pr.updated':
      return `PR ${set.pr ? `#${set.pr.id} ${set.pr.state}${set.pr.ci ? ` ci:${set.pr.ci}` : ''}${set.pr.review ? ` review:${set.pr.review}` : ''}` : 'updated'}`;
    default:
      return event.type.replace('.', ' ');
  }
}

/**
 * `ao watch`: a live feed in the terminal of what needs you and what ao does, until Ctrl-C. It
 * reads the same event logs the daemon and dashboard read, so it works with or without the daemon.
 */
export async function run(_args: unknown[], globals: GlobalOptions): Promise<number> {
  const { manager, store, paths, logger } = await loadSessions(globals);
  // Pending approvals: the queue once, then kept by the approval.* events (each carries the approval).
  const pending = new Map<string, Approval>();
  try {
    for (const a of (await createApprovalStore({ paths, clock: systemClock, sessions: store }).list({ status: 'pending' }, { record: false })).approvals) pending.set(a.id, a);
  } catch {
    // an unreadable queue: approvals show as their events arrive
  }
  const pendingFor = (id: string): boolean => [...pending.values()].some((a) => a.sessionId === id && Date.parse(a.expiresAt) > Date.now());
  const time = (iso: string): string => new Date(iso).toLocaleTimeString([], { hourCycle: 'h23' });
  const last = new Map<string, Attention | null>();
  const show = (id: string, attention: Attention | null): void => {
    const before = last.get(id) ?? null;
    last.set(id, attention);
    if (attention && (before?.reason !== attention.reason || before.text !== attention.text)) {
      print(color.yellow(`${time(new Date().toISOString())} ! ${id} needs you: ${attention.text}`));
    } else if (!attention && before) {
      print(color.green(`${time(new Date().toISOString())} ✓ ${id} no longer needs you`));
    }
  };

  const { sessions } = await manager.list({ activity: true });
  const live = sessions.filter((s) => attentionOf(s) !== null || !['merged', 'done', 'killed'].includes(s.status));
  print(color.dim(`watching ${live.length} session(s) in ${paths.home}; Ctrl-C to stop`));
  for (const s of sessions) show(s.id, attentionOf(s, { pendingApproval: pendingFor(s.id) }));
  if (![...last.values()].some(Boolean)) print(color.dim('nothing needs you right now'));

  const hub = createEventHub({ paths, store, logger });
  // One re-read per session at a time: a burst of events becomes one attention check.
  const checking = new Map<string, Promise<void>>();
  const recheck = (project: string, id: string): void => {
    const previous = checking.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      try {
        const session = await store.get(project, id);
        show(id, attentionOf(session, { pendingApproval: pendingFor(id) }));
      } catch (error) {
        printErr(`ao watch: could not read ${id}: ${(error as Error).message}`);
      }
    });
    checking.set(id, next);
  };
  const unsubscribe = hub.subscribe(({ sessionId, project, event }) => {
    const approval = approvalOfEvent(event);
    if (approval?.status === 'pending') pending.set(approval.id, approval);
    else if (approval) pending.delete(approval.id);
    if (SHOWN.has(event.type)) print(`${time(event.ts)}   ${sessionId}  ${describe(event)}`);
    recheck(project, sessionId);
  });
  // The hub's watchers and timer do not hold the process open (the daemon must be able to exit):
  // ao watch holds it until Ctrl-C, even while no session exists yet.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  unsubscribe();
  hub.close();
  return 0;
}
