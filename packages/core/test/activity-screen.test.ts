import { describe, expect, it } from 'vitest';
import { detectScreenActivity, lastScreenLines, matchScreen, type ScreenProfile } from '../src/activity/index.js';

const quiet = { alive: true, msSinceScreenChange: 60_000 };
const changing = { alive: true, msSinceScreenChange: 200 };
const shellPrompt: ScreenProfile = { idle: [/^\$ ?$/m] };

describe('detectScreenActivity', () => {
  it('says exited whenever the process is gone, whatever the screen shows', () => {
    expect(detectScreenActivity({ alive: false, screen: 'Do you want to proceed? (y/n)' }).activity).toBe('exited');
  });

  it.each([
    ['(y/n)', 'Overwrite src/app.ts? (y/n)'],
    ['[Y/n]', 'Install dependencies? [Y/n] '],
    ['Claude Code permission menu', ' Bash command\n   rm -rf build\n Do you want to proceed?\n ❯ 1. Yes\n   2. No, and tell Claude what to do differently (esc)'],
    ['numbered Yes without question', 'Edit file\n❯ 1. Yes\n  2. No'],
    ['Press Enter', 'Setup complete.\nPress Enter to continue…'],
    ['Allow …?', '│ Allow command? │'],
    ['aider (Y)es/(N)o', 'Add src/x.py to the chat? (Y)es/(N)o/(D)on\'t ask again [Yes]:'],
    ['codex approval', 'Would you like to run the following command?\n$ curl -s https://example.com\n› 1. Yes, proceed (y)'],
  ])('recognises a question (%s) as waiting_input, even while the screen changes', (_name, screen) => {
    const report = detectScreenActivity({ ...changing, screen: `some earlier output\n${screen}\n\n` });
    expect(report.activity).toBe('waiting_input');
    expect(report.source).toBe('screen');
    expect(report.detail).toMatch(/^asks: /);
  });

  it.each([
    ['rate limit', 'Error: 429 rate limit exceeded, retry later'],
    ['usage limit', 'Claude AI usage limit reached|1760000000'],
    ['login', 'Invalid API key · Please run /login'],
    ['missing key', 'Error: OPENAI_API_KEY missing: API key not set'],
    ['litellm', 'litellm.AuthenticationError: AnthropicException - invalid x-api-key'],
  ])('recognises a quiet screen ending in %s as blocked', (_name, screen) => {
    const report = detectScreenActivity({ ...quiet, screen: `working...\n${screen}\n` }, shellPrompt);
    expect(report.activity).toBe('blocked');
    expect(report.detail).toBeTruthy();
  });

  it('does not call a changing screen blocked just because it prints "rate limit"', () => {
    const screen = 'writing src/rate-limit.ts\nexport function rateLimit() {}\n';
    expect(detectScreenActivity({ ...changing, screen }).activity).toBe('active');
  });

  it('ignores a rate-limit message that scrolled far above the bottom', () => {
    const screen = ['Error: rate limit exceeded', ...Array.from({ length: 10 }, (_, i) => `line ${i}`), '$ '].join('\n');
    expect(detectScreenActivity({ ...quiet, screen }, shellPrompt).activity).toBe('idle');
  });

  it('is idle on a quiet screen at the idle prompt', () => {
    const report = detectScreenActivity({ ...quiet, screen: 'done.\n$ \n\n\n' }, shellPrompt);
    expect(report).toEqual({ activity: 'idle', source: 'screen', detail: 'at its prompt' });
  });

  it('is active while the screen changes, even at the prompt', () => {
    expect(detectScreenActivity({ ...changing, screen: 'done.\n$ ' }, shellPrompt).activity).toBe('active');
  });

  it('is active on a quiet screen that is not at the prompt (a long silent command)', () => {
    const report = detectScreenActivity({ ...quiet, screen: '$ make\nbuilding...' }, shellPrompt);
    expect(report.activity).toBe('active');
  });

  it('waits the configured stable time before calling a quiet screen idle', () => {
    const probe = { alive: true, screen: 'done\n$ ', msSinceScreenChange: 3_000 };
    expect(detectScreenActivity(probe, shellPrompt).activity).toBe('active');
    expect(detectScreenActivity(probe, shellPrompt, { stableMs: 2_000 }).activity).toBe('idle');
  });

  it('treats spinners and "esc to interrupt" as active even when unchanged', () => {
    expect(detectScreenActivity({ ...quiet, screen: '⠹ Thinking' }, shellPrompt).activity).toBe('active');
    expect(detectScreenActivity({ ...quiet, screen: '• Working (12s • esc to interrupt)\n$ ' }, shellPrompt).activity).toBe('active');
    expect(detectScreenActivity({ ...quiet, screen: 'Building ⠼\n$ ' }, shellPrompt).activity).toBe('active');
  });

  it('does not take braille art for a spinner (the logo on Codex 0.171.0\'s start screen)', () => {
    const logo = ['  ⣾⣿⣿⠃ ⢸⣿⣿⡇ ⢸⣿⣿⠋⠁  ⠈⠙⢻⣿⣿⣿⣶⣤⡀', '         ⠈⠙⠛⠿⠿⠿⠿⠛⠉', '$ '].join('\n');
    expect(detectScreenActivity({ ...quiet, screen: logo }, shellPrompt).activity).toBe('idle');
  });

  it('calls any quiet screen idle for a profile without a prompt pattern', () => {
    expect(detectScreenActivity({ ...quiet, screen: 'anything at all' }).activity).toBe('idle');
  });

  it('is active with no screen at all (nothing says it stopped)', () => {
    expect(detectScreenActivity({ alive: true })).toMatchObject({ activity: 'active', source: 'none' });
  });

  it('strips colour escapes before matching', () => {
    const screen = '\u001b[1;33mContinue? \u001b[0m(y/n)\u001b[K\r\n';
    expect(detectScreenActivity({ ...quiet, screen }).activity).toBe('waiting_input');
  });

  it('goes by the lowest signal: an answered question above a later error or prompt no longer counts', () => {
    const answered = 'toy> ask\nApply the patch? (y/n) n\ntoy> limit\nError: 429 rate limit exceeded';
    expect(detectScreenActivity({ ...quiet, screen: answered }, { idle: [/^toy> ?$/m] }).activity).toBe('blocked');
    const backAtPrompt = 'Apply the patch? (y/n) y\npatched.\ntoy> ';
    expect(detectScreenActivity({ ...quiet, screen: backAtPrompt }, { idle: [/^toy> ?$/m] }).activity).toBe('idle');
    const askAfterError = 'Error: rate limit exceeded\nRetry now? (y/n)';
    expect(detectScreenActivity({ ...quiet, screen: askAfterError }).activity).toBe('waiting_input');
  });

  it('uses profile patterns before the common ones', () => {
    const profile: ScreenProfile = { idle: [/^ready>$/m], waiting: [/^Pick a branch:/m] };
    expect(detectScreenActivity({ ...quiet, screen: 'Pick a branch:\n  main\n  dev' }, profile).activity).toBe('waiting_input');
    expect(detectScreenActivity({ ...quiet, screen: 'ok\nready>' }, profile).activity).toBe('idle');
  });
});

describe('matchScreen / lastScreenLines', () => {
  it('returns the last non-blank lines without trailing blanks', () => {
    expect(lastScreenLines('a\n\nb  \n\n  \nc\n\n', 2)).toEqual(['b', 'c']);
  });

  it('looks for the idle prompt only in the last idleLines lines', () => {
    const screen = '> \nsome output after the prompt';
    expect(matchScreen(screen, { idle: [/^>/m] }).atPrompt).toBe(false);
    expect(matchScreen(screen, { idle: [/^>/m], idleLines: 2 }).atPrompt).toBe(true);
  });
});
