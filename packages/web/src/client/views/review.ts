import 'diff2html/bundles/css/diff2html.min.css';
import { html as diffHtml, parse as parseDiff } from 'diff2html';
import { enc, get, post } from '../api.js';
import { h, replace, setText } from '../dom.js';

interface FullDiff {
  base: string;
  diff: string;
  truncated: boolean;
  error?: string;
}
interface LineComment {
  path: string;
  line: number;
  body: string;
}

/**
 * The review panel of a session's pull request: the full diff (diff2html, per file, changed words
 * highlighted), comments on lines (click a line number), and approve / request changes with a
 * comment. The review goes through the daemon like `ao review`; the lifecycle then sends the
 * comments to the agent with their file and line, or merges.
 */
export function mountReview(box: HTMLElement, id: string): void {
  const pending: LineComment[] = [];
  const diffArea = h('div', { class: 'diff-view' });
  const showBtn = h('button', { type: 'button' }, 'Show the full diff');
  const pendingList = h('ul', { class: 'pending-comments', 'aria-label': 'Line comments to send' });
  const summary = h('textarea', { id: 'review-body', rows: 2, placeholder: 'Overall comment (sent to the agent with “Request changes”)' });
  const approveBtn = h('button', { type: 'button', class: 'primary' }, 'Approve');
  const changesBtn = h('button', { type: 'button', class: 'danger' }, 'Request changes');
  const out = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });

  replace(
    box,
    h('h2', { id: 'review-h' }, 'Review'),
    h('div', { class: 'row' }, showBtn, h('span', { class: 'muted small' }, 'Click a line number in the diff to comment on that line.')),
    diffArea,
    pendingList,
    h('label', { for: 'review-body', class: 'muted small' }, 'Comment'),
    summary,
    h('div', { class: 'row' }, approveBtn, changesBtn, out),
  );

  const renderPending = (): void => {
    replace(
      pendingList,
      ...pending.map((c, i) =>
        h(
          'li',
          {},
          h('code', {}, `${c.path}:${c.line}`),
          ' ',
          c.body,
          ' ',
          h('button', { type: 'button', class: 'small', 'aria-label': `Remove the comment on ${c.path}:${c.line}`, onclick: () => (pending.splice(i, 1), renderPending()) }, 'Remove'),
        ),
      ),
    );
  };

  let paths: string[] = [];
  const loadDiff = async (): Promise<void> => {
    showBtn.disabled = true;
    setText(showBtn, 'Loading the diff…');
    try {
      const d = await get<FullDiff>(`/api/sessions/${enc(id)}/diff`);
      if (d.error) {
        replace(diffArea, h('p', { class: 'muted small' }, d.error));
        return;
      }
      const files = parseDiff(d.diff);
      paths = files.map((f) => (f.isDeleted ? f.oldName : f.newName));
      const view = h('div', { class: 'diff2html' });
      // diff2html escapes the diff's text; the markup is its own.
      view.innerHTML = files.length
        ? diffHtml(files, { drawFileList: files.length > 1, matching: 'lines', outputFormat: 'line-by-line' })
        : '<p class="muted small">No committed changes yet.</p>';
      replace(diffArea, d.truncated ? h('p', { class: 'muted small' }, 'The diff is long: only its first part is shown.') : null, view);
      setText(showBtn, 'Reload the diff');
    } catch (error) {
      replace(diffArea, h('p', { class: 'muted small' }, (error as Error).message));
    } finally {
      showBtn.disabled = false;
    }
  };

  // A click on a line number opens a comment box under that line (lines of the new version).
  diffArea.addEventListener('click', (event) => {
    const cell = (event.target as Element).closest('td.d2h-code-linenumber');
    if (!cell) return;
    const wrappers = [...diffArea.querySelectorAll('.d2h-file-wrapper')];
    const file = paths[wrappers.indexOf(cell.closest('.d2h-file-wrapper') as Element)];
    const line = Number(cell.querySelector('.line-num2')?.textContent?.trim() ?? '');
    const row = cell.closest('tr');
    if (!file || !row) return;
    if (!Number.isInteger(line) || line < 1) {
      setText(out, 'That line was removed: comment on a line of the new version.');
      return;
    }
    row.parentElement?.querySelector('tr.comment-row')?.remove();
    const text = h('textarea', { rows: 2, 'aria-label': `Comment on ${file}:${line}` });
    const add = h('button', { type: 'button', class: 'small primary' }, 'Add comment');
    const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
    const formRow = h('tr', { class: 'comment-row' }, h('td', { colspan: 2 }, h('div', { class: 'line-comment' }, h('code', {}, `${file}:${line}`), text, h('div', { class: 'row' }, add, cancel))));
    row.after(formRow);
    text.focus();
    cancel.addEventListener('click', () => formRow.remove());
    add.addEventListener('click', () => {
      if (!text.value.trim()) return;
      pending.push({ path: file, line, body: text.value.trim() });
      formRow.remove();
      renderPending();
    });
  });

  const review = (button: HTMLButtonElement, decision: 'approve' | 'request-changes'): void => {
    const message = summary.value.trim();
    if (decision === 'request-changes' && !message && pending.length === 0) {
      setText(out, 'Say what to change: write a comment, or comment on a line of the diff.');
      out.dataset.tone = 'bad';
      return;
    }
    button.disabled = true;
    out.dataset.tone = 'info';
    setText(out, `${button.textContent ?? ''}…`);
    void post<{ review: { decision: string } }>(`/api/sessions/${enc(id)}/review`, {
      decision,
      ...(message ? { message } : {}),
      ...(pending.length ? { comments: pending } : {}),
    })
      .then((r) => {
        const n = pending.length;
        pending.splice(0);
        renderPending();
        summary.value = '';
        out.dataset.tone = 'good';
        setText(
          out,
          decision === 'approve'
            ? `Approved (review: ${r.review.decision}).`
            : `Changes requested${n ? ` with ${n} line comment${n === 1 ? '' : 's'}` : ''}: the agent gets them on the next lifecycle poll.`,
        );
      })
      .catch((error: unknown) => {
        out.dataset.tone = 'bad';
        setText(out, (error as Error).message);
      })
      .finally(() => {
        button.disabled = false;
      });
  };

  showBtn.addEventListener('click', () => void loadDiff());
  approveBtn.addEventListener('click', () => review(approveBtn, 'approve'));
  changesBtn.addEventListener('click', () => review(changesBtn, 'request-changes'));
}
