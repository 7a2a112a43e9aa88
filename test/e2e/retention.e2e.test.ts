/**
 * Retention end to end: a running Airlock with `retention.audit` and a JSONL export sink; after
 * statements through Airlock, a run with a clock two days ahead deletes what the sink has, writes
 * `retention.run`, and `airlock audit verify` (the CLI, in-process) still says OK, also after
 * more traffic. A second server with a tampered row: retention deletes the verified prefix before
 * it, moves the checkpoint there, records and logs where it stopped, and counts it in /metrics.
 * A third records database sessions and deletes old recordings first, never an open one.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../../src/core/clock.js';

import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const DAY = 86_400_000;

describe('audit retention', () => {
  let h: AirlockHarness;
  let token: string;
  const statements = async (n: number) => {
    const client = new pg.Client({ connectionString: h.url(token) });
    await client.connect();
    for (let i = 1; i <= n; i++) await client.query(`select ${i}`);
    await client.end();
  };
  const cursor = async () =>
    Number(
      (
        await h.server.store.db
          .selectFrom('export_cursors')
          .select('seq')
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
          .executeTakeFirstOrThrow()
      ).seq,
    );

  before(async () => {
    h = await startAirlock({
      extraYaml: `retention: { audit: 1d, recordings: 90d }
audit:
  export:
    - { name: siem-file, type: jsonl, path: ./audit/export.jsonl, flushInterval: 100ms }`,
    });
    token = await h.server.createToken({ name: 'retention-bot', groups: ['agents'] });
    await statements(5);
  });
  after(async () => {
    await h?.stop();
  });

  test('deletes what is old and exported, records it, and verify still says OK', async () => {
    // Wait until the session's last event is stored and the sink has everything.
    let last = 0;
    let exported = -1;
    for (let i = 0; i < 100 && exported !== last; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await h.server.flushAudit();
      last = await anchor();
      exported = await cursor();
    }
    assert.equal(exported, last, 'the sink has everything before retention runs');

    const result = await h.server.runRetention(new ManualClock(Date.now() + 2 * DAY));
    assert.equal(result.deleted, last - 1, 'all but the newest event');
    assert.equal(result.nodes[0]?.throughSeq, last - 1);
    await h.server.flushAudit();
    const run = await h.server.store.db
      .selectFrom('audit_events')
      .select('record')
      .where('type', '=', 'retention.run')
      .executeTakeFirstOrThrow();
    const record = JSON.parse(run.record) as { deleted: number; period: string; nodes: unknown[] };
    assert.equal(record.deleted, last - 1);
    assert.equal(record.period, '1d');
    const { host, port } = h.server.addresses.api;
    const metrics = await (await fetch(`http://${host}:${port}/metrics`)).text();
    assert.match(metrics, /^airlock_retention_runs_total\{outcome="success"\} [1-9]/m);
    assert.match(metrics, /^airlock_retention_runs_total\{outcome="failure"\} 0$/m);
    const stamp = Number(/^airlock_retention_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(Math.abs(stamp * 1000 - (Date.now() + 2 * DAY)) < 60_000, `by the run's clock: ${stamp}`);

    const verify = await h.cli(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /audit chain OK/);

    await statements(3);
    await h.server.flushAudit();
    const again = await h.cli(['audit', 'verify', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as {
      ok: boolean;
      nodes: { node: string; checkpointSeq?: number }[];
    };
    assert.equal(report.ok, true);
    assert.equal(report.nodes.find((n) => n.node === 'e2e')?.checkpointSeq, last - 1);
  });

  test('a run now deletes nothing: every event is within the period', async () => {
    const result = await h.server.runRetention();
    assert.equal(result.deleted, 0);
  });
});

describe('audit retention over a tampered row', () => {
  let h: AirlockHarness;

  before(async () => {
    h = await startAirlock({ extraYaml: 'retention: { audit: 1d }' });
    const token = await h.server.createToken({ name: 'tamper-bot', groups: ['agents'] });
    const client = new pg.Client({ connectionString: h.url(token) });
    await client.connect();
    for (let i = 1; i <= 6; i++) await client.query(`select ${i} as n`);
    await client.end();
    for (let i = 0; i < 100; i++) {
      await h.server.flushAudit();
      const end = await h.server.store.db
        .selectFrom('audit_events')
        .select('seq')
        .where('type', '=', 'session.end')
        .executeTakeFirst();
      if (end) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    await h?.stop();
  });

  test('deletes up to the tampered row, checkpoints there, records, logs and counts the stop', async () => {
    const target = await h.server.store.db
      .selectFrom('audit_events')
      .select(['seq', 'record'])
      .where('node', '=', 'e2e')
      .where('type', '=', 'command')
      .where('record', 'like', '%select 4 as n%')
      .executeTakeFirstOrThrow();
    const bad = Number(target.seq);
    await h.server.store.db
      .updateTable('audit_events')
      .set({ record: target.record.replace('select 4 as n', 'select 5 as n') })
      .where('node', '=', 'e2e')
      .where('seq', '=', bad)
      .execute();

    const result = await h.server.runRetention(new ManualClock(Date.now() + 2 * DAY));
    const problem = `event e2e#${bad}: hash mismatch (edited); retention stopped there: nothing from it on was deleted`;
    assert.deepEqual(result.nodes, [
      { node: 'e2e', deleted: bad - 1, throughSeq: bad - 1, stoppedAt: bad, problem },
    ]);
    const first = await h.server.store.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.min('seq').as('seq'))
      .where('node', '=', 'e2e')
      .executeTakeFirstOrThrow();
    assert.equal(Number(first.seq), bad, 'the tampered row and everything after it are kept');

    await h.server.flushAudit();
    const run = await h.server.store.db
      .selectFrom('audit_events')
      .select('record')
      .where('type', '=', 'retention.run')
      .executeTakeFirstOrThrow();
    const record = JSON.parse(run.record) as {
      deleted: number;
      nodes: { stoppedAt?: number; problem?: string }[];
    };
    assert.equal(record.deleted, bad - 1);
    assert.equal(record.nodes[0]?.stoppedAt, bad);
    assert.equal(record.nodes[0]?.problem, problem);
    assert.ok(
      h.logs.some((l) => l.includes('"msg":"audit retention stopped"') && l.includes(`"stoppedAt":${bad}`)),
      'the stop is logged at error level',
    );
    const { host, port } = h.server.addresses.api;
    const metrics = await (await fetch(`http://${host}:${port}/metrics`)).text();
    assert.match(metrics, /^airlock_audit_retention_stopped_total 1$/m);
    assert.match(metrics, new RegExp(`^airlock_audit_retention_deleted_total ${bad - 1}$`, 'm'));

    const verify = await h.cli(['audit', 'verify', '--json']);
    assert.notEqual(verify.code, 0);
    const report = JSON.parse(verify.stdout) as { firstBad?: { seq: number; reason: string } };
    assert.equal(report.firstBad?.seq, bad, 'verify still points at the tampered row, not at the deletion');
    assert.match(report.firstBad?.reason ?? '', /hash mismatch \(edited\)/);
  });
});

describe('session recordings and their retention', () => {
  let h: AirlockHarness;
  let token: string;
  // A folder of its own (`recordings.dir`), as on a separate volume: written and cleaned there.
  const recordings = () => join(h.dir, 'recording-volume', 'db');
  const sessionIds = async () =>
    (
      await h.server.store.db
        .selectFrom('audit_events')
        .select('record')
        .where('type', '=', 'session.start')
        .orderBy('seq')
        .execute()
    ).map((r) => (JSON.parse(r.record) as { sessionId: string }).sessionId);
  const waitFor = async (check: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      await h.server.flushAudit();
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  const lines = (id: string) =>
    readFileSync(join(recordings(), `${id}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    h = await startAirlock({
      extraYaml: 'retention: { audit: 1d, recordings: 1d }\nrecordings: { dir: ./recording-volume/db }',
      extraConnections: appConnection(
        'guarded',
        '    access: [group:agents]\n    guardrails:\n      deny: [drop]\n',
      ),
      upstreamPortPlaceholder: 'PORT',
    });
    token = await h.server.createToken({ name: 'recorded-bot', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  test('a database session is recorded from its audit trail: header, statements, results, end', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
    await client.connect();
    await client.query('create table r (id int, secret text)');
    await client.query("insert into r values (1, 'hunter2'), (2, 'hunter3')");
    await client.query('select id from r where id = $1', [2]);
    await assert.rejects(client.query('drop table r'), { code: '42501' });
    await assert.rejects(client.query('select nope from r'), { code: '42703' });
    await client.end();
    // The session's start reaches the store through the drain: wait for it, not a fixed time.
    assert.ok(await waitFor(async () => (await sessionIds()).length >= 1));
    const [id] = await sessionIds();
    assert.ok(id);
    assert.ok(
      await waitFor(() => existsSync(join(recordings(), `${id}.jsonl`)) && lines(id).at(-1)?.type === 'end'),
      'the recording is closed with its end line',
    );
    assert.equal(existsSync(join(h.dir, 'recordings')), false, 'nothing in the default folder');
    const got = lines(id);
    assert.deepEqual(
      { ...got[0], client: undefined, start: undefined },
      {
        type: 'header',
        format: 'airlock.db-session',
        v: 1,
        sessionId: id,
        node: 'e2e',
        protocol: 'postgres',
        connection: 'guarded',
        identity: {
          subject: 'recorded-bot',
          kind: 'agent',
          groups: ['agents'],
          issuer: 'airlock',
          chain: [],
        },
        client: undefined,
        start: undefined,
      },
    );
    const statements = got.filter((l) => l.type === 'statement');
    assert.deepEqual(
      statements.map((l) => [l.text, l.decision, l.rule]),
      [
        ['create table r (id int, secret text)', 'allow', 'default'],
        ["insert into r values (1, 'hunter2'), (2, 'hunter3')", 'allow', 'default'],
        ['select id from r where id = $1', 'allow', 'default'],
        ['drop table r', 'deny', 'deny:drop'],
        ['select nope from r', 'allow', 'default'],
      ],
    );
    const results = got.filter((l) => l.type === 'result');
    assert.deepEqual(
      results.map((l) => [l.outcome, l.rows, l.error]),
      [
        ['success', undefined, undefined],
        ['success', 2, undefined],
        ['success', 1, undefined],
        ['error', undefined, '42703'],
      ],
    );
    const offsets = got.slice(1).map((l) => l.t as number);
    assert.deepEqual(
      offsets,
      [...offsets].sort((a, b) => a - b),
      'time offsets only grow',
    );
    const text = readFileSync(join(recordings(), `${id}.jsonl`), 'utf8');
    assert.ok(!text.includes(h.heldPassword) && !text.includes(token), 'no credential in a recording');
    assert.ok(!text.includes('"parameters"'), 'no bound values');
    assert.ok(!text.includes('column "nope" does not exist'), 'errors by code only');
  });

  test('retention deletes old recordings first, keeps open ones, and records what it deleted', async () => {
    const open = new pg.Client({ connectionString: h.url(token, 'guarded') });
    await open.connect();
    try {
      await open.query('select 1');
      // The open session's start reaches the store through the drain: wait for it, not a fixed time.
      assert.ok(await waitFor(async () => (await sessionIds()).length >= 2));
      const ids = await sessionIds();
      const [closedId, openId] = [ids[0]!, ids[1]!];
      assert.ok(await waitFor(() => existsSync(join(recordings(), `${openId}.jsonl`))));

      const result = await h.server.runRetention(new ManualClock(Date.now() + 2 * DAY));
      assert.equal(result.recordings?.deleted, 1);
      assert.ok((result.recordings?.bytes ?? 0) > 0);
      assert.deepEqual(
        readdirSync(recordings()),
        [`${openId}.jsonl`],
        'the open session keeps its recording',
      );
      assert.equal(existsSync(join(recordings(), `${closedId}.jsonl`)), false);

      await h.server.flushAudit();
      const events = await h.server.store.db
        .selectFrom('audit_events')
        .select(['seq', 'type', 'record'])
        .where('type', 'in', ['retention.recordings', 'retention.run'])
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        events.map((e) => e.type),
        ['retention.recordings', 'retention.run'],
        'recordings go first',
      );
      const record = JSON.parse(events[0]!.record) as { deleted: number; period: string; bytes: number };
      assert.equal(record.deleted, 1);
      assert.equal(record.period, '1d');
      assert.equal(record.bytes, result.recordings?.bytes);
      const { host, port } = h.server.addresses.api;
      const metrics = await (await fetch(`http://${host}:${port}/metrics`)).text();
      assert.match(metrics, /^airlock_recordings_deleted_total 1$/m);
    } finally {
      await open.end();
    }
  });
});
