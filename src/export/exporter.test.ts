import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { checkRecordHash } from '../audit/chain.js';
import { ManualClock } from '../core/clock.js';
import type { ExportSink } from '../core/config.js';
import type { AirlockError } from '../core/errors.js';
import { openStore, type Store } from '../store/db.js';
import { AuditExporter } from './exporter.js';
import { fillStore, startReceiver, type TestReceiver, waitFor } from './testing.js';

const key = Buffer.alloc(32, 7);
const SECRET = 'receiver-shared-secret';

describe('AuditExporter', () => {
  let dir: string;
  let store: Store;
  let receiver: TestReceiver;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const hook = (over: Partial<ExportSink> = {}): ExportSink =>
    ({
      name: 'hook',
      type: 'webhook',
      url: receiver.url,
      secret: { env: 'HOOK_SECRET' },
      timeoutMs: 2000,
      batchSize: 40,
      flushIntervalMs: 30,
      ...over,
    }) as ExportSink;
  const exporter = (sinks: ExportSink[], errors: string[] = []) =>
    new AuditExporter({
      db: store.db,
      sinks,
      clock,
      env: { HOOK_SECRET: SECRET },
      backoff: { initialMs: 20, maxMs: 80 },
      onError: (sink, err: AirlockError, wait) =>
        errors.push(`${sink}: ${err.message} (retry in ${wait} ms)`),
    });
  const seqsOf = (node: string) => receiver.accepted.filter((b) => b.node === node).flatMap((b) => b.seqs);
  const cursors = () =>
    store.db
      .selectFrom('export_cursors')
      .select(['sink', 'node', 'seq'])
      .orderBy('sink')
      .orderBy('node')
      .execute();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-export-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    receiver = await startReceiver(SECRET);
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('after an outage, every event of every node arrives once, in order, signed and verifiable', async () => {
    await fillStore(store, dir, 'node-a', key, clock, 130);
    await fillStore(store, dir, 'node-b', key, clock, 25);
    receiver.failNext(4);
    const errors: string[] = [];
    const running = exporter([hook()], errors);
    running.start();
    const all = await waitFor(() => seqsOf('node-a').length >= 130 && seqsOf('node-b').length >= 25, 10_000);
    await running.stop();
    assert.ok(all, `delivered a=${seqsOf('node-a').length} b=${seqsOf('node-b').length}`);
    assert.equal(receiver.refused, 4);
    assert.equal(errors.length, 4);
    assert.match(
      errors[0]!,
      /^hook: POST to http:\/\/127\.0\.0\.1:\d+ answered HTTP 500 \(retry in \d+ ms\)$/,
    );
    assert.deepEqual(
      seqsOf('node-a'),
      Array.from({ length: 130 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      seqsOf('node-b'),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.ok(receiver.accepted.every((b) => b.signatureOk && b.seqs.length <= 40));
    for (const batch of receiver.accepted) {
      for (const record of batch.records) assert.equal(checkRecordHash(JSON.parse(record)), undefined);
    }
    assert.deepEqual(await cursors(), [
      { sink: 'hook', node: 'node-a', seq: 130 },
      { sink: 'hook', node: 'node-b', seq: 25 },
    ]);
    assert.deepEqual(running.lag(), new Map([['hook', 0]]));
  });

  test('a restarted exporter resumes after its stored cursor; a new sink starts from the beginning', async () => {
    await fillStore(store, dir, 'node-a', key, clock, 50);
    const first = exporter([hook()]);
    first.start();
    assert.ok(await waitFor(() => seqsOf('node-a').length >= 50, 10_000));
    await first.stop();
    await fillStore(store, dir, 'node-a', key, clock, 15);
    const path = join(dir, 'out', 'audit.jsonl');
    const second = exporter([
      hook(),
      { name: 'file', type: 'jsonl', path, rotateDaily: false, batchSize: 100, flushIntervalMs: 30 },
    ]);
    second.start();
    const lines = () => {
      try {
        return readFileSync(path, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    assert.ok(await waitFor(() => seqsOf('node-a').length >= 65 && lines().length >= 65, 10_000));
    await second.stop();
    assert.deepEqual(
      seqsOf('node-a'),
      Array.from({ length: 65 }, (_, i) => i + 1),
      'no event twice',
    );
    const stored = await store.db.selectFrom('audit_events').select('record').orderBy('seq').execute();
    assert.deepEqual(
      lines(),
      stored.map((r) => r.record),
      'the file holds the stored records byte for byte',
    );
    assert.deepEqual(await cursors(), [
      { sink: 'file', node: 'node-a', seq: 65 },
      { sink: 'hook', node: 'node-a', seq: 65 },
    ]);
  });

  test('while a sink is down its lag counts what it misses and the cursor stays put', async () => {
    await fillStore(store, dir, 'node-a', key, clock, 30);
    receiver.failAlways();
    const errors: string[] = [];
    const running = exporter([hook()], errors);
    running.start();
    assert.ok(await waitFor(() => errors.length >= 3, 5000));
    assert.deepEqual(running.lag(), new Map([['hook', 30]]));
    assert.deepEqual(await cursors(), []);
    receiver.failNext(0);
    assert.ok(await waitFor(() => seqsOf('node-a').length >= 30, 5000));
    await running.stop();
    assert.deepEqual(running.lag(), new Map([['hook', 0]]));
  });

  test('a missing secret is a delivery failure, not a crash', async () => {
    await fillStore(store, dir, 'node-a', key, clock, 3);
    const errors: string[] = [];
    const running = new AuditExporter({
      db: store.db,
      sinks: [hook()],
      clock,
      env: {},
      backoff: { initialMs: 20, maxMs: 40 },
      onError: (sink, err) => errors.push(`${sink}: ${err.code} ${err.message}`),
    });
    running.start();
    assert.ok(await waitFor(() => errors.length >= 1, 5000));
    await running.stop();
    assert.equal(
      errors[0],
      'hook: ERR_DELIVERY_FAILED sink hook: environment variable HOOK_SECRET is not set',
    );
    assert.equal(receiver.accepted.length, 0);
  });
});
