import { describe, expect, it } from 'vitest';
import { AoError } from '../src/errors.js';
import { DEFAULT_PROMPTS, listTemplateVariables, renderTemplate } from '../src/templates.js';

function thrown(fn: () => unknown): AoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AoError);
    return error as AoError;
  }
  throw new Error('expected an AoError, nothing was thrown');
}

const vars = {
  issue: { id: '7', title: 'Fix login', body: 'It breaks.', labels: ['bug', 'auth'], meta: { owner: { name: 'ana' } } },
  session: { branch: '7-fix-login', attempt: 2, draft: false },
  project: { name: 'shop' },
  prompt: 'Do the thing',
};

describe('renderTemplate', () => {
  it('replaces nested dotted paths, with or without spaces inside the braces', () => {
    expect(renderTemplate('{{issue.title}} on {{ session.branch }} ({{  issue.meta.owner.name  }})', vars)).toBe(
      'Fix login on 7-fix-login (ana)',
    );
  });

  it('stringifies numbers and booleans and joins arrays with ", "', () => {
    expect(renderTemplate('{{session.attempt}} {{session.draft}} [{{issue.labels}}] {{issue.labels.1}}', vars)).toBe(
      '2 false [bug, auth] auth',
    );
  });

  it('keeps an empty string value (it is set) and leaves text without placeholders alone', () => {
    expect(renderTemplate('a{{x}}b', { x: '' })).toBe('ab');
    expect(renderTemplate('no placeholders }} here { x }', {})).toBe('no placeholders }} here { x }');
  });

  it('renders \\{{ as a literal {{ and does not treat it as a placeholder', () => {
    expect(renderTemplate('use \\{{ name }} in Go, {{project.name}}', vars)).toBe('use {{ name }} in Go, shop');
  });

  it('does not re-expand placeholders that appear inside values', () => {
    expect(renderTemplate('{{prompt}}', { prompt: 'literal {{issue.title}}' })).toBe('literal {{issue.title}}');
  });

  it('rejects an unknown top-level variable, naming it, the template and what is available', () => {
    const error = thrown(() => renderTemplate('Hi {{isue.title}}', vars, { name: 'prompts.issue' }));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.message).toContain('{{isue.title}}');
    expect(error.message).toContain('prompts.issue');
    expect(error.message).toContain('issue, project, prompt, session');
  });

  it('rejects a missing nested field and a path through a non-object, naming the variable', () => {
    const missing = thrown(() => renderTemplate('{{issue.titel}}', vars, { name: 'mine' }));
    expect(missing.code).toBe('TEMPLATE_INVALID');
    expect(missing.message).toContain('{{issue.titel}}');
    expect(missing.message).toContain('"issue" has no "titel"');
    expect(missing.message).toContain('title');

    const through = thrown(() => renderTemplate('{{issue.title.length.x}}', vars));
    expect(through.message).toContain('{{issue.title.length.x}}');
    expect(through.message).toContain('"issue.title" is string');
  });

  it('treats a null or undefined value as unset, never as an empty string', () => {
    const error = thrown(() => renderTemplate('{{issue.url}}', { issue: { url: undefined } }));
    expect(error.message).toContain('{{issue.url}}');
    expect(thrown(() => renderTemplate('{{x}}', { x: null })).message).toContain('"x" is not set');
  });

  it('rejects an object value and suggests using a field of it', () => {
    const error = thrown(() => renderTemplate('{{issue}}', vars, { name: 't' }));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.message).toContain('{{issue}}');
    expect(error.message).toContain('an object');
    expect(error.message).toContain('title');
  });

  it('rejects malformed placeholders with the line number', () => {
    const unclosed = thrown(() => renderTemplate('line one\nsee {{issue.title', vars, { name: 't' }));
    expect(unclosed.message).toContain('line 2');
    expect(unclosed.message).toContain('\\{{');
    const bad = thrown(() => renderTemplate('{{ issue title }}', vars));
    expect(bad.message).toContain('not a variable');
    expect(thrown(() => renderTemplate('{{}}', vars)).code).toBe('TEMPLATE_INVALID');
  });
});

describe('listTemplateVariables', () => {
  it('lists distinct paths in order of first use, ignoring escaped braces', () => {
    expect(listTemplateVariables('{{ b.c }} \\{{ nope }} {{a}} {{b.c}}')).toEqual(['b.c', 'a']);
  });

  it('throws TEMPLATE_INVALID for a malformed template', () => {
    expect(thrown(() => listTemplateVariables('{{ oops', { name: 'prompts.task' })).message).toContain('prompts.task');
  });
});

describe('DEFAULT_PROMPTS', () => {
  it('is versioned and renders with issue, session and project variables', () => {
    expect(DEFAULT_PROMPTS.version).toBe(1);
    const text = renderTemplate(DEFAULT_PROMPTS.issue, vars, { name: 'default issue' });
    expect(text).toContain('#7: Fix login');
    expect(text).toContain('It breaks.');
    expect(text).toContain('`7-fix-login`');
    expect(text).toContain('shop');
    expect(text).toMatch(/do not push/i);
    expect(listTemplateVariables(DEFAULT_PROMPTS.issue)).toEqual(
      expect.arrayContaining(['issue.title', 'issue.body', 'session.branch', 'project.name']),
    );
  });

  it('wraps a free prompt in the task template', () => {
    const text = renderTemplate(DEFAULT_PROMPTS.task, vars, { name: 'default task' });
    expect(text).toContain('Do the thing');
    expect(text).toContain('7-fix-login');
    expect(listTemplateVariables(DEFAULT_PROMPTS.task)).toEqual(['project.name', 'session.branch', 'prompt']);
  });
});
