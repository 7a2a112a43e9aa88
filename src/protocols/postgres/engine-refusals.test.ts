/**
 * Refusals through the PostgreSQL engine: denied simple and extended statements, batches refused
 * whole and answered in order with pipelining, discard-until-Sync, rollback of unsynced work, and an
 * unwritable journal. Nothing refused may reach the server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { frontend } from './testing/builders.js';
import {
  type EngineFixture,
  errorsOf,
  firstColumns,
  startEngineFixture,
  statusesOf,
} from './testing/engine-fixture.js';

let f: EngineFixture;

before(async () => {
  f = await startEngineFixture();
});

after(async () => {
  await f?.stop();
});

test('a denied simple query gets ERROR 42501 and the session stays usable', async () => {
  const client = await f.pgClient();
  try {
    await assert.rejects(
      client.query('select * from forbidden_table'),
      (err: { code: string; message: string; detail: string }) => {
        assert.equal(err.code, '42501');
        assert.equal(err.message, 'the statement was denied by policy');
        assert.equal(err.detail, 'rule test:forbidden');
        return true;
      },
    );
    assert.equal((await client.query('select 7 as n')).rows[0].n, 7);
    const [denied] = f.commandsMatching('select * from forbidden_table');
    assert.equal(denied?.decision, 'deny');
    assert.equal(denied?.rule, 'test:forbidden');
  } finally {
    await client.end();
  }
});

test('a denied extended query is refused at Parse, nothing is forwarded, the session stays usable', async () => {
  const client = await f.pgClient();
  try {
    await assert.rejects(client.query('insert into forbidden_table values ($1)', [1]), { code: '42501' });
    assert.equal((await client.query('select $1::int as n', [8])).rows[0].n, 8);
    assert.equal(await f.cluster.psql('select count(*) from forbidden_table', 'app'), '0');
    assert.ok(
      f.commandsMatching('insert into forbidden_table values ($1)').some((c) => c.decision === 'deny'),
    );
  } finally {
    await client.end();
  }
});

test('a refused batch between allowed ones: answers stay in order, nothing of it runs', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(
    frontend.parse('', 'select pg_sleep(0.2), 1'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.sync(),
    frontend.parse('', 'insert into items values (3000, $1)'),
    frontend.bind('', '', ['allowed in a refused batch']),
    frontend.execute(),
    frontend.parse('', 'select * from forbidden_table'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.sync(),
    frontend.query('select 3'),
  );
  const messages = await client.readyCount(3, from);
  const sequence = messages.map((m) => m.name).filter((n) => n !== 'rowDescription' && n !== 'noData');
  assert.deepEqual(sequence, [
    'parseComplete',
    'bindComplete',
    'dataRow',
    'commandComplete',
    'readyForQuery',
    'errorResponse',
    'readyForQuery',
    'dataRow',
    'commandComplete',
    'readyForQuery',
  ]);
  assert.deepEqual(errorsOf(messages), ['42501']);
  assert.equal(await f.cluster.psql('select count(*) from items where id = 3000', 'app'), '0');
  const [allowedButDropped] = f.commandsMatching('insert into items values (3000, $1)');
  assert.equal(allowedButDropped?.decision, 'allow');
  const dropped = f.resultOf(allowedButDropped);
  assert.equal(dropped?.outcome, 'error');
  assert.match(dropped?.error?.message ?? '', /not forwarded/);
  client.close();
});

test('after a refused batch ending in Flush, messages are discarded until Sync', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(
    frontend.parse('', 'select * from forbidden_table'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.flush(),
  );
  await client.until((m) => m.name === 'errorResponse', from);
  client.send(
    frontend.parse('', 'select 1'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.sync(),
    frontend.query('select 2'),
  );
  const messages = await client.readyCount(2, from);
  assert.deepEqual(errorsOf(messages), ['42501']);
  const rows = firstColumns(messages);
  assert.deepEqual(rows, ['2'], 'the messages before Sync were discarded, the query after it ran');
  client.close();
});

test('a refusal after forwarded unsynced work rolls that work back, as PostgreSQL would', async () => {
  const client = await f.raw();
  const from = client.messages.length;
  client.send(
    frontend.parse('', 'insert into items values (4000, $1)'),
    frontend.bind('', '', ['flushed']),
    frontend.execute(),
    frontend.flush(),
  );
  await client.until((m) => m.name === 'commandComplete', from);
  client.send(
    frontend.parse('', 'select * from forbidden_table'),
    frontend.bind('', ''),
    frontend.execute(),
    frontend.sync(),
  );
  const messages = await client.readyCount(1, from);
  const error = messages.find((m) => m.name === 'errorResponse');
  assert.equal(error?.name === 'errorResponse' && error.fields.code, '42501');
  assert.equal(error?.name === 'errorResponse' && error.fields.message, 'the statement was denied by policy');
  assert.deepEqual(statusesOf(messages), ['I']);
  assert.equal(await f.cluster.psql('select count(*) from items where id = 4000', 'app'), '0');
  client.send(frontend.query('select 5'));
  const after = await client.readyCount(2, from);
  assert.ok(after.some((m) => m.name === 'dataRow' && m.values[0]?.toString() === '5'));
  client.close();
});

test('an unwritable journal refuses the statement with 58030 and nothing runs', async () => {
  f.audit.failWhen = (event) => event.type === 'command' && JSON.stringify(event).includes('journal_marker');
  const client = await f.pgClient();
  try {
    await assert.rejects(client.query("insert into items values (5000, 'journal_marker')"), {
      code: '58030',
    });
    await assert.rejects(client.query('insert into items values ($1, $2)', [5001, 'journal_marker']), {
      code: '58030',
    });
    assert.equal((await client.query('select 1 as ok')).rows[0].ok, 1);
    assert.equal(await f.cluster.psql('select count(*) from items where id in (5000, 5001)', 'app'), '0');
  } finally {
    f.audit.failWhen = () => false;
    await client.end();
  }
});

test('refused statements never leak a held password either', () => {
  f.assertNothingLeaked();
});
