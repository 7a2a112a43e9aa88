/**
 * How sessions start and end badly through the PostgreSQL engine: refusals with catalog SQLSTATEs,
 * upstream failures that reveal neither address nor credential, every upstream authentication method
 * and TLS mode, protocol negotiation, garbage from clients, and sessions ended by the gate.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AirlockError } from '../../core/errors.js';
import { frontend } from './testing/builders.js';
import { type EngineFixture, errorsOf, startEngineFixture, waitFor } from './testing/engine-fixture.js';

let f: EngineFixture;

before(async () => {
  f = await startEngineFixture();
});

after(async () => {
  await f?.stop();
});

test('refusals at session start carry the catalog SQLSTATE', async () => {
  const badToken = await f.connectError('appdb', 'not-a-token');
  assert.deepEqual([badToken.code, badToken.severity], ['28P01', 'FATAL']);
  assert.equal((await f.connectError('nosuchdb')).code, '3D000');
  assert.equal((await f.connectError('appdb', f.outsiderToken)).code, '28000');
  const replication = await f.rawOpen();
  replication.send(frontend.startup({ user: 'x', database: 'appdb', replication: 'database' }));
  const refused = await replication.until((m) => m.name === 'errorResponse');
  assert.equal(refused.name === 'errorResponse' && refused.fields.code, '0A000');
});

test('upstream unreachable is 08001 without revealing the address; a wrong held password is 08004', async () => {
  const down = await f.connectError('down');
  assert.equal(down.code, '08001');
  // Exactly the catalog's text: no host, no port.
  assert.equal(down.message, 'the target database could not be reached');
  const wrong = await f.connectError('wrongpw');
  assert.equal(wrong.code, '08004');
  assert.ok(!wrong.message.includes('not-the-password'));
  assert.ok(
    f.logLines.some((line) => line.includes(`upstream 127.0.0.1:${f.closedPort} (connect): ECONNREFUSED`)),
    'operators see the target in the log',
  );
});

test('upstream authentication by md5, cleartext and trust; upstream TLS require and verify-full', async () => {
  for (const database of ['md5db', 'cleardb', 'trustdb']) {
    const client = await f.pgClient(database);
    assert.equal((await client.query('select 1 as ok')).rows[0].ok, 1, database);
    await client.end();
  }
  for (const database of ['appdb-tls', 'appdb-verify']) {
    const client = await f.pgClient(database);
    const ssl = await client.query('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
    assert.equal(ssl.rows[0].ssl, true, database);
    await client.end();
  }
  const wrongCa = await f.connectError('appdb-wrong-ca');
  assert.equal(wrongCa.code, '08001');
  assert.equal(wrongCa.message, 'a secure connection to the target could not be established');
});

test('protocol 3.2 with _pq_ options is negotiated down to 3.0', async () => {
  const client = await f.rawOpen();
  client.send(frontend.startup({ user: 'x', database: 'appdb', '_pq_.future': 'on' }, 3, 2));
  const negotiate = await client.until((m) => m.name === 'negotiateProtocolVersion');
  assert.deepEqual(negotiate.name === 'negotiateProtocolVersion' && negotiate.unrecognizedOptions, [
    '_pq_.future',
  ]);
  client.send(frontend.password(f.agentToken));
  await client.until((m) => m.name === 'readyForQuery');
  client.close();
});

test('garbage bytes: that client gets 08P01 and is closed, another session keeps working', async () => {
  const healthy = await f.pgClient();
  try {
    for (const garbage of [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.alloc(64, 0xff),
      Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]),
    ]) {
      const bad = await f.rawOpen();
      bad.send(garbage);
      await bad.closedByServer();
      assert.deepEqual(errorsOf(bad.messages), ['08P01'], garbage.toString('latin1'));
    }
    // Before authentication nothing larger than a password is accepted.
    const early = await f.rawOpen();
    early.send(frontend.startup({ user: 'x', database: 'appdb' }), frontend.query('x'.repeat(100_000)));
    await early.closedByServer();
    assert.deepEqual(errorsOf(early.messages), ['08P01']);
    // A TLS handshake that goes wrong just closes that socket.
    const badTls = await f.rawOpen(false);
    badTls.send(frontend.sslRequest());
    await waitFor(() => badTls.received.length > 0, "the 'S' answer");
    badTls.send(Buffer.from('this is not a TLS ClientHello, not at all'));
    await badTls.closedByServer();
    // Garbage after a good login: the session ends, the upstream with it.
    const client = await f.raw();
    client.send(Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff]));
    await client.closedByServer();
    assert.deepEqual(errorsOf(client.messages), ['08P01']);
    assert.equal((await healthy.query('select 9 as n')).rows[0].n, 9);
  } finally {
    await healthy.end();
  }
});

test('gate.terminateWhere ends a live session at once with a FATAL error', async () => {
  const client = await f.raw();
  await waitFor(() => [...f.gate.liveSessions()].length > 0, 'a live session');
  const ended = f.gate.terminateWhere(() => true, new AirlockError('ERR_SESSION_TERMINATED'));
  assert.ok(ended >= 1);
  await client.closedByServer(1000);
  assert.deepEqual(errorsOf(client.messages).slice(-1), ['57P01']);
});

test('failed sessions never leak a held password either', () => {
  f.assertNothingLeaked();
});
