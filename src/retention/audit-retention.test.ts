import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { verifyAudit } from '../audit/verify.js';
import { ManualClock } from '../core/clock.js';
import { fillStore } from '../export/testing.js';
import { openStore, type Store } from '../store/db.js';
import { runAuditRetention } from './audit-retention.js';
import { signCheckpoint } from './checkpoint.js';

const key = Buffer.alloc(32, 3);
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const days = (n: number) => ({ text: `${n}d`, ms: n * 24 * HOUR });

describe('runAuditRetention', () => {
  let dir: string;
  let store: Store;
  let written: AuditEventBody[];
  const audit: AuditLog = {
    append(body) {
      written.push(body);
      return body as AuditRecord;
    },
  };
  /** Now: 100 h after the first event. */
  const now = () => new ManualClock(START + 100 * HOUR);
  const run = (over: Partial<Parameters<typeof runAuditRetention>[0]> = {}) =>
    runAuditRetention({ db: store.db, key, clock: now(), audit, period: days(2), sinks: [], ...over });
  const seqs = async (node = 'node-a') =>
    (
      await store.db
        .selectFrom('audit_events')
        .select('seq')
        .where('node', '=', node)
        .orderBy('seq')
        .execute()
    ).map((r) => r.seq);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-retention-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    written = [];
    // One event per hour: event N is sealed at START + (N-1) h.
    await fillStore(store, dir, 'node-a', key, new ManualClock(START), 100, HOUR);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('deletes the events older than the period in chunks, signs a checkpoint, and verify still says OK', async () => {
    const result = await run({ chunkSize: 10 });
    // Cutoff 52 h: events 1..52 (sealed at 0..51 h) are older.
    assert.equal(result.cutoff, new Date(START + 52 * HOUR).toISOString());
    assert.equal(result.deleted, 52);
    assert.deepEqual(result.nodes, [{ node: 'node-a', deleted: 52, throughSeq: 52 }]);
    assert.deepEqual(await seqs(), range(53, 100));
    const checkpoint = await store.db.selectFrom('audit_checkpoints').selectAll().executeTakeFirstOrThrow();
    assert.equal(written.length, 1);
    assert.equal(checkpoint.seq, 52);
    assert.equal(checkpoint.signature, signCheckpoint(key, 'node-a', 52, checkpoint.hash));
    assert.deepEqual(written[0], {
      type: 'retention.run',
      actor: { subject: 'airlock', kind: 'service', groups: [], issuer: 'local', chain: [] },
      cutoff: result.cutoff,
      period: '2d',
      deleted: 52,
      sessions: 0,
      nodes: [{ node: 'node-a', deleted: 52, throughSeq: 52 }],
    });
    const report = await verifyAudit(store.db, key);
    assert.equal(report.ok, true, report.firstBad?.reason);
    assert.deepEqual(report.nodes, [
      { node: 'node-a', events: 48, lastSeq: 100, ok: true, anchorSignatureChecked: true, checkpointSeq: 52 },
    ]);

    const again = await run();
    assert.equal(again.deleted, 0);
    assert.equal(written.length, 1, 'a run that deletes nothing writes no event');
  });

  test('never deletes past the slowest export sink’s cursor, and says which sink held it', async () => {
    await store.db
      .insertInto('export_cursors')
      .values([
        { sink: 'file', node: 'node-a', seq: 90, updated_at: '' },
        { sink: 'hook', node: 'node-a', seq: 30, updated_at: '' },
      ])
      .execute();
    const result = await run({ sinks: ['file', 'hook', 'new-sink'] });
    assert.equal(result.deleted, 0, 'a configured sink without a cursor has delivered nothing');
    assert.deepEqual(result.nodes, [{ node: 'node-a', deleted: 0, throughSeq: 0, heldBy: 'new-sink' }]);
    assert.equal(written.length, 0);

    const held = await run({ sinks: ['file', 'hook'] });
    assert.deepEqual(held.nodes, [{ node: 'node-a', deleted: 30, throughSeq: 30, heldBy: 'hook' }]);
    assert.deepEqual(await seqs(), range(31, 100));
    assert.equal((await verifyAudit(store.db, key)).ok, true);
  });

  test('keeps each node’s newest event, so the drainer continues the chain after it', async () => {
    const result = await run({ clock: new ManualClock(START + 1000 * HOUR) });
    assert.equal(result.deleted, 99);
    assert.deepEqual(await seqs(), [100]);
    await fillStore(store, dir, 'node-a', key, new ManualClock(START + 1000 * HOUR), 5, HOUR);
    assert.deepEqual(await seqs(), range(100, 105));
    const report = await verifyAudit(store.db, key);
    assert.equal(report.ok, true, report.firstBad?.reason);
    assert.equal(report.nodes[0]?.events, 6);
  });

  test('stops at an event that does not verify, deleting the verified prefix before it, and reports it', async () => {
    const original = await store.db
      .selectFrom('audit_events')
      .select('record')
      .where('seq', '=', 20)
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable('audit_events')
      .set({ record: original.record.replace('select 20', 'select 99') })
      .where('seq', '=', 20)
      .execute();
    const result = await run({ chunkSize: 8 });
    assert.equal(result.deleted, 19, 'everything due before #20 went, also within the chunk holding it');
    const problem =
      'event node-a#20: hash mismatch (edited); retention stopped there: nothing from it on was deleted';
    assert.deepEqual(result.nodes, [{ node: 'node-a', deleted: 19, throughSeq: 19, stoppedAt: 20, problem }]);
    assert.deepEqual(await seqs(), range(20, 100));
    const checkpoint = await store.db.selectFrom('audit_checkpoints').selectAll().executeTakeFirstOrThrow();
    assert.equal(checkpoint.seq, 19);
    assert.equal(checkpoint.signature, signCheckpoint(key, 'node-a', 19, checkpoint.hash));
    assert.equal(written.length, 1);
    assert.deepEqual(written[0], {
      type: 'retention.run',
      actor: { subject: 'airlock', kind: 'service', groups: [], issuer: 'local', chain: [] },
      cutoff: result.cutoff,
      period: '2d',
      deleted: 19,
      sessions: 0,
      nodes: [{ node: 'node-a', deleted: 19, throughSeq: 19, stoppedAt: 20, problem }],
    });
    const report = await verifyAudit(store.db, key);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 20,
      reason: 'event node-a#20: hash mismatch (edited)',
    });

    const again = await run({ chunkSize: 8 });
    assert.equal(again.deleted, 0, 'the next run stops at the same row');
    assert.deepEqual(again.nodes, [{ node: 'node-a', deleted: 0, throughSeq: 19, stoppedAt: 20, problem }]);
  });

  test('a missing event stops it the same way, after the events before the hole', async () => {
    await store.db.deleteFrom('audit_events').where('seq', '=', 13).execute();
    const result = await run({ chunkSize: 10 });
    assert.deepEqual(result.nodes, [
      {
        node: 'node-a',
        deleted: 12,
        throughSeq: 12,
        stoppedAt: 13,
        problem: 'event node-a#13 is missing; retention stopped there: nothing from it on was deleted',
      },
    ]);
    assert.equal((await seqs())[0], 14);
    assert.equal((await verifyAudit(store.db, key)).firstBad?.seq, 13);
  });

  test('a tampered first event deletes nothing and moves no checkpoint', async () => {
    await store.db
      .updateTable('audit_events')
      .set({ prev_hash: 'f'.repeat(64) })
      .where('seq', '=', 1)
      .execute();
    const result = await run({ chunkSize: 10 });
    assert.equal(result.deleted, 0);
    assert.equal(result.nodes[0]?.stoppedAt, 1);
    assert.equal(written.length, 1, 'a problem is recorded even when nothing was deleted');
    assert.equal(await store.db.selectFrom('audit_checkpoints').selectAll().executeTakeFirst(), undefined);
  });

  test('deletes the sessions rows that ended before the deleted events', async () => {
    const session = (id: string, endedAt: string | null) => ({
      id,
      node: 'node-a',
      protocol: 'postgres',
      subject: 'bot',
      identity: null,
      connection: 'appdb',
      client_address: '127.0.0.1',
      started_at: new Date(START).toISOString(),
      ended_at: endedAt,
      outcome: null,
      error_code: null,
      bytes_from_client: 0,
      bytes_to_client: 0,
      statements: 0,
    });
    await store.db
      .insertInto('sessions')
      .values([
        session('old', new Date(START + 10 * HOUR).toISOString()),
        session('recent', new Date(START + 80 * HOUR).toISOString()),
        session('open', null),
      ])
      .execute();
    const result = await run();
    assert.equal(result.sessions, 1);
    const left = await store.db.selectFrom('sessions').select('id').orderBy('id').execute();
    assert.deepEqual(
      left.map((r) => r.id),
      ['open', 'recent'],
    );
  });

  describe('verify after retention still detects tampering', () => {
    beforeEach(async () => {
      await run();
    });

    test('a checkpoint moved forward without the node key', async () => {
      await store.db.updateTable('audit_checkpoints').set({ seq: 60 }).execute();
      await store.db.deleteFrom('audit_events').where('seq', '<=', 60).execute();
      const report = await verifyAudit(store.db, key);
      assert.deepEqual(report.firstBad, {
        node: 'node-a',
        seq: 61,
        reason: 'retention checkpoint of node-a at #60 has an invalid signature (forged)',
      });
    });

    test('the anchor copied over the checkpoint (its signature is for another purpose)', async () => {
      const anchor = await store.db.selectFrom('audit_anchors').selectAll().executeTakeFirstOrThrow();
      await store.db
        .updateTable('audit_checkpoints')
        .set({ seq: anchor.seq, hash: anchor.hash, signature: anchor.signature })
        .execute();
      await store.db.deleteFrom('audit_events').execute();
      assert.match((await verifyAudit(store.db, key)).firstBad?.reason ?? '', /invalid signature \(forged\)/);
    });

    test('events deleted right after the checkpoint, the checkpoint deleted, or the tail cut off', async () => {
      await store.db.deleteFrom('audit_events').where('seq', '<=', 55).execute();
      assert.equal(
        (await verifyAudit(store.db, key)).firstBad?.reason,
        'events node-a#53..#55 missing (deleted): the retention checkpoint is at #52 but the chain continues at #56',
      );
      await store.db.deleteFrom('audit_checkpoints').execute();
      assert.equal(
        (await verifyAudit(store.db, key)).firstBad?.reason,
        'events node-a#1..#55 missing (deleted): the chain starts at #56',
      );
    });

    test('truncation after the checkpoint', async () => {
      await store.db.deleteFrom('audit_events').where('seq', '>', 95).execute();
      assert.equal(
        (await verifyAudit(store.db, key)).firstBad?.reason,
        'events after node-a#95 missing: anchor is at #100 (truncated)',
      );
    });
  });
});
