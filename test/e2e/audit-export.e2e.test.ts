/**
 * Audit export end to end: Airlock in front of a throwaway PostgreSQL with a webhook sink whose
 * receiver (a real node:http server) refuses the first deliveries, and a JSONL sink rotating at a
 * small size. Statements run through Airlock with `pg`; afterwards every event of the node must
 * have reached both sinks exactly once and in order, each webhook body signed. A second server's
 * receiver answers 400 for a while: what it refused for good is parked in the dead-letter file,
 * recorded and counted, and delivery (and retention) go on after it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { checkRecordHash } from '../../src/audit/chain.js';
import { ManualClock } from '../../src/core/clock.js';
import type { DeadLetterLine } from '../../src/export/dead-letter.js';
import { startReceiver, type TestReceiver, waitFor } from '../../src/export/testing.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const SECRET = 'e2e-export-secret';
const OUTAGE_REQUESTS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit export', () => {
  let h: AirlockHarness;
  let receiver: TestReceiver;
  let storedRecords: string[] = [];

  before(async () => {
    receiver = await startReceiver(SECRET);
    receiver.failNext(OUTAGE_REQUESTS);
    process.env.AIRLOCK_E2E_HOOK_SECRET = SECRET;
    h = await startAirlock({
      extraYaml: `audit:
  export:
    - { name: siem-hook, type: webhook, url: "${receiver.url}", secret: { env: AIRLOCK_E2E_HOOK_SECRET },
        batchSize: 5, flushInterval: 100ms }
    - { name: siem-file, type: jsonl, path: ./audit/export.jsonl, rotate: { maxBytes: 4096, daily: true },
        batchSize: 5, flushInterval: 100ms }`,
    });
    const token = await h.server.createToken({ name: 'exporter-bot', groups: ['agents'] });
    const client = new pg.Client({ connectionString: h.url(token) });
    await client.connect();
    for (let i = 1; i <= 8; i++) await client.query(`select ${i} as n`);
    await client.end();
    // The session ends on the server a moment after the client leaves: wait for its last event.
    for (let i = 0; i < 100; i++) {
      await h.server.flushAudit();
      const rows = await h.server.store.db
        .selectFrom('audit_events')
        .select(['type', 'record'])
        .where('node', '=', 'e2e')
        .orderBy('seq')
        .execute();
      storedRecords = rows.map((r) => r.record);
      if (rows.some((r) => r.type === 'session.end')) break;
      await sleep(50);
    }
  });
  after(async () => {
    await h?.stop();
    await receiver?.close();
    delete process.env.AIRLOCK_E2E_HOOK_SECRET;
  });

  test('after the receiver’s outage every event arrives exactly once, in order, signed', async () => {
    const total = storedRecords.length;
    assert.equal(total, 19, 'token, session start and end, 8 commands and 8 results');
    const seqs = () => receiver.accepted.filter((b) => b.node === 'e2e').flatMap((b) => b.seqs);
    assert.ok(await waitFor(() => seqs().length >= total, 20_000), `got ${seqs().length} of ${total}`);
    assert.equal(receiver.refused, OUTAGE_REQUESTS);
    assert.deepEqual(
      seqs(),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.ok(receiver.accepted.every((b) => b.signatureOk && b.seqs.length <= 5));
    const records = receiver.accepted.flatMap((b) => b.records);
    for (const record of records) assert.equal(checkRecordHash(JSON.parse(record)), undefined);
    assert.ok(records.some((r) => r.includes('"text":"select 8 as n"')));
    assert.ok(!records.some((r) => r.includes(h.heldPassword)), 'the held password never leaves');
    assert.ok(
      h.logs.some((line) => line.includes('audit export failed; retrying') && line.includes('HTTP 500')),
      'the outage is logged',
    );
  });

  test('the JSONL sink rotated by size and holds the stored records byte for byte, in order', async () => {
    const folder = join(h.dir, 'audit');
    const files = () => {
      try {
        // Rotated files sort by their timestamp suffix; the live file holds the newest lines.
        return readdirSync(folder)
          .filter((f) => f !== 'export.jsonl')
          .sort()
          .concat('export.jsonl');
      } catch {
        return [];
      }
    };
    const lines = () =>
      files().flatMap((f) => {
        try {
          return readFileSync(join(folder, f), 'utf8').split('\n').filter(Boolean);
        } catch {
          return [];
        }
      });
    assert.ok(await waitFor(() => lines().length >= storedRecords.length, 20_000));
    const names = files();
    assert.ok(names.length >= 3, `rotated at 4 KiB: ${names.join(', ')}`);
    const rotated = /^export\.jsonl\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z(-\d+)?$/;
    assert.ok(
      names.every((f) => f === 'export.jsonl' || rotated.test(f)),
      names.join(', '),
    );
    const got = lines();
    assert.equal(got.length, storedRecords.length);
    got.forEach((line, i) => {
      assert.ok(line === storedRecords[i], `line ${i + 1} is stored record ${i + 1}`);
    });
  });

  test('the lag gauge reads 0 for both sinks once they caught up', async () => {
    const api = h.server.addresses.api;
    let body = '';
    let caughtUp = false;
    for (let i = 0; i < 50 && !caughtUp; i++) {
      body = await (await fetch(`http://${api.host}:${api.port}/metrics`)).text();
      caughtUp =
        body.includes('airlock_audit_export_lag{sink="siem-hook"} 0') &&
        body.includes('airlock_audit_export_lag{sink="siem-file"} 0');
      if (!caughtUp) await sleep(200);
    }
    assert.ok(
      caughtUp,
      body
        .split('\n')
        .filter((l) => l.includes('export_lag'))
        .join('\n'),
    );
  });
});

describe('audit export: a receiver that refuses for good', () => {
  let h: AirlockHarness;
  let receiver: TestReceiver;
  const deadLetterFile = () => join(h.dir, 'export-dead-letter', 'siem-hook.jsonl');
  const parked = (): DeadLetterLine[] =>
    existsSync(deadLetterFile())
      ? readFileSync(deadLetterFile(), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as DeadLetterLine)
      : [];
  const accepted = () => receiver.accepted.filter((b) => b.node === 'e2e').flatMap((b) => b.seqs);
  const cursor = async () =>
    Number(
      (
        await h.server.store.db
          .selectFrom('export_cursors')
          .select('seq')
          .where('sink', '=', 'siem-hook')
          .where('node', '=', 'e2e')
          .executeTakeFirst()
      )?.seq ?? 0,
    );
  const anchor = async () =>
    Number(
      (
        await h.server.store.db
          .selectFrom('audit_anchors')
          .select('seq')
          .where('node', '=', 'e2e')
          .executeTakeFirst()
      )?.seq ?? 0,
    );

  before(async () => {
    receiver = await startReceiver(SECRET);
    // A receiver that rejects the schema (a bad mapping, a revoked key...) until someone fixes it.
    receiver.failAlways(400);
    process.env.AIRLOCK_E2E_HOOK_SECRET = SECRET;
    h = await startAirlock({
      extraYaml: `retention: { audit: 1d }
audit:
  export:
    - { name: siem-hook, type: webhook, url: "${receiver.url}", secret: { env: AIRLOCK_E2E_HOOK_SECRET },
        batchSize: 5, flushInterval: 100ms, deadLetterAfter: 2 }`,
    });
    const token = await h.server.createToken({ name: 'dead-letter-bot', groups: ['agents'] });
    const client = new pg.Client({ connectionString: h.url(token) });
    await client.connect();
    for (let i = 1; i <= 6; i++) await client.query(`select ${i} as n`);
    await client.end();
  });
  after(async () => {
    await h?.stop();
    await receiver?.close();
    delete process.env.AIRLOCK_E2E_HOOK_SECRET;
  });

  test('refused batches are parked, recorded, logged and counted; the rest arrives in order once fixed', async () => {
    assert.ok(await waitFor(() => parked().length >= 5, 20_000), `parked ${parked().length}`);
    receiver.failNext(0);
    // Caught up: every stored event is either delivered or parked, and that stays so.
    let total = 0;
    for (let i = 0; i < 200; i++) {
      await h.server.flushAudit();
      total = await anchor();
      if (total > 0 && accepted().length + parked().length >= total && (await cursor()) === total) break;
      await sleep(100);
    }
    const parkedSeqs = parked().map((l) => l.seq);
    assert.ok(receiver.refusals.every((s) => s === 400));
    assert.ok(receiver.refusals.length >= 2 * Math.ceil(parkedSeqs.length / 5));
    assert.deepEqual(
      [...parkedSeqs, ...accepted()].sort((a, b) => a - b),
      Array.from({ length: total }, (_, i) => i + 1),
      'each event exactly once: delivered or parked',
    );
    assert.deepEqual(
      parkedSeqs,
      [...parkedSeqs].sort((a, b) => a - b),
      'parked in order',
    );
    assert.deepEqual(
      accepted(),
      [...accepted()].sort((a, b) => a - b),
      'delivered in order',
    );
    const stored = await h.server.store.db
      .selectFrom('audit_events')
      .select(['seq', 'type', 'record'])
      .where('node', '=', 'e2e')
      .orderBy('seq')
      .execute();
    const storedBySeq = new Map(stored.map((r) => [Number(r.seq), r.record]));
    for (const line of parked()) {
      assert.equal(
        JSON.stringify(line.record),
        storedBySeq.get(line.seq),
        `parked #${line.seq} is the stored record`,
      );
      assert.equal(checkRecordHash(line.record as Record<string, unknown>), undefined);
      assert.equal(line.status, 400);
      assert.equal(line.attempts, 2);
    }

    const events = stored
      .filter((r) => r.type === 'export.dead-letter')
      .map(
        (r) =>
          JSON.parse(r.record) as {
            sink: string;
            fromSeq: number;
            toSeq: number;
            events: number;
            file: string;
          },
      );
    assert.deepEqual(
      events.flatMap((e) => Array.from({ length: e.toSeq - e.fromSeq + 1 }, (_, i) => e.fromSeq + i)),
      parkedSeqs,
      'the audit trail names every parked range',
    );
    assert.ok(events.every((e) => e.sink === 'siem-hook' && e.file === deadLetterFile()));
    assert.ok(
      h.logs.some((l) => l.includes('parked in the dead-letter file') && l.includes('"status":400')),
      'the parking is logged',
    );
    const { host, port } = h.server.addresses.api;
    const metrics = await (await fetch(`http://${host}:${port}/metrics`)).text();
    assert.match(metrics, /^# TYPE airlock_export_dead_letter_total counter$/m);
    assert.ok(
      metrics.includes(`airlock_export_dead_letter_total{sink="siem-hook"} ${parkedSeqs.length}`),
      metrics
        .split('\n')
        .filter((l) => l.includes('dead_letter'))
        .join('\n'),
    );

    // The sink no longer holds retention back: its cursor moved past what was parked.
    const result = await h.server.runRetention(new ManualClock(Date.now() + 2 * 86_400_000));
    assert.equal(result.nodes[0]?.heldBy, undefined);
    assert.equal(result.deleted, total - 1, 'all but the newest event: nothing held back by the sink');
  });
});
