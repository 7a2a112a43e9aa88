/**
 * GET /metrics from a running server after real statements through Airlock: decisions are counted
 * by outcome and rule, the families the review gate and masking feed are registered, config
 * reloads are counted by outcome, and docs/operations.md lists exactly the families a scrape has.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const GUARDED = appConnection(
  'guarded',
  `    access: [group:agents]
    guardrails:
      deny: [drop, truncate]
`,
);

/** The value of one sample line, e.g. `name{a="b"} 3`, or undefined when absent. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', () => {
  let h: AirlockHarness;
  let scrape: () => Promise<string>;

  before(async () => {
    h = await startAirlock({ extraConnections: GUARDED, upstreamPortPlaceholder: 'PORT' });
    const { host, port } = h.server.addresses.api;
    scrape = async () => {
      const response = await fetch(`http://${host}:${port}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
      return response.text();
    };
  });
  after(async () => {
    await h?.stop();
  });

  test('decisions by outcome and rule, after allowed and refused statements', async () => {
    const token = await h.server.createToken({ name: 'metrics-agent', groups: ['agents'] });
    const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
    await client.connect();
    try {
      await client.query('create table m (id int)');
      for (let i = 0; i < 3; i++) await client.query('select 1');
      for (let i = 0; i < 2; i++) await assert.rejects(client.query('drop table m'), { code: '42501' });
      await assert.rejects(client.query('truncate m'), { code: '42501' });
    } finally {
      await client.end();
    }
    const text = await scrape();
    assert.match(text, /# TYPE airlock_decisions_total counter/);
    assert.equal(sample(text, 'airlock_decisions_total', 'outcome="allow",rule="default"'), 4);
    assert.equal(sample(text, 'airlock_decisions_total', 'outcome="deny",rule="deny:drop"'), 2);
    assert.equal(sample(text, 'airlock_decisions_total', 'outcome="deny",rule="deny:truncate"'), 1);
    assert.equal(sample(text, 'airlock_statements_total', 'outcome="deny"'), 3);
    assert.equal(sample(text, 'airlock_sessions_total', 'protocol="postgres",outcome="success",code=""'), 1);
  });

  test('families fed by later capabilities are registered and at 0', async () => {
    const text = await scrape();
    assert.match(text, /^# TYPE airlock_held_requests gauge$/m);
    assert.match(text, /^airlock_held_requests 0$/m);
    assert.match(text, /^# TYPE airlock_approval_latency_seconds histogram$/m);
    assert.match(text, /^airlock_approval_latency_seconds_count 0$/m);
    assert.match(text, /^# TYPE airlock_masked_values_total counter$/m);
    assert.match(text, /^# TYPE airlock_audit_journal_lag_events gauge$/m);
    assert.match(text, /^# TYPE airlock_audit_journal_failures_total gauge$/m);
    assert.match(text, /^# TYPE airlock_export_dead_letter_total counter$/m);
    assert.match(text, /^airlock_audit_retention_stopped_total 0$/m);
    assert.match(text, /^airlock_audit_retention_deleted_total 0$/m);
    assert.match(text, /^airlock_recordings_deleted_total 0$/m);
  });

  test('config reloads are counted by outcome', async () => {
    const good = readFileSync(h.configFile, 'utf8');
    assert.equal((await h.server.reloadConfig()).outcome, 'success');
    writeFileSync(h.configFile, `${good}\nnot-a-key: 1\n`);
    try {
      assert.equal((await h.server.reloadConfig()).outcome, 'failure');
    } finally {
      writeFileSync(h.configFile, good);
    }
    const text = await scrape();
    assert.match(text, /^# TYPE airlock_config_reloads_total counter$/m);
    assert.equal(sample(text, 'airlock_config_reloads_total', 'outcome="success"'), 1);
    assert.equal(sample(text, 'airlock_config_reloads_total', 'outcome="failure"'), 1);
  });

  test('docs/operations.md lists exactly the families a real scrape has, with their types', async () => {
    const text = await scrape();
    const scraped = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const metricsSection = doc.slice(doc.indexOf('## Metrics'), doc.indexOf('## Logs'));
    const documented = new Map(
      [...metricsSection.matchAll(/^\| `(airlock_[a-z_]+)` \| (\w+) \|/gm)].map(
        (m) => [m[1]!, m[2]!] as const,
      ),
    );
    assert.ok(scraped.size > 10 && documented.size > 10);
    assert.deepEqual(
      [...scraped].sort(),
      [...documented].sort(),
      'every exported family is documented with its type, and every documented one is exported',
    );
  });
});
