import { describe, expect, it } from 'vitest';
import { AoError, parseConfigText } from '../src/index.js';

const FILE = '/repo/agent-orchestrator.yaml';
const load = (triggers: string) => parseConfigText(`projects:\n  app: {}\ntriggers:\n${triggers}`, FILE, {});
const refused = (triggers: string): AoError => {
  try {
    load(triggers);
  } catch (error) {
    return error as AoError;
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('triggers in the config', () => {
  it('a bad cron expression is CONFIG_INVALID when the config loads, naming file:line and the trigger', () => {
    const e = refused('  - id: nightly\n    cron: "0 3 * *"\n    prompt: p\n  - id: hourly\n    cron: "61 * * * *"\n    prompt: q\n');
    expect(e).toBeInstanceOf(AoError);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(`${FILE}:5:5 triggers[0].cron: trigger nightly: cron "0 3 * *" is not valid:`);
    expect(e.message).toContain(`${FILE}:8:5 triggers[1].cron: trigger hourly: cron "61 * * * *" is not valid:`);
  });

  it('a time zone that does not exist is refused the same way; valid expressions (with seconds, a zone) load', () => {
    const e = refused('  - id: nightly\n    cron: "0 3 * * *"\n    timezone: Mars/Olympus\n    prompt: p\n');
    expect(e.message).toContain(`${FILE}:6:5 triggers[0].timezone: trigger nightly: timezone "Mars/Olympus" is not valid`);
    const { config } = load('  - id: often\n    cron: "*/30 * * * * *"\n    timezone: Europe/Berlin\n    prompt: p\n  - id: labeled\n    on: issue.labeled\n    label: ready\n');
    expect(config.triggers?.map((t) => t.id)).toEqual(['often', 'labeled']);
  });
});
