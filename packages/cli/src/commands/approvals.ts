import { AoError, APPROVAL_STATUSES, describeAction, type Approval, type ApprovalStatus } from '@ao/core';
import type { GlobalOptions } from '../context.js';
import { notifyDaemon } from '@ao/daemon/client';
import { color, print, table } from '../render.js';
import { age } from '../sessions.js';
import { loadLifecycle } from './lifecycle.js';

const who = (): string => process.env.USER ?? 'cli';

/** `ao approvals ls [--json] [--status S]`: the approval queue, newest first. Expired ones are marked on read. */
export async function list([opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { json?: boolean; status?: string; all?: boolean };
  if (flags.status && !APPROVAL_STATUSES.includes(flags.status as ApprovalStatus)) {
    throw new AoError('USAGE', `Unknown status "${flags.status}": use ${APPROVAL_STATUSES.join(', ')}`);
  }
  const { lifecycle } = await loadLifecycle(globals);
  const { approvals, problems } = await lifecycle.approvals.list(flags.status ? { status: flags.status as ApprovalStatus } : {});
  for (const p of problems) process.stderr.write(`ao: skipped ${p.path}: ${p.reason}\n`);
  if (flags.json) {
    print(JSON.stringify(approvals, null, 2));
    return 0;
  }
  if (approvals.length === 0) {
    print('No approvals.');
    return 0;
  }
  const now = Date.now();
  print(
    table(
      ['ID', 'STATUS', 'SESSION', 'ACTION', 'AGE', 'REASON'],
      approvals.map((a) => [a.id, paint(a), a.sessionId, describeAction(a.action), age(a.createdAt, now), a.reason.length > 70 ? `${a.reason.slice(0, 69)}…` : a.reason]),
    ),
  );
  return 0;
}

function paint(a: Approval): string {
  if (a.status === 'pending') return color.yellow('pending');
  if (a.status === 'approved') return color.green(a.executedAt ? 'approved' : 'approved (not run yet)');
  // Withdrawn by ao: what it asked about changed (`supersededBy` names the newer question) or was merged.
  if (a.supersededBy) return color.dim(`withdrawn (${a.supersededBy})`);
  return color.dim(a.status);
}

/** `ao approvals approve <id>`: approves and runs the held action now, exactly once. */
export async function approve([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { message?: string };
  const { lifecycle, paths } = await loadLifecycle(globals);
  const approval = await lifecycle.approve(String(id), { by: who(), ...(flags.message ? { message: flags.message } : {}) });
  await notifyDaemon(paths, `approval ${approval.id}`);
  if (approval.executedAt) {
    const failed = approval.outcome?.startsWith('failed');
    print(`approved ${approval.id}: ${describeAction(approval.action)} for ${approval.sessionId}: ${failed ? color.red(approval.outcome ?? '') : (approval.outcome ?? 'done')}`);
    return failed ? 1 : 0;
  }
  print(`approved ${approval.id}; its action is being run by another ao process (the daemon)`);
  return 0;
}

/** `ao approvals reject <id> [-m TEXT]`: nothing runs; the agent is not told. */
export async function reject([id, opts]: unknown[], globals: GlobalOptions): Promise<number> {
  const flags = (opts ?? {}) as { message?: string };
  const { lifecycle, paths } = await loadLifecycle(globals);
  const approval = await lifecycle.reject(String(id), { by: who(), ...(flags.message ? { message: flags.message } : {}) });
  await notifyDaemon(paths, `approval ${approval.id}`);
  print(`rejected ${approval.id} (${describeAction(approval.action)} for ${approval.sessionId})`);
  return 0;
}
