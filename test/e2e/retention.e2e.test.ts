/**
 * Retention end to end: a running Airlock with `retention.audit` and a JSONL export sink; after
 * statements through Airlock, a run with a clock two days ahead deletes what the sink has, writes
 * `retention.run`, and `airlock audit verify` (the CLI, in-process) still says OK, also after
 * more traffic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '../../src/core/clock.js';

import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

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
