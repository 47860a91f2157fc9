import { enc, post, type Approval } from '../api.js';
import { h, replace, setText } from '../dom.js';
import { age, time } from '../format.js';
import type { Live } from '../live.js';

export function describeAction(a: Approval): string {
  const p = a.action.payload as Record<string, unknown>;
  switch (a.action.type) {
    case 'send':
      return 'send a message to the agent';
    case 'merge':
      return `merge PR #${String(p.prId ?? '?')}${p.method ? ` (${String(p.method)})` : ''}`;
    case 'cleanup':
      return 'clean up after the merge';
    case 'open-pr':
      return 'open a pull request';
  }
}

/**
 * The approval queue: pending first, each with approve / reject (and an optional note), then the
 * recent decisions. Re-rendered from the page's copy of the queue whenever it changes.
 */
export function mountApprovals(root: HTMLElement, live: Live): () => void {
  const pendingList = h('div', { class: 'approvals' });
  const decidedList = h('ol', { class: 'decided' });
  const out = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  root.replaceChildren(h('h1', {}, 'Approvals'), out, h('section', { 'aria-labelledby': 'ap-pending' }, h('h2', { id: 'ap-pending' }, 'Pending'), pendingList), h('section', { 'aria-labelledby': 'ap-done' }, h('h2', { id: 'ap-done' }, 'Decided'), decidedList));

  const decide = async (a: Approval, verb: 'approve' | 'reject', note: string, buttons: HTMLButtonElement[]): Promise<void> => {
    for (const b of buttons) b.disabled = true;
    setText(out, `${verb === 'approve' ? 'Approving' : 'Rejecting'} ${a.id}…`);
    out.dataset.tone = 'info';
    try {
      const r = await post<Approval>(`/api/approvals/${enc(a.id)}/${verb}`, note ? { message: note } : {});
      setText(out, `${a.id} ${r.status}${r.outcome ? `: ${r.outcome}` : ''}.`);
      out.dataset.tone = 'good';
    } catch (error) {
      setText(out, (error as Error).message);
      out.dataset.tone = 'bad';
    } finally {
      for (const b of buttons) b.disabled = false;
      await live.refreshApprovals().catch(() => {});
    }
  };

  const card = (a: Approval): HTMLElement => {
    const note = h('input', { type: 'text', placeholder: 'Note (optional)', 'aria-label': `Note for ${a.id}` });
    const approve = h('button', { type: 'button', class: 'primary', 'data-approve': a.id }, 'Approve');
    const reject = h('button', { type: 'button', class: 'danger', 'data-reject': a.id }, 'Reject');
    approve.addEventListener('click', () => void decide(a, 'approve', note.value.trim(), [approve, reject]));
    reject.addEventListener('click', () => void decide(a, 'reject', note.value.trim(), [approve, reject]));
    const message = a.action.type === 'send' ? String((a.action.payload as { message?: unknown }).message ?? '') : '';
    return h(
      'article',
      { class: 'card approval', 'data-approval': a.id },
      h('h3', {}, describeAction(a), ' ', h('span', { class: 'muted' }, 'for '), h('a', { href: `#/s/${enc(a.sessionId)}` }, a.sessionId)),
      h('p', {}, a.reason),
      message ? h('details', {}, h('summary', {}, 'Message'), h('pre', { class: 'log' }, message)) : '',
      h('p', { class: 'muted small' }, `${a.id} · ${a.reaction} · asked ${age(a.createdAt)} ago · expires ${new Date(a.expiresAt).toLocaleString()}`),
      h('div', { class: 'row' }, note, approve, reject),
    );
  };

  const render = (): void => {
    const pending = live.approvals.filter((a) => a.status === 'pending');
    const decided = live.approvals.filter((a) => a.status !== 'pending').slice(0, 30);
    // Keep cards that are still pending (and anything typed in their note); add new, drop gone.
    const have = new Map([...pendingList.querySelectorAll<HTMLElement>('[data-approval]')].map((el) => [el.dataset.approval ?? '', el]));
    const want = new Set(pending.map((a) => a.id));
    for (const [aid, el] of have) if (!want.has(aid)) el.remove();
    let cursor = pendingList.firstElementChild;
    for (const a of pending) {
      const el = have.get(a.id) && want.has(a.id) ? (have.get(a.id) as HTMLElement) : card(a);
      if (el !== cursor) pendingList.insertBefore(el, cursor);
      else cursor = cursor.nextElementSibling;
    }
    pendingList.querySelector('.empty')?.remove();
    if (!pending.length) pendingList.append(h('p', { class: 'empty' }, 'No approvals are waiting.'));
    replace(
      decidedList,
      ...(decided.length
        ? decided.map((a) => h('li', { 'data-status': a.status }, h('span', { class: 'status', 'data-tone': a.status === 'approved' ? 'good' : a.status === 'rejected' ? 'bad' : 'muted' }, a.status), ' ', describeAction(a), ' · ', h('a', { href: `#/s/${enc(a.sessionId)}` }, a.sessionId), ` · ${a.decidedAt ? time(a.decidedAt) : ''}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.outcome ? ` · ${a.outcome}` : ''}`))
        : [h('li', { class: 'empty' }, 'Nothing decided yet.')]),
    );
  };
  render();
  void live.refreshApprovals().catch(() => {});
  const off = live.onApprovals(render);
  return off;
}
