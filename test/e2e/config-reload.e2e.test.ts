/**
 * Config reload against a running server and a real config file: a new connection and a new
 * guardrail take effect through the API (`airlock config reload --server`) and through SIGHUP,
 * a live node-postgres session keeps working and its next statement meets the new rule, an invalid
 * file is rejected with every problem listed while the old config stays, a removed connection
 * ends its live session with a clear message, and masking rules added or removed apply to the next
 * statement of live sessions (a statement described before the reload included).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ConfigReloadEvent } from '../../src/audit/events.js';
import { searchAudit } from '../../src/audit/search.js';
import { onHangup } from '../../src/cli/signals.js';
import { frontend } from '../../src/protocols/postgres/testing/builders.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

/**
 * A bare wire client: lets a test describe a prepared statement once and execute it later without a
 * new Describe, the way JDBC and pgx reuse statements (node-postgres describes every execution).
 */
async function wireClient(address: { host: string; port: number }, database: string, password: string) {
  const socket = connect(address.port, address.host);
  await once(socket, 'connect');
  let pending = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    waiter?.();
  });
  /** Messages up to and including the next ReadyForQuery (or an authentication request). */
  const until = async (codes: string): Promise<{ code: string; body: Buffer }[]> => {
    const out: { code: string; body: Buffer }[] = [];
    for (;;) {
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const end = 1 + pending.readInt32BE(1);
        const message = { code: String.fromCharCode(pending[0]!), body: pending.subarray(5, end) };
        pending = pending.subarray(end);
        out.push(message);
        if (codes.includes(message.code)) return out;
      }
      await new Promise<void>((resolve) => {
        waiter = resolve;
      });
    }
  };
  socket.write(frontend.startup({ user: 'wire', database }));
  await until('R');
  socket.write(frontend.password(password));
  await until('ZE');
  return {
    send: (...frames: Buffer[]) => socket.write(Buffer.concat(frames)),
    until,
    end: () => socket.destroy(),
  };
}

/** The text values of a DataRow body. */
function dataRowValues(body: Buffer): (string | null)[] {
  const values: (string | null)[] = [];
  let pos = 2;
  for (let i = 0; i < body.readInt16BE(0); i++) {
    const length = body.readInt32BE(pos);
    pos += 4;
    values.push(length < 0 ? null : body.toString('utf8', pos, pos + length));
    pos += Math.max(length, 0);
  }
  return values;
}

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

  test('config check lists every problem of a file with six, Cedar included, and exits 2', async () => {
    const good = readFileSync(h.configFile, 'utf8');
    writeFileSync(
      join(h.dir, 'broken.cedar'),
      'forbid (principal, action, resource) when { context.x == };\n',
    );
    const bad = good
      .replace('node: e2e', 'node: e2e\nlogging_level: debug') // 1. unknown key
      .replace('guardrails: { deny: [drop] }', 'guardrails: { deny: [dorp] }') // 2. unknown guardrail
      .replace(
        '  - name: nowhere\n',
        '  - name: nowhere\n    policies: [./broken.cedar]\n', // 3. a .cedar file that does not parse
      )
      .concat(
        [
          'retention: { audit: 400d, recordings: 12h }', // 4. shorter than a day
          'recordings: { dir: . }', // 5. the state folder: retention would delete the journal
          'audit: { export: [{ name: siem, type: webhook, url: "ftp://siem" }] }', // 6. URL and secret
        ].join('\n'),
      );
    const file = join(h.dir, 'six-problems.yaml');
    writeFileSync(file, bad);
    const check = await h.cli(['config', 'check', file]);
    assert.equal(check.code, 2, check.stdout);
    const listed = check.stderr.split('\n').filter((l) => l.startsWith('  '));
    assert.match(check.stderr, new RegExp(`six-problems\\.yaml: ${listed.length} problem\\(s\\)`));
    for (const expected of [
      /unknown key "logging_level" at top level/,
      /guardrails\.deny\[0\]: .*received "dorp"/,
      /connection nowhere: .*broken\.cedar/,
      /retention\.recordings: expected a duration of at least one day/,
      /recordings\.dir: .* holds the audit journal/,
      /audit\.export\[0\]\.url: expected an http:\/\/ or https:\/\/ URL/,
      /audit\.export\[0\]\.secret: required key is missing/,
    ]) {
      assert.ok(
        listed.some((l) => expected.test(l)),
        `${expected} in:\n${listed.join('\n')}`,
      );
    }
    assert.equal(listed.length, 7, listed.join('\n'));
    assert.equal(readFileSync(h.configFile, 'utf8'), good, 'the running server’s file is untouched');
  });

  test('a reload that changes export sinks or retention applies the rest and asks for a restart', async () => {
    const good = readFileSync(h.configFile, 'utf8');
    writeFileSync(h.configFile, `${good}\nretention: { audit: 30d }\n`);
    try {
      const report = await h.server.reloadConfig();
      assert.equal(report.outcome, 'success', report.problems.join('\n'));
      assert.deepEqual(report.restartRequired, ['retention']);
      // The running retention job keeps its (absent) periods until a restart.
      await assert.rejects(h.server.runRetention(), { code: 'ERR_BAD_REQUEST' });
      assert.ok(h.logs.some((l) => l.includes('retention changed; restart airlock to apply it')));
      assert.equal((await live.query('select 1 as n')).rows[0].n, 1, 'the live session goes on');
    } finally {
      writeFileSync(h.configFile, good);
      await h.server.reloadConfig();
    }
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
    // The ended session's own trail says why, and the removed name takes no new sessions.
    const ends = (await searchAudit(h.server.store.db, { type: 'session.end', connection: 'reporting' })) as {
      error?: { code: string };
    }[];
    assert.ok(
      ends.some((e) => e.error?.code === 'ERR_SESSION_TERMINATED'),
      JSON.stringify(ends),
    );
    const again = new pg.Client({ connectionString: h.url(agent, 'reporting') });
    await assert.rejects(again.connect(), /there is no connection named "reporting"/);
  });

  test('masking rules follow a reload: live sessions mask (and unmask) from their next statement', async () => {
    await live.query('create table people (id int, email text, phone text)');
    await live.query("insert into people values (1, 'ann@example.com', '555-0100')");
    const port = /port: (\d+)/.exec(original.slice(original.indexOf('- name: appdb')))![1]!;
    const masked = (name: string, rules: string[]) =>
      appConnection(
        name,
        `    access: [group:agents]\n${rules.length ? `    masking:\n      columns: { ${rules.join(', ')} }\n` : ''}`,
      ).replaceAll('PORT', port);
    const write = (maskdb: string[], plaindb: string[]) =>
      writeFileSync(
        h.configFile,
        configWith(['drop', 'truncate'], []) + masked('maskdb', maskdb) + masked('plaindb', plaindb),
      );
    const reload = async () => {
      const result = await h.cli(['--server', api, '--token', admin, 'config', 'reload']);
      assert.equal(result.code, 0, result.stderr);
    };
    const read = async (client: pg.Client) =>
      (await client.query('select email, phone, pg_backend_pid() as pid from people')).rows[0] as {
        email: string;
        phone: string;
        pid: number;
      };

    write(['people.email: redact'], []);
    await reload();
    // Described before the reload, executed after it with no new Describe.
    const wire = await wireClient(h.server.addresses.postgres!, 'maskdb', agent);
    wire.send(
      frontend.parse('s1', 'select email, phone from people'),
      frontend.describe('S', 's1'),
      frontend.sync(),
    );
    assert.ok((await wire.until('ZE')).some((m) => m.code === 'T'));
    const m = new pg.Client({ connectionString: h.url(agent, 'maskdb') });
    const plain = new pg.Client({ connectionString: h.url(agent, 'plaindb') });
    const plainEnded = new Promise<Error>((resolve) => plain.on('error', resolve));
    m.on('error', (err) => assert.fail(`the masked session ended: ${err.message}`));
    await m.connect();
    await plain.connect();
    try {
      const first = await read(m);
      assert.deepEqual([first.email, first.phone], ['[REDACTED]', '555-0100']);
      assert.equal((await read(plain)).email, 'ann@example.com');

      // A rule added by SIGHUP: the live session's very next statements are checked and masked with it.
      write(['people.email: redact', 'people.phone: partial'], ['people.email: redact']);
      const stop = onHangup(() => {
        void h.server.reloadConfig();
      });
      const before = (await reloadEvents()).length;
      try {
        process.kill(process.pid, 'SIGHUP');
        await waitFor('the SIGHUP reload to be audited', async () => (await reloadEvents()).length > before);
      } finally {
        stop();
      }
      await assert.rejects(m.query('create table stolen as select phone from people'), /masking-export/);
      const second = await read(m);
      assert.equal(second.pid, first.pid, 'the same session, not a new one');
      assert.deepEqual([second.email, second.phone], ['[REDACTED]', '****0100']);
      wire.send(frontend.bind('', 's1'), frontend.execute(''), frontend.sync());
      const rows = (await wire.until('Z')).filter((msg) => msg.code === 'D');
      assert.deepEqual(dataRowValues(rows[0]!.body), ['[REDACTED]', '****0100']);
      const binary = await m.query({
        text: 'select phone from people',
        queryMode: 'extended',
        binary: true,
      } as pg.QueryConfig);
      assert.equal(binary.rows[0].phone, '****0100');
      // A session opened without any masking cannot start masking midway: it is ended, and told why.
      const err = (await plainEnded) as Error & { code?: string };
      assert.equal(err.code, '57P01');
      assert.match(err.message, /masking rules were added to connection "plaindb"; reconnect/);

      // A rule removed: new statements of the live session are no longer masked by it.
      write(['people.phone: partial'], ['people.email: redact']);
      await reload();
      const third = await read(m);
      assert.equal(third.pid, first.pid);
      assert.deepEqual([third.email, third.phone], ['ann@example.com', '****0100']);
      const reconnected = new pg.Client({ connectionString: h.url(agent, 'plaindb') });
      await reconnected.connect();
      assert.equal((await read(reconnected)).email, '[REDACTED]');
      await reconnected.end();
    } finally {
      await m.end().catch(() => {});
      await plain.end().catch(() => {});
      wire.end();
    }
  });

  test('with --config the CLI says how to reach the server when the API port is not known', async () => {
    const result = await h.cli(['config', 'reload'], { AIRLOCK_TOKEN: admin });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /listen\.api has port 0: pass --server URL --token TOKEN/);
  });
});
