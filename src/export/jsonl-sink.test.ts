import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { JsonlExportSink } from '../core/config.js';
import { JsonlSink, rotationSuffix } from './jsonl-sink.js';
import type { ExportBatch } from './sink.js';

const signal = new AbortController().signal;

/** A batch of `count` records of about 100 bytes each, from seq `from`. */
function batch(from: number, count: number): ExportBatch {
  return {
    node: 'n',
    events: Array.from({ length: count }, (_, i) => ({
      seq: from + i,
      record: JSON.stringify({ seq: from + i, pad: 'x'.repeat(80) }),
    })),
  };
}

describe('JsonlSink', () => {
  let dir: string;
  let path: string;
  const sink = (over: Partial<JsonlExportSink>): JsonlExportSink => ({
    name: 'file',
    type: 'jsonl',
    batchSize: 100,
    flushIntervalMs: 1000,
    path,
    rotateDaily: false,
    ...over,
  });
  const seqsIn = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { seq: number }).seq);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-jsonl-'));
    path = join(dir, 'audit', 'export.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('appends one record per line, creating the folder, and keeps appending after a restart', async () => {
    const clock = new ManualClock();
    const first = new JsonlSink(sink({}), clock);
    await first.deliver(batch(1, 3), signal);
    await first.close();
    const second = new JsonlSink(sink({}), clock);
    await second.deliver(batch(4, 2), signal);
    await second.close();
    assert.deepEqual(readdirSync(join(dir, 'audit')), ['export.jsonl']);
    assert.deepEqual(seqsIn('audit/export.jsonl'), [1, 2, 3, 4, 5]);
  });

  test('rotates before a batch would pass maxBytes; rotated files carry the time and are left alone', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 12, 3, 118));
    const writer = new JsonlSink(sink({ rotateMaxBytes: 1024 }), clock);
    await writer.deliver(batch(1, 5), signal); // ~510 bytes
    await writer.deliver(batch(6, 4), signal); // ~920 in all: fits
    await writer.deliver(batch(10, 2), signal); // would pass 1024: rotate first
    clock.advance(1);
    await writer.deliver(batch(12, 20), signal); // bigger than maxBytes alone: rotate, then write whole
    await writer.deliver(batch(32, 1), signal); // same millisecond as the last rotation
    await writer.close();
    const files = readdirSync(join(dir, 'audit')).sort();
    assert.deepEqual(files, [
      'export.jsonl',
      'export.jsonl.2026-03-02T09-12-03.118Z',
      'export.jsonl.2026-03-02T09-12-03.119Z',
      'export.jsonl.2026-03-02T09-12-03.119Z-1',
    ]);
    assert.deepEqual(seqsIn('audit/export.jsonl.2026-03-02T09-12-03.118Z'), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(seqsIn('audit/export.jsonl.2026-03-02T09-12-03.119Z'), [10, 11]);
    assert.equal(seqsIn('audit/export.jsonl.2026-03-02T09-12-03.119Z-1').length, 20);
    assert.deepEqual(seqsIn('audit/export.jsonl'), [32]);
    assert.equal(rotationSuffix(new Date(Date.UTC(2026, 0, 1))), '2026-01-01T00-00-00.000Z');
  });

  test('rotates daily when the UTC day changes, also for a file left by an earlier run', async () => {
    const day1 = Date.UTC(2026, 2, 2, 23, 59, 0);
    const clock = new ManualClock(day1);
    const writer = new JsonlSink(sink({ rotateDaily: true }), clock);
    await writer.deliver(batch(1, 2), signal);
    clock.advance(30_000);
    await writer.deliver(batch(3, 1), signal); // same day
    clock.advance(60_000); // 2026-03-03T00:00:30Z
    await writer.deliver(batch(4, 1), signal);
    await writer.close();
    assert.deepEqual(seqsIn('audit/export.jsonl.2026-03-03T00-00-30.000Z'), [1, 2, 3]);
    assert.deepEqual(seqsIn('audit/export.jsonl'), [4]);

    // A restart on a later day: the live file's age comes from its modification time.
    utimesSync(path, new Date(Date.UTC(2026, 2, 3, 10)), new Date(Date.UTC(2026, 2, 3, 10)));
    clock.advance(2 * 86_400_000);
    const later = new JsonlSink(sink({ rotateDaily: true }), clock);
    await later.deliver(batch(5, 1), signal);
    await later.close();
    assert.deepEqual(seqsIn('audit/export.jsonl'), [5]);
    assert.equal(readdirSync(join(dir, 'audit')).length, 3);
  });

  test('an unwritable path fails the delivery', async () => {
    writeFileSync(join(dir, 'audit'), 'a file where the folder should be');
    const writer = new JsonlSink(sink({}), new ManualClock());
    await assert.rejects(writer.deliver(batch(1, 1), signal), (err: Error) =>
      /EEXIST|ENOTDIR/.test(String(err)),
    );
  });
});
