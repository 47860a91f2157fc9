import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAo } from './run-ao.js';

// Each shell loads the script `ao completion <shell>` prints and is asked what completes a line,
// the way it would be when the user presses Tab.
const dir = mkdtempSync(join(tmpdir(), 'ao-completion-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(shell: string): string {
  const r = runAo(['completion', shell], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const file = join(dir, `ao.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

function bashComplete(file: string, words: string[]): string[] {
  const line = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _ao_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', line], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('ao completion', () => {
  it('bash completes commands, subcommands and their flags', () => {
    const file = script('bash');
    expect(bashComplete(file, ['ao', 'ses'])).toEqual(['session']);
    expect(bashComplete(file, ['ao', 'session', ''])).toEqual(expect.arrayContaining(['ls', 'attach', 'kill', 'restore', 'cleanup', 'events']));
    expect(bashComplete(file, ['ao', 'session', 'k'])).toEqual(['kill']);
    expect(bashComplete(file, ['ao', 'spawn', '--a'])).toEqual(['--agent']);
    // A flag of one command is not offered for another.
    expect(bashComplete(file, ['ao', 'status', '--ag'])).toEqual([]);
    // The value of --config is a file.
    writeFileSync(join(dir, 'my-config.yaml'), '');
    expect(bashComplete(file, ['ao', '--config', join(dir, 'my-con')])).toEqual([join(dir, 'my-config.yaml')]);
  });

  it('fish completes with descriptions', () => {
    const file = script('fish');
    const r = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C 'ao session k'; complete -C 'ao spawn --ag'`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'kill\tstop the agent; its workspace and branch are kept',
      '--agent\tagent to use (a built-in or a key of agents:)',
    ]);
  });

  it('zsh loads the script through bashcompinit and offers the same words', () => {
    const file = script('zsh');
    const r = spawnSync('zsh', ['-f', '-c', `source ${file}; setopt ksharrays; COMP_WORDS=(ao session ''); COMP_CWORD=2; _ao_complete; print -rl -- "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
      env: { ...process.env, HOME: dir, ZDOTDIR: dir },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['ls', 'kill', 'restore']));
    expect(r.stdout).not.toContain('--agent');
  });

  it('refuses an unknown shell with the ones it knows (exit 2)', () => {
    const r = runAo(['completion', 'ksh'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown shell "ksh": use one of bash, zsh, fish');
  });
});
