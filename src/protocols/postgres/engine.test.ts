/**
 * The PostgreSQL engine with real clients through to a real PostgreSQL: psql (simple, multi-statement,
 * TLS, \\copy), node-postgres (parameters, prepared statements), pgbench (COPY-based init, simple and
 * prepared runs), a raw client for pipelining, FunctionCall and COPY, LISTEN/NOTIFY, notices, cancel.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import { frontend } from './testing/builders.js';
import {
  type EngineFixture,
  firstColumns,
  startEngineFixture,
  statusesOf,
  waitFor,
} from './testing/engine-fixture.js';

const execFileAsync = promisify(execFile);

let f: EngineFixture;

before(async () => {
  f = await startEngineFixture();
});

after(async () => {
  await f?.stop();
});

test('psql -c runs a query through Airlock with the held credential', async () => {
  const result = await f.psql(['-c', 'select current_user, 40 + 2']);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout, 'app|42');
});

test('psql: several statements in one -c are one simple query; the last count is recorded', async () => {
  const result = await f.psql([
    '-c',
    "insert into items values (1, 'one'), (2, 'two'), (3, 'three'); select count(*) from items where id <= 3",
  ]);
  assert.equal(result.stdout, 'INSERT 0 3\n3');
  const [command] = f.commandsMatching("insert into items values (1, 'one')");
  assert.ok(command);
  assert.equal(command.channel, 'simple');
  assert.equal(command.decision, 'allow');
  assert.equal(f.resultOf(command)?.rows, 1);
  assert.equal(f.resultOf(command)?.outcome, 'success');
});

test('psql with sslmode=require gets Airlock TLS; sslmode=disable stays plain', async () => {
  const secure = await f.psql(['-c', '\\conninfo'], { ssl: 'require', direct: true });
  assert.match(secure.stdout, /SSL connection/);
  const plain = await f.psql(['-c', '\\conninfo'], { ssl: 'disable' });
  assert.doesNotMatch(plain.stdout, /SSL connection/);
  const starts = f.audit.ofType('session.start').filter((r) => r.outcome === 'success');
  assert.ok(starts.some((r) => r.client.tls));
  assert.ok(starts.some((r) => !r.client.tls));
});

test('psql \\copy in and out (COPY FROM STDIN / TO STDOUT)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-copy-'));
  try {
    const input = join(dir, 'in.csv');
    const output = join(dir, 'out.csv');
    writeFileSync(input, Array.from({ length: 500 }, (_, i) => `${1000 + i},name ${i}`).join('\n') + '\n');
    const load = await f.psql(['-c', `\\copy items from '${input}' csv`]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal(load.stdout, 'COPY 500');
    const dump = await f.psql([
      '-c',
      `\\copy (select id, name from items where id >= 1000 order by id) to '${output}' csv`,
    ]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(readFileSync(output, 'utf8'), readFileSync(input, 'utf8'));
    const copyIn = f.audit.ofType('command').find((c) => /copy\s+items\s+from\s+stdin/i.test(c.text));
    assert.ok(copyIn, 'the COPY statement is audited');
    assert.equal(f.resultOf(copyIn)?.rows, 500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the airlock.reason option reaches the audit and is stripped before the upstream', async () => {
  const client = await f.pgClient('appdb', f.agentToken, {
    options: '-c airlock.reason=ticket\\ 42 -c statement_timeout=5000',
  } as never);
  try {
    const result = await client.query(
      "select current_setting('airlock.reason', true) as reason, current_setting('statement_timeout') as path",
    );
    assert.equal(result.rows[0].reason, null);
    assert.equal(result.rows[0].path, '5s', 'allowed startup settings still reach the upstream');
    assert.ok(f.audit.ofType('session.start').some((r) => r.reason === 'ticket 42'));
  } finally {
    await client.end();
  }
});

test('startup settings that would slip past the guardrails are refused (e.g. -c role=...)', async () => {
  await assert.rejects(
    f.pgClient('appdb', f.agentToken, { options: '-c role=postgres' } as never),
    (err: { code?: string; message?: string }) =>
      err.code === '0A000' && /startup setting role is not forwarded/.test(err.message ?? ''),
  );
});

test('pg: simple, parameterized and named prepared queries, with parameters and row counts audited', async () => {
  const client = await f.pgClient();
  try {
    assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
    const inserted = await client.query('insert into items values ($1, $2), ($3, $4)', [10, 'ten', 11, null]);
    assert.equal(inserted.rowCount, 2);
    for (const id of [10, 11, 10]) {
      const found = await client.query({
        name: 'item-by-id',
        text: 'select name from items where id = $1',
        values: [id],
      });
      assert.equal(found.rowCount, 1);
    }
    const binary = await client.query('select $1::bytea as b', [Buffer.from([0xca, 0xfe])]);
    assert.deepEqual(binary.rows[0].b, Buffer.from([0xca, 0xfe]));

    const [insert] = f.commandsMatching('insert into items values ($1, $2), ($3, $4)');
    assert.ok(insert);
    assert.equal(insert.channel, 'extended');
    assert.deepEqual(insert.parameters, ['10', 'ten', '11', null]);
    const insertResult = f.resultOf(insert);
    assert.equal(insertResult?.outcome, 'success');
    assert.equal(insertResult?.rows, 2);
    const lookups = f.commandsMatching('select name from items where id = $1');
    assert.deepEqual(
      lookups.map((c) => c.parameters),
      [['10'], ['11'], ['10']],
    );
    assert.ok(lookups.every((c) => f.resultOf(c)?.rows === 1));
    // pg sends bytea as text in hex form; the audit shows what was bound.
    assert.deepEqual(f.commandsMatching('select $1::bytea')[0]?.parameters, ['\\xcafe']);
  } finally {
    await client.end();
  }
});

test('pipelined extended batches in one write are answered in order and audited', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(
    frontend.parse('', 'select $1::int + 1'),
    frontend.bind('', '', ['1']),
    frontend.execute(),
    frontend.sync(),
    frontend.parse('', 'select $1::text || $2::text'),
    frontend.bind('', '', ['pipe', 'lined']),
    frontend.describe('P', ''),
    frontend.execute(),
    frontend.sync(),
  );
  const messages = await client.readyCount(2, from);
  const rows = firstColumns(messages);
  assert.deepEqual(rows, ['2', 'pipelined']);
  assert.deepEqual(statusesOf(messages), ['I', 'I']);
  const [second] = f.commandsMatching('select $1::text || $2::text');
  assert.deepEqual(second?.parameters, ['pipe', 'lined']);
  client.close();
});

test('a binary parameter is audited as hex; a FunctionCall is refused and audited by OID', async () => {
  const oid = Number(await f.cluster.psql("select 'abs(integer)'::regprocedure::oid"));
  const client = await f.raw();
  let from = client.messages.length;
  client.send(
    frontend.parse('', 'select length($1::bytea)'),
    frontend.bind('', '', [Buffer.from([1, 2, 255])], [1]),
    frontend.execute(),
    frontend.sync(),
  );
  await client.readyCount(1, from);
  assert.deepEqual(f.commandsMatching('select length($1::bytea)')[0]?.parameters, ['\\x0102ff']);
  from = client.messages.length;
  client.send(frontend.functionCall(oid, ['-42']));
  const messages = await client.readyCount(1, from);
  // The legacy fastpath carries no SQL the classifier could check, so the gate refuses it.
  assert.ok(!messages.some((m) => m.name === 'functionCallResponse'), 'the function did not run');
  const refusal = messages.find((m) => m.name === 'errorResponse');
  assert.equal(refusal?.name === 'errorResponse' && refusal.fields.code, '42501');
  const [call] = f.commandsMatching(`function-call oid=${oid}`);
  assert.equal(call?.channel, 'function-call');
  assert.deepEqual(call?.parameters, ['-42']);
  from = client.messages.length;
  client.send(frontend.query('select 1'));
  await client.readyCount(1, from);
  client.close();
});

test('COPY FROM STDIN over the raw protocol', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(frontend.query('copy items (id, name) from stdin'));
  await client.until((m) => m.name === 'copyInResponse', from);
  client.send(frontend.copyData('2000\traw one\n2001\traw two\n'), frontend.copyDone());
  const messages = await client.readyCount(1, from);
  assert.ok(messages.some((m) => m.name === 'commandComplete' && m.tag === 'COPY 2'));
  client.close();
});

test('COPY FROM STDIN over the extended protocol: the ignored Sync does not unbalance later answers', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(
    frontend.parse('', 'copy items (id, name) from stdin'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.sync(),
  );
  await client.until((m) => m.name === 'copyInResponse', from);
  client.send(frontend.copyData('2100\textended\n'), frontend.copyDone(), frontend.sync());
  const messages = await client.readyCount(1, from);
  assert.ok(messages.some((m) => m.name === 'commandComplete' && m.tag === 'COPY 1'));
  const [copy] = f
    .commandsMatching('copy items (id, name) from stdin')
    .filter((c) => c.channel === 'extended');
  assert.equal(f.resultOf(copy)?.rows, 1);
  // A refusal right after must not wait for a ReadyForQuery that will never come.
  const next = client.messages.length;
  client.send(frontend.query('select * from forbidden_table'), frontend.query('select 11'));
  const after = await client.readyCount(2, next);
  assert.deepEqual(
    after.map((m) => m.name).filter((n) => n === 'errorResponse' || n === 'dataRow'),
    ['errorResponse', 'dataRow'],
  );
  client.close();
});

test('pgbench: initialise, then simple and prepared select-only runs', async () => {
  const env = { ...process.env, PGPASSWORD: f.agentToken, PGSSLMODE: 'disable' };
  const base = ['-h', '127.0.0.1', '-p', String(f.port), '-U', 'anyone'];
  await execFileAsync('pgbench', ['-i', '-s', '1', '-q', ...base, 'appdb'], { env, timeout: 60_000 });
  for (const mode of ['simple', 'prepared']) {
    const { stdout } = await execFileAsync(
      'pgbench',
      ['-S', '-M', mode, '-c', '2', '-t', '50', ...base, 'appdb'],
      {
        env,
        timeout: 60_000,
      },
    );
    assert.match(stdout, /number of transactions actually processed: 100\/100/, mode);
    assert.match(stdout, /number of failed transactions: 0/, mode);
  }
});

test('LISTEN/NOTIFY between two sessions and a RAISE NOTICE reach the clients', async () => {
  const listener = await f.pgClient();
  const notifier = await f.pgClient();
  try {
    await listener.query('listen airlock_test');
    const notified = new Promise<pg.Notification>((resolve) => listener.once('notification', resolve));
    await notifier.query("select pg_notify('airlock_test', 'hello through airlock')");
    assert.equal((await notified).payload, 'hello through airlock');
    const notice = new Promise<{ message?: string }>((resolve) => notifier.once('notice', resolve));
    await notifier.query("do $$ begin raise notice 'careful now'; end $$");
    assert.equal((await notice).message, 'careful now');
  } finally {
    await listener.end();
    await notifier.end();
  }
});

test('a CancelRequest with the key Airlock issued cancels the running query', async () => {
  const client = await f.pgClient();
  try {
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    const started = Date.now();
    const sleeping = client.query('select pg_sleep(10)');
    await new Promise((r) => setTimeout(r, 300));
    const key = Buffer.alloc(4);
    key.writeInt32BE(secretKey);
    const wrong = await f.rawOpen(false);
    wrong.send(frontend.cancelRequest(processID, Buffer.from([0, 0, 0, 0])));
    await wrong.closedByServer();
    const cancel = await f.rawOpen(false);
    cancel.send(frontend.cancelRequest(processID, key));
    await cancel.closedByServer();
    await assert.rejects(sleeping, { code: '57014' });
    assert.ok(Date.now() - started < 5000, 'cancelled well before pg_sleep(10) ended');
    assert.equal((await client.query('select 1 as ok')).rows[0].ok, 1);
  } finally {
    await client.end();
  }
});

test('every session is journaled start to end; no held password reaches a client, log or audit row', async () => {
  await waitFor(() => [...f.gate.liveSessions()].length === 0, 'all sessions to end', 10_000);
  const starts = f.audit.ofType('session.start').filter((r) => r.outcome === 'success');
  const ends = f.audit.ofType('session.end');
  assert.ok(starts.length > 5);
  for (const start of starts) {
    assert.equal(
      ends.filter((e) => e.sessionId === start.sessionId).length,
      1,
      `one end for ${start.sessionId}`,
    );
  }
  const withTraffic = ends.filter((e) => e.statements > 0);
  assert.ok(withTraffic.length > 0 && withTraffic.every((e) => e.bytesFromClient > 0 && e.bytesToClient > 0));
  f.assertNothingLeaked();
});
