/**
 * Config reload against a running server and a real config file: a new connection and a new
 * guardrail take effect through the API (`airlock config reload --server`) and through SIGHUP,
 * a live node-postgres session keeps working and its next statement meets the new rule, an invalid
 * file is rejected with every problem listed while the old config stays, and a removed connection
 * ends its live session with a clear message.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ConfigReloadEvent } from '../../src/audit/events.js';
import { searchAudit } from '../../src/audit/search.js';
import { onHangup } from '../../src/cli/signals.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('config reload', () => {
  let h: AirlockHarness;
  let original: string;
  let agent: string;
  let admin: string;
  let api: string;
  let live: pg.Client;
  const extra = (name: string) => appConnection(name);

  /** The harness's file with `appdb` guarded by `deny` and the given extra connections. */
  function configWith(deny: string[], connections: string[]): string {
    const port = /port: (\d+)/.exec(original.slice(original.indexOf('- name: appdb')))![1]!;
    const guarded = original.replace(
      '    access: [group:agents, user:solo]\n',
      `    access: [group:agents, user:solo]\n${deny.length ? `    guardrails: { deny: [${deny.join(', ')}] }\n` : ''}`,
    );
    return guarded + connections.map(extra).join('').replaceAll('PORT', port);
  }

  async function reloadEvents(): Promise<ConfigReloadEvent[]> {
    await h.server.flushAudit();
    return (await searchAudit(h.server.store.db, { type: 'config.reload' })) as ConfigReloadEvent[];
  }

  before(async () => {
    h = await startAirlock();
    original = readFileSync(h.configFile, 'utf8');
    agent = await h.server.createToken({ name: 'reload-agent', groups: ['agents'] });
    admin = await h.server.createToken({ name: 'reload-admin', groups: ['platform'], kind: 'human' });
    api = `http://${h.server.addresses.api.host}:${h.server.addresses.api.port}`;
    live = new pg.Client({ connectionString: h.url(agent) });
    await live.connect();
    await live.query('create table keep (id int)');
  });
  after(async () => {
    await live?.end().catch(() => {});
    await h?.stop();
  });

  test('through the API: a new connection and a new guardrail; the live session sees the rule next', async () => {
    // Before: no connection named "reporting", and drop is allowed on appdb.
    const refused = new pg.Client({ connectionString: h.url(agent, 'reporting') });
    await assert.rejects(refused.connect(), /there is no connection named "reporting"/);

    writeFileSync(h.configFile, configWith(['drop'], ['reporting']));
    const notAdmin = await h.cli(['--server', api, '--token', agent, 'config', 'reload']);
    assert.equal(notAdmin.code, 3, notAdmin.stderr);
    assert.match(notAdmin.stderr, /reloading the configuration needs the admin role/);

    const reloaded = await h.cli(['--server', api, '--token', admin, 'config', 'reload']);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.match(reloaded.stdout, /reloaded/);
    assert.match(reloaded.stdout, /added: +reporting/);
    assert.match(reloaded.stdout, /changed: +appdb/);

    // The session opened before the reload is still up, and its next statement meets the new rule.
    assert.equal((await live.query('select 41 + 1 as n')).rows[0].n, 42);
    await assert.rejects(live.query('drop table keep'), (err: { code?: string; message: string }) => {
      assert.equal(err.code, '42501');
      assert.match(err.message, /^blocked by airlock: deny:drop: /);
      return true;
    });
    assert.equal((await live.query('select count(*)::int as n from keep')).rows[0].n, 0, 'keep still exists');

    const fresh = new pg.Client({ connectionString: h.url(agent, 'reporting') });
    await fresh.connect();
    assert.equal((await fresh.query('select 7 as n')).rows[0].n, 7);
    await fresh.end();

    const [event] = (await reloadEvents()).filter((e) => e.outcome === 'success');
    assert.ok(event);
    assert.equal(event.actor.subject, 'reload-admin');
    assert.equal(event.trigger, 'api');
    assert.deepEqual([event.added, event.changed, event.removed], [['reporting'], ['appdb'], []]);
  });

  test('an invalid file is rejected (API and SIGHUP), every problem listed, the running config stays', async () => {
    const good = readFileSync(h.configFile, 'utf8');
    const bad = `${good.replace('node: e2e', 'node: e2e\nconections: []')}`.replace(
      'guardrails: { deny: [drop] }',
      'guardrails: { deny: [dorp] }',
    );
    writeFileSync(h.configFile, bad);

    const check = await h.cli(['config', 'check', h.configFile]);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /2 problem\(s\)/);
    assert.match(check.stderr, /unknown key "conections"/);
    assert.match(check.stderr, /dorp/);

    const rejected = await h.cli(['--server', api, '--token', admin, 'config', 'reload']);
    assert.equal(rejected.code, 2, rejected.stdout);
    assert.match(
      rejected.stderr,
      /config reload rejected \(2 problems in .*airlock\.yaml\); the running configuration stays/,
    );
    assert.match(rejected.stderr, /unknown key "conections"/);
    assert.match(rejected.stderr, /dorp/);

    // The same through the problem+json answer itself.
    const response = await fetch(`${api}/api/v1/config/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await response.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'ERR_CONFIG_INVALID');
    assert.equal(problem.detail.split('\n').length, 2);

    // SIGHUP, as `airlock serve` wires it.
    const before = (await reloadEvents()).length;
    const stop = onHangup(() => {
      void h.server.reloadConfig();
    });
    try {
      process.kill(process.pid, 'SIGHUP');
      await waitFor('the SIGHUP reload to be audited', async () => (await reloadEvents()).length > before);
    } finally {
      stop();
    }
    const last = (await reloadEvents()).at(-1)!;
    assert.equal(last.outcome, 'failure');
    assert.equal(last.trigger, 'signal');
    assert.equal(last.actor.subject, 'operator');
    assert.equal(last.problems.length, 2);
    assert.ok(h.logs.some((l) => l.includes('config reload: problem') && l.includes('conections')));

    // Still the good config: the guardrail holds, the added connection works.
    await assert.rejects(live.query('drop table keep'), { code: '42501' });
    const fresh = new pg.Client({ connectionString: h.url(agent, 'reporting') });
    await fresh.connect();
    await fresh.end();
    writeFileSync(h.configFile, good);
  });

  test('SIGHUP applies a removal: the live session on the removed connection is told and ended', async () => {
    const onReporting = new pg.Client({ connectionString: h.url(agent, 'reporting') });
    const ended = new Promise<Error>((resolve) => onReporting.once('error', resolve));
    await onReporting.connect();
    writeFileSync(h.configFile, configWith(['drop', 'truncate'], []));
    const stop = onHangup(() => {
      void h.server.reloadConfig();
    });
    try {
      process.kill(process.pid, 'SIGHUP');
      const err = (await ended) as Error & { code?: string };
      assert.equal(err.code, '57P01');
      assert.match(err.message, /the connection "reporting" was removed from Airlock's configuration/);
    } finally {
      stop();
      await onReporting.end().catch(() => {});
    }
    // appdb's live session goes on, under the newest rules.
    await assert.rejects(live.query('truncate keep'), /deny:truncate/);
    assert.equal((await live.query('select 1 as n')).rows[0].n, 1);
    const last = (await reloadEvents()).at(-1)!;
    assert.equal(last.outcome, 'success');
    assert.deepEqual([last.added, last.changed, last.removed], [[], ['appdb'], ['reporting']]);
    assert.equal(last.sessionsEnded, 1);
  });

  test('with --config the CLI says how to reach the server when the API port is not known', async () => {
    const result = await h.cli(['config', 'reload'], { AIRLOCK_TOKEN: admin });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /listen\.api has port 0: pass --server URL --token TOKEN/);
  });
});
