import { enc, get } from '../api.js';
import { h, replace } from '../dom.js';
import { time } from '../format.js';

interface Entry {
  ts?: string;
  kind: 'user' | 'assistant' | 'reasoning' | 'tool_call' | 'tool_result' | 'error';
  text: string;
  tool?: string;
  isError?: boolean;
}
interface Reading {
  entries: Entry[];
  cursor: Record<string, unknown> | null;
}

const WHO: Record<Entry['kind'], (e: Entry) => string> = {
  user: () => 'user',
  assistant: () => 'agent',
  reasoning: () => 'thinking',
  tool_call: (e) => `tool ${e.tool ?? ''}`.trim(),
  tool_result: (e) => `${e.isError ? 'failed' : 'result'} ${e.tool ?? ''}`.trim(),
  error: () => 'error',
};

/**
 * The conversation from the agent's own log (`GET /api/sessions/:id/trace`), beside the terminal:
 * read whole once, then only what came after the last read, whenever an event of the session
 * arrives (`refresh`); the page keeps no timer. Long tool results fold.
 */
export function mountTrace(container: HTMLElement, sessionId: string, limit = 500): { refresh(): void } {
  const list = h('ol', { class: 'trace' });
  const note = h('p', { class: 'muted small' }, 'loading…');
  replace(container, h('h2', {}, 'Trace'), note, list);
  let cursor: Reading['cursor'] = null;
  let busy = false;
  let again = false;
  const item = (e: Entry): HTMLLIElement => {
    const long = e.kind === 'tool_result' && e.text.split('\n').length > 8;
    const body = long ? h('details', {}, h('summary', {}, `${e.text.split('\n').length} lines`), h('pre', {}, e.text)) : h('pre', {}, e.text);
    return h('li', { 'data-kind': e.kind }, h('div', { class: 'who' }, e.ts ? h('time', { datetime: e.ts }, time(e.ts)) : '', ' ', h('strong', {}, WHO[e.kind](e))), body);
  };
  const load = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const query = cursor ? `?after=${encodeURIComponent(JSON.stringify(cursor))}` : '';
      const r = await get<Reading>(`/api/sessions/${enc(sessionId)}/trace${query}`);
      if (r.cursor) cursor = r.cursor;
      for (const e of r.entries) list.append(item(e));
      while (list.children.length > limit) list.firstElementChild?.remove();
      note.textContent = list.children.length ? '' : "Nothing in the agent's log yet (claude-code, codex and opencode keep one).";
      if (r.entries.length) list.lastElementChild?.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      note.textContent = (error as Error).message;
    } finally {
      busy = false;
      if (again) {
        again = false;
        void load();
      }
    }
  };
  void load();
  return { refresh: () => void load() };
}
