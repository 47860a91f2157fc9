import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AoError, readJsonRecord, writeJsonRecord, z } from '../src/index.js';

const Schema = z.object({ id: z.string(), n: z.number() });
const corrupt = (reason: string): Error => new AoError('PLAN_STATE', `corrupt: ${reason}`);

describe('JSON records (readJsonRecord / writeJsonRecord)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ao-json-record-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a private, indented record that reads back as the schema', async () => {
    const path = join(dir, 'a.json');
    await writeJsonRecord(path, { id: 'a', n: 1 });
    expect(await readFile(path, 'utf8')).toBe('{\n  "id": "a",\n  "n": 1\n}\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readJsonRecord(path, Schema, corrupt)).toEqual({ id: 'a', n: 1 });
  });

  it('is undefined for a missing file', async () => {
    expect(await readJsonRecord(join(dir, 'none.json'), Schema, corrupt)).toBeUndefined();
  });

  it('throws the caller\'s error, with the reason, for a file that is not JSON or not of the shape', async () => {
    await writeFile(join(dir, 'torn.json'), '{"id": "a", "n"');
    await expect(readJsonRecord(join(dir, 'torn.json'), Schema, corrupt)).rejects.toMatchObject({ code: 'PLAN_STATE', message: expect.stringContaining('invalid JSON') });
    await writeFile(join(dir, 'shape.json'), '{"id": "a", "n": "one"}');
    await expect(readJsonRecord(join(dir, 'shape.json'), Schema, corrupt)).rejects.toMatchObject({ code: 'PLAN_STATE', message: expect.stringContaining('n: Expected number') });
  });
});
