/**
 * Audit export end to end: Airlock in front of a throwaway PostgreSQL with a webhook sink whose
 * receiver (a real node:http server) refuses the first deliveries, and a JSONL sink rotating at a
 * small size. Statements run through Airlock with `pg`; afterwards every event of the node must
 * have reached both sinks exactly once and in order, each webhook body signed. A second server's
 * receiver answers 400 for a while: what it refused for good is parked in the dead-letter file,
 * recorded and counted, and delivery (and retention) go on after it. A third has its receiver
 * really down (connection refused) across a server restart: the backlog piles up, the lag gauge
 * counts it, the cursor survives the restart, and everything arrives once the receiver is back, in
 * order, once; the restarted server (a day later, by its clock) rotates the JSONL file by day.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { checkRecordHash } from '../../src/audit/chain.js';
import { loadConfig } from '../../src/config/load.js';
import { type Clock, ManualClock } from '../../src/core/clock.js';
import type { DeadLetterLine } from '../../src/export/dead-letter.js';
import { type ReceivedBatch, startReceiver, type TestReceiver, waitFor } from '../../src/export/testing.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
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

describe('audit export: the receiver is down across a server restart', () => {
  const DAY = 86_400_000;
  let h: AirlockHarness;
  let receiver: TestReceiver;
  let port = 0;
  /** The server in use: the harness's, then the restarted one. */
  let server: RunningServer;
  const logs2: string[] = [];
  const started = Date.now();
  const transcript: string[] = [];
  const note = (line: string) => {
    const stamp = `+${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
    transcript.push(`${stamp}  ${line}`);
  };
  const statements = async (token: string, n: number, tag: string) => {
    const pgAddr = server.addresses.postgres!;
    const client = new pg.Client({
      connectionString: `postgresql://client:${encodeURIComponent(token)}@${pgAddr.host}:${pgAddr.port}/appdb?sslmode=disable`,
    });
    await client.connect();
    for (let i = 1; i <= n; i++) await client.query(`select '${tag}' as tag, ${i} as n`);
    await client.end();
  };
  const anchor = async () =>
    Number(
      (
        await server.store.db
          .selectFrom('audit_anchors')
          .select('seq')
          .where('node', '=', 'e2e')
          .executeTakeFirst()
      )?.seq ?? 0,
    );
  const cursor = async (sink: string) =>
    Number(
      (
        await server.store.db
          .selectFrom('export_cursors')
          .select('seq')
          .where('sink', '=', sink)
          .where('node', '=', 'e2e')
          .executeTakeFirst()
      )?.seq ?? 0,
    );
  const lag = async (sink: string) => {
    const { host, port: apiPort } = server.addresses.api;
    const text = await (await fetch(`http://${host}:${apiPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`airlock_audit_export_lag{sink="${sink}"} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  /** Polls an async check every 100 ms. */
  const until = async (check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  };
  /** Waits until the session's last event is stored (the server ends it just after the client). */
  const settle = async (events: number) =>
    assert.ok(
      await until(async () => {
        await server.flushAudit();
        return (await anchor()) >= events;
      }, 10_000),
      `stored ${await anchor()} of ${events} events`,
    );
  /** What the receiver accepted before its outage (it comes back as a new process, empty). */
  let earlier: ReceivedBatch[] = [];
  const batches = () => [...earlier, ...receiver.accepted].filter((b) => b.node === 'e2e');
  const delivered = () => batches().flatMap((b) => b.seqs);

  before(async () => {
    receiver = await startReceiver(SECRET);
    port = Number(new URL(receiver.url).port);
    process.env.AIRLOCK_E2E_HOOK_SECRET = SECRET;
    h = await startAirlock({
      extraYaml: `audit:
  export:
    - { name: siem-hook, type: webhook, url: "${receiver.url}", secret: { env: AIRLOCK_E2E_HOOK_SECRET },
        batchSize: 5, flushInterval: 100ms }
    - { name: siem-file, type: jsonl, path: ./audit/export.jsonl, rotate: { daily: true }, flushInterval: 100ms }`,
    });
    server = h.server;
  });
  after(async () => {
    // The transcript of the outage, for the closing note (`node --test` prints diagnostics).
    for (const line of transcript) console.log(`# outage ${line}`);
    if (server !== h?.server) await server?.stop();
    await h?.stop();
    await receiver?.close();
    delete process.env.AIRLOCK_E2E_HOOK_SECRET;
  });

  test('the backlog survives the restart and arrives once the receiver is back: once, in order, signed', async () => {
    // Before the outage: token, one session of 2 statements (start, 2 + 2, end) = 7 events, delivered.
    const token1 = await server.createToken({ name: 'outage-bot', groups: ['agents'] });
    await statements(token1, 2, 'before');
    await settle(7);
    assert.ok(await waitFor(() => delivered().length >= 7, 10_000), `delivered ${delivered().length}`);
    note(
      `receiver up on 127.0.0.1:${port}; delivered seq 1-${Math.max(...delivered())}; lag ${await lag('siem-hook')}`,
    );

    earlier = receiver.accepted.splice(0);
    await receiver.close();
    note('receiver DOWN (port closed: connection refused)');
    await statements(token1, 4, 'during-outage');
    await settle(7 + 10);
    assert.ok(
      await until(async () => (await lag('siem-hook')) === 10, 20_000),
      `lag ${await lag('siem-hook')}`,
    );
    note(
      `4 statements during the outage: stored through seq ${await anchor()}, cursor at ${await cursor('siem-hook')}, airlock_audit_export_lag{sink="siem-hook"} ${await lag('siem-hook')}`,
    );
    const failures = h.logs.filter(
      (l) => l.includes('audit export failed; retrying') && l.includes('ECONNREFUSED'),
    );
    assert.ok(failures.length > 0, 'the outage is logged');
    const f = JSON.parse(failures.at(-1)!) as { sink: string; retryInMs: number; err: { message: string } };
    note(
      `log: "audit export failed; retrying" sink=${f.sink} retryInMs=${f.retryInMs} err="${f.err.message}" (${failures.length} so far)`,
    );
    assert.equal(delivered().length, 7, 'nothing was delivered meanwhile');
    // The local file sink is not affected by the receiver: it has everything before the stop.
    assert.ok(await until(async () => (await cursor('siem-file')) === 17, 10_000));

    // Stop the server in the middle of the outage and start it again from the same files and store,
    // a day later by its clock (the JSONL sink's live file, written yesterday, rotates by day).
    await server.stop();
    note('server STOPPED during the outage');
    const clock: Clock = { now: () => new Date(Date.now() + DAY), nowMs: () => Date.now() + DAY };
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs2.push(line) });
    server = await startServer(await loadConfig(h.configFile, process.env), { log, clock });
    assert.equal(await cursor('siem-hook'), 7, 'the persisted cursor survived the restart');
    note(
      `server STARTED again (clock +1 day); persisted cursor siem-hook/e2e = ${await cursor('siem-hook')}`,
    );
    const token2 = await server.createToken({ name: 'outage-bot-2', groups: ['agents'] });
    await statements(token2, 3, 'after-restart');
    await settle(17 + 1 + 8);
    const backlog = (await anchor()) - 7;
    assert.ok(
      await until(async () => (await lag('siem-hook')) === backlog, 20_000),
      `lag ${await lag('siem-hook')} of ${backlog}`,
    );
    note(
      `3 more statements on the restarted server: stored through seq ${await anchor()}, airlock_audit_export_lag{sink="siem-hook"} ${await lag('siem-hook')}`,
    );
    assert.ok(
      await until(
        async () =>
          logs2.some((l) => l.includes('audit export failed; retrying') && l.includes('ECONNREFUSED')),
        10_000,
      ),
      'the restarted server retries too',
    );
    assert.equal(delivered().length, 7);

    receiver = await startReceiver(SECRET, { port });
    note(`receiver BACK on 127.0.0.1:${port}`);
    const total = await anchor();
    assert.ok(
      await waitFor(() => delivered().length >= total, 60_000),
      `delivered ${delivered().length} of ${total}`,
    );
    assert.ok(await until(async () => (await lag('siem-hook')) === 0, 10_000));
    for (const b of receiver.accepted)
      note(
        `delivered batch ${b.node}:${b.seqs[0]}-${b.seqs.at(-1)} (${b.seqs.length} events, signature ${b.signatureOk ? 'valid' : 'INVALID'})`,
      );
    const seqs = delivered();
    note(
      `caught up: airlock_audit_export_lag{sink="siem-hook"} ${await lag('siem-hook')}; cursor ${await cursor('siem-hook')}; ${seqs.length} events received in all for seq 1-${total}`,
    );
    await sleep(500); // nothing more may come: no duplicates after the catch-up either
    assert.deepEqual(
      delivered(),
      Array.from({ length: total }, (_, i) => i + 1),
      'every event once, in order',
    );
    assert.ok(batches().every((b) => b.signatureOk));
    const records = batches().flatMap((b) => b.records);
    for (const record of records) assert.equal(checkRecordHash(JSON.parse(record)), undefined);
    assert.ok(records.some((r) => r.includes("during-outage' as tag, 4 as n")));
    assert.ok(records.some((r) => r.includes("after-restart' as tag, 3 as n")));
  });

  test('the JSONL sink rotated by day on the restarted server; every record in order, once', async () => {
    const folder = join(h.dir, 'audit');
    const stored = await server.store.db
      .selectFrom('audit_events')
      .select(['seq', 'record', 'time'])
      .where('node', '=', 'e2e')
      .orderBy('seq')
      .execute();
    assert.ok(await until(async () => (await cursor('siem-file')) === stored.length, 10_000));
    const names = readdirSync(folder).sort();
    assert.equal(names.length, 2, names.join(', '));
    const [rotated, live] = [names.find((n) => n !== 'export.jsonl')!, 'export.jsonl'];
    // Renamed at the restarted server's first delivery: tomorrow's date, by its clock.
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    assert.match(rotated, new RegExp(`^export\\.jsonl\\.${tomorrow}T\\d\\d-\\d\\d-\\d\\d\\.\\d{3}Z$`));
    const read = (f: string) => readFileSync(join(folder, f), 'utf8').split('\n').filter(Boolean);
    const oldLines = read(rotated);
    const newLines = read(live);
    assert.deepEqual(
      [...oldLines, ...newLines],
      stored.map((r) => r.record),
    );
    const today = new Date().toISOString().slice(0, 10);
    assert.ok(oldLines.every((l) => (JSON.parse(l) as { time: string }).time.startsWith(today)));
    assert.ok(
      newLines.length > 0 &&
        newLines.every((l) => (JSON.parse(l) as { time: string }).time.startsWith(tomorrow)),
    );
    note(
      `JSONL: ${rotated} holds seq 1-${oldLines.length} (yesterday's file), export.jsonl holds seq ${oldLines.length + 1}-${stored.length}`,
    );
  });
});
