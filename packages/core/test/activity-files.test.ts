import { appendFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findNewestFile, listRecentFiles, readFirstJsonLine, readJsonlTail } from '../src/activity/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ao-activity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (o: unknown) => `${JSON.stringify(o)}\n`;

describe('readJsonlTail', () => {
  it('reads only the end of a multi-megabyte log and parses its last complete lines', async () => {
    const path = join(dir, 'big.jsonl');
    const filler = 'x'.repeat(1000);
    await writeFile(path, Array.from({ length: 5000 }, (_, i) => line({ i, filler })).join(''));
    const tail = await readJsonlTail(path, { maxBytes: 16 * 1024 });
    expect(tail.size).toBeGreaterThan(5_000_000);
    expect(tail.bytesRead).toBeLessThanOrEqual(16 * 1024);
    const last = tail.entries.at(-1) as { i: number };
    expect(last.i).toBe(4999);
    // Consecutive, complete lines: the cut first line was dropped, not half-parsed.
    const indexes = tail.entries.map((e) => (e as { i: number }).i);
    expect(indexes).toEqual(indexes.map((_, k) => indexes[0]! + k));
  });

  it('skips a last line still being written, keeps one that is complete without its newline', async () => {
    const path = join(dir, 'partial.jsonl');
    await writeFile(path, `${line({ n: 1 })}{"n":2,"half`);
    expect((await readJsonlTail(path)).entries).toEqual([{ n: 1 }]);
    await writeFile(path, `${line({ n: 1 })}{"n":2}`);
    expect((await readJsonlTail(path)).entries).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('widens the window when the last line is longer than it (a large tool result)', async () => {
    const path = join(dir, 'long.jsonl');
    await writeFile(path, line({ n: 1 }) + line({ n: 2, output: 'y'.repeat(300_000) }));
    const tail = await readJsonlTail(path, { maxBytes: 4096 });
    expect((tail.entries.at(-1) as { n: number }).n).toBe(2);
  });

  it('keeps only maxEntries of the newest entries and skips garbage lines', async () => {
    const path = join(dir, 'mixed.jsonl');
    await writeFile(path, `${line({ n: 1 })}not json\n${line({ n: 2 })}\n\n${line({ n: 3 })}`);
    expect((await readJsonlTail(path, { maxEntries: 2 })).entries).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('rejects for a missing file so callers can fall back', async () => {
    await expect(readJsonlTail(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readFirstJsonLine', () => {
  it('reads a header line longer than one read chunk', async () => {
    const path = join(dir, 'head.jsonl');
    await writeFile(path, line({ type: 'session_meta', instructions: 'z'.repeat(200_000) }) + line({ type: 'next' }));
    expect(await readFirstJsonLine(path)).toMatchObject({ type: 'session_meta' });
  });

  it('is undefined while the header is incomplete', async () => {
    const path = join(dir, 'head.jsonl');
    await writeFile(path, '{"type":"sess');
    expect(await readFirstJsonLine(path)).toBeUndefined();
  });
});

describe('listRecentFiles / findNewestFile', () => {
  it('finds the newest matching file modified since a time, descending maxDepth levels', async () => {
    const t0 = Date.now() - 3_600_000;
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    const files = { old: join(dir, 'old.jsonl'), mid: join(dir, 'a', 'mid.jsonl'), deep: join(dir, 'a', 'b', 'new.jsonl'), other: join(dir, 'a', 'x.txt') };
    for (const f of Object.values(files)) await writeFile(f, '{}\n');
    await utimes(files.old, new Date(t0 - 60_000), new Date(t0 - 60_000));
    await utimes(files.mid, new Date(t0 + 60_000), new Date(t0 + 60_000));
    await utimes(files.deep, new Date(t0 + 120_000), new Date(t0 + 120_000));
    await utimes(files.other, new Date(t0 + 180_000), new Date(t0 + 180_000));
    const match = (n: string) => n.endsWith('.jsonl');

    expect((await findNewestFile(dir, { since: t0, match, maxDepth: 2 }))?.path).toBe(files.deep);
    expect((await findNewestFile(dir, { since: t0, match, maxDepth: 1 }))?.path).toBe(files.mid);
    expect(await findNewestFile(dir, { since: t0, match })).toBeUndefined();
    expect((await listRecentFiles(dir, { match, maxDepth: 2 })).map((f) => f.path)).toEqual([files.deep, files.mid, files.old]);
  });

  it('is empty for a directory that does not exist', async () => {
    expect(await listRecentFiles(join(dir, 'nope'))).toEqual([]);
  });

  it('sees appends as newer', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    await writeFile(a, '{}\n');
    await writeFile(b, '{}\n');
    const past = new Date(Date.now() - 10_000);
    await utimes(b, past, past);
    await utimes(a, new Date(past.getTime() - 10_000), new Date(past.getTime() - 10_000));
    await appendFile(a, '{}\n');
    expect((await findNewestFile(dir))?.path).toBe(a);
  });
});
