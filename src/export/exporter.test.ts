import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { checkRecordHash } from '../audit/chain.js';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { ManualClock } from '../core/clock.js';
import type { ExportSink } from '../core/config.js';
import type { AirlockError } from '../core/errors.js';
import { openStore, type Store } from '../store/db.js';
import type { DeadLetterLine } from './dead-letter.js';
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
  let written: AuditEventBody[] = [];
  const audit: AuditLog = {
    append(body) {
      written.push(body);
      return body as AuditRecord;
    },
  };
  const exporter = (sinks: ExportSink[], errors: string[] = []) =>
    new AuditExporter({
      db: store.db,
      sinks,
      clock,
      env: { HOOK_SECRET: SECRET },
      backoff: { initialMs: 20, maxMs: 80 },
      deadLetterDir: join(dir, 'dead-letter'),
      audit,
      onError: (sink, err: AirlockError, wait) =>
        errors.push(`${sink}: ${err.message} (retry in ${wait} ms)`),
    });
  const deadLetters = (sink = 'hook') => {
    try {
      return readFileSync(join(dir, 'dead-letter', `${sink}.jsonl`), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as DeadLetterLine);
    } catch {
      return [];
    }
  };
  const seqsOf = (node: string) => receiver.accepted.filter((b) => b.node === node).flatMap((b) => b.seqs);
  const cursors = () =>
    store.db
      .selectFrom('export_cursors')
      .select(['sink', 'node', 'seq'])
      .orderBy('sink')
      .orderBy('node')
      .execute();

  beforeEach(async () => {
    written = [];
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
    // The receiver has every event before the exporter stores its cursor: stopping in between is a
    // redelivery later (at least once), not what this test is about, so wait for the lag to reach 0.
    await waitFor(() => running.lag().get('hook') === 0, 10_000);
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
    // The receiver counts a batch before its answer reaches the loop: wait for the loop too, since
    // stopping in between aborts the POST and rightly leaves the lag (and the cursor) as it was.
    assert.ok(await waitFor(() => seqsOf('node-a').length >= 30 && running.lag().get('hook') === 0, 5000));
    await running.stop();
    assert.deepEqual(running.lag(), new Map([['hook', 0]]));
    assert.deepEqual(await cursors(), [{ sink: 'hook', node: 'node-a', seq: 30 }]);
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

  describe('permanent refusals', () => {
    test('a batch refused with 400 past its attempts is dead-lettered, recorded, and delivery goes on in order', async () => {
      await fillStore(store, dir, 'node-a', key, clock, 30);
      // The receiver rejects the first batch with 400 five times: more than the 3 attempts allowed.
      receiver.failNext(5, 400);
      const errors: string[] = [];
      const parked: string[] = [];
      const running = new AuditExporter({
        db: store.db,
        sinks: [hook({ batchSize: 10, deadLetterAfter: 3 })],
        clock,
        env: { HOOK_SECRET: SECRET },
        backoff: { initialMs: 20, maxMs: 80 },
        deadLetterDir: join(dir, 'dead-letter'),
        audit,
        onError: (sink, err) => errors.push(`${sink}: ${err.message}`),
        onDeadLetter: (sink, d) => parked.push(`${sink} ${d.node}#${d.fromSeq}-${d.toSeq} HTTP ${d.status}`),
      });
      running.start();
      const caughtUp = () => seqsOf('node-a').length >= 20 && running.lag().get('hook') === 0;
      assert.ok(await waitFor(caughtUp, 10_000), `got ${seqsOf('node-a')}`);
      await running.stop();
      assert.deepEqual(receiver.refusals, [400, 400, 400, 400, 400]);
      // 1..10 parked after 3 attempts; the 2 later 400s hit 11..20, under the bound, then it recovered.
      assert.deepEqual(
        deadLetters().map((l) => l.seq),
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        seqsOf('node-a'),
        Array.from({ length: 20 }, (_, i) => i + 11),
        'everything after the parked batch, once, in order',
      );
      const stored = await store.db
        .selectFrom('audit_events')
        .select('record')
        .orderBy('seq')
        .limit(10)
        .execute();
      assert.deepEqual(
        deadLetters().map((l) => JSON.stringify(l.record)),
        stored.map((r) => r.record),
        'each dead letter carries its stored record byte for byte',
      );
      const first = deadLetters()[0]!;
      assert.equal(first.sink, 'hook');
      assert.equal(first.node, 'node-a');
      assert.equal(first.status, 400);
      assert.equal(first.attempts, 3);
      assert.match(first.error, /answered HTTP 400$/);
      assert.deepEqual(parked, ['hook node-a#1-10 HTTP 400']);
      assert.equal(written.length, 1);
      assert.deepEqual(written[0], {
        type: 'export.dead-letter',
        actor: { subject: 'airlock', kind: 'service', groups: [], issuer: 'local', chain: [] },
        sink: 'hook',
        sourceNode: 'node-a',
        fromSeq: 1,
        toSeq: 10,
        events: 10,
        status: 400,
        attempts: 3,
        error: { code: 'ERR_DELIVERY_FAILED', message: first.error },
        file: join(dir, 'dead-letter', 'hook.jsonl'),
      });
      assert.deepEqual(running.deadLettered(), new Map([['hook', 10]]));
      assert.deepEqual(await cursors(), [{ sink: 'hook', node: 'node-a', seq: 30 }]);
      assert.equal(errors.length, 4, 'each refused attempt but the parking one is reported as a retry');
    });

    test('408 and 429 are transient: retried past the bound, never dead-lettered', async () => {
      await fillStore(store, dir, 'node-a', key, clock, 12);
      receiver.failNext(3, 429);
      const running = exporter([hook({ batchSize: 12, deadLetterAfter: 1 })]);
      running.start();
      assert.ok(await waitFor(() => seqsOf('node-a').length >= 12, 10_000));
      receiver.failNext(2, 408);
      await fillStore(store, dir, 'node-a', key, clock, 3);
      assert.ok(await waitFor(() => seqsOf('node-a').length >= 15, 10_000));
      await running.stop();
      assert.deepEqual(receiver.refusals, [429, 429, 429, 408, 408]);
      assert.deepEqual(
        seqsOf('node-a'),
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      assert.deepEqual(deadLetters(), []);
      assert.deepEqual(written, []);
    });

    test('413 splits the batch until it fits; a single event still too large is dead-lettered alone', async () => {
      await fillStore(store, dir, 'node-a', key, clock, 40);
      receiver.limitEvents(7);
      const running = exporter([hook({ batchSize: 40, deadLetterAfter: 2 })]);
      running.start();
      assert.ok(await waitFor(() => seqsOf('node-a').length >= 40, 10_000), `got ${seqsOf('node-a').length}`);
      assert.ok(receiver.accepted.every((b) => b.seqs.length <= 7));
      assert.deepEqual(
        seqsOf('node-a'),
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      assert.deepEqual(deadLetters(), [], 'splitting is not giving up');
      receiver.limitEvents(0);
      await fillStore(store, dir, 'node-a', key, clock, 2);
      assert.ok(await waitFor(() => deadLetters().length >= 2 && running.lag().get('hook') === 0, 10_000));
      await running.stop();
      assert.deepEqual(
        deadLetters().map((l) => [l.seq, l.status, l.attempts]),
        [
          [41, 413, 2],
          [42, 413, 2],
        ],
      );
      assert.deepEqual(
        written.map((e) => e.type === 'export.dead-letter' && [e.fromSeq, e.toSeq]),
        [
          [41, 41],
          [42, 42],
        ],
      );
      assert.deepEqual(await cursors(), [{ sink: 'hook', node: 'node-a', seq: 42 }]);
    });

    test('without a dead-letter folder a permanent refusal is retried, never skipped', async () => {
      await fillStore(store, dir, 'node-a', key, clock, 5);
      receiver.failAlways(400);
      const errors: string[] = [];
      const running = new AuditExporter({
        db: store.db,
        sinks: [hook({ deadLetterAfter: 1 })],
        clock,
        env: { HOOK_SECRET: SECRET },
        backoff: { initialMs: 10, maxMs: 20 },
        onError: (sink, err) => errors.push(`${sink}: ${err.message}`),
      });
      running.start();
      assert.ok(await waitFor(() => errors.length >= 4, 5000));
      await running.stop();
      assert.deepEqual(await cursors(), []);
    });
  });
});
