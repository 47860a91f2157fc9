import { expect, it } from 'vitest';
import { closingQuestion, decideFromTurn } from '../src/index.js';

const probe = { workspacePath: '/w', alive: true, screen: '❯ \n? for shortcuts', msSinceScreenChange: 60_000, startedAt: 0, now: 100_000 };

it('a turn that ends on a question waits for a person, though the agent sits at its prompt', () => {
  const ended = decideFromTurn({ probe, turn: { kind: 'ended', reply: 'I would rewrite the parser.\nShould I go ahead? (y/n)' }, logMtimeMs: 0, source: 'log', screen: { idle: [/^❯/m] } });
  expect(ended).toMatchObject({ activity: 'waiting_input', detail: 'asks: Should I go ahead? (y/n)' });
  const done = decideFromTurn({ probe, turn: { kind: 'ended', reply: 'Done: the parser is rewritten.' }, logMtimeMs: 0, source: 'log' });
  expect(done?.activity).toBe('idle');
});

it('closingQuestion: only the last line counts', () => {
  expect(closingQuestion('Which one do you prefer?')).toBe('Which one do you prefer?');
  expect(closingQuestion('Proceed [y/N]')).toBe('Proceed [y/N]');
  expect(closingQuestion('Why did it fail? The lock was stale.\nFixed it.')).toBeUndefined();
  expect(closingQuestion(undefined)).toBeUndefined();
});
