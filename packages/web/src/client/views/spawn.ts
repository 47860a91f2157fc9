import { get, post, type Session } from '../api.js';
import { h, setText } from '../dom.js';
import type { Live } from '../live.js';

interface DashboardInfo {
  projects: string[];
  agents: string[];
  defaultAgent: string | null;
}

/** Starts a session from an issue or a free prompt (the same path as `ao spawn`). */
export function mountSpawn(root: HTMLElement, live: Live, navigate: (hash: string) => void): () => void {
  const issue = h('input', { id: 'sp-issue', name: 'issue', type: 'text', autocomplete: 'off', placeholder: 'e.g. 42' });
  const prompt = h('textarea', { id: 'sp-prompt', name: 'prompt', rows: 5, placeholder: 'What should the agent do? (optional with an issue)' });
  const agent = h('select', { id: 'sp-agent', name: 'agent' }, h('option', { value: '' }, 'project default'));
  const project = h('select', { id: 'sp-project', name: 'project' }, h('option', { value: '' }, 'from the daemon’s directory'));
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Spawn');
  const out = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const field = (id: string, label: string, control: HTMLElement, hint = ''): HTMLElement => h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'muted small' }, hint) : '');
  const form = h(
    'form',
    { class: 'card spawn' },
    field('sp-issue', 'Issue', issue, 'An issue id of the project’s tracker.'),
    field('sp-prompt', 'Prompt', prompt),
    h('div', { class: 'two' }, field('sp-agent', 'Agent', agent), field('sp-project', 'Project', project)),
    h('div', { class: 'row' }, submit, out),
  );
  root.replaceChildren(h('h1', {}, 'New session'), form);

  get<DashboardInfo>('/api/dashboard')
    .then((info) => {
      for (const a of info.agents) agent.append(h('option', { value: a }, a === info.defaultAgent ? `${a} (default)` : a));
      for (const p of info.projects) project.append(h('option', { value: p }, p));
      if (info.projects.length === 1) project.value = info.projects[0] as string;
    })
    .catch(() => {});

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, string> = {};
    if (issue.value.trim()) body.issue = issue.value.trim();
    if (prompt.value.trim()) body.prompt = prompt.value;
    if (agent.value) body.agent = agent.value;
    if (project.value) body.project = project.value;
    if (!body.issue && !body.prompt) {
      setText(out, 'Give an issue or a prompt.');
      out.dataset.tone = 'bad';
      return;
    }
    submit.disabled = true;
    setText(out, 'Spawning…');
    out.dataset.tone = 'info';
    post<Session>('/api/sessions', body)
      .then((s) => {
        live.upsert(s);
        navigate(`#/s/${encodeURIComponent(s.id)}`);
      })
      .catch((error: unknown) => {
        setText(out, (error as Error).message);
        out.dataset.tone = 'bad';
      })
      .finally(() => (submit.disabled = false));
  });
  return () => {};
}
