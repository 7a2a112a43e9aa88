/**
 * The relay between real sockets, with a scripted fake upstream: flow control (a client that stops
 * reading stops the upstream, Airlock does not buffer), and the end of a session from the upstream side.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { Journal } from '../../audit/journal.js';
import { systemClock } from '../../core/clock.js';
import type { AirlockError } from '../../core/errors.js';
import { Gate } from '../../core/gate.js';
import type { Session, SessionStats } from '../../core/session.js';
import { initClassifier } from './classify/index.js';
import { decodeBackend } from './codec/backend-decoder.js';
import { TransactionStatus } from './codec/codes.js';
import { BackendParser, FrontendParser } from './codec/parser.js';
import { Relay } from './relay.js';
import { backend, frontend } from './testing/builders.js';
import { listCatalog, MemoryAuditLog, mapAuthenticator, testIdentity } from './testing/harness.js';

before(() => initClassifier());

const audit = new MemoryAuditLog();
const gate = new Gate({
  authenticator: mapAuthenticator(new Map()),
  connections: () => listCatalog([]),
  audit,
  clock: systemClock,
});
const servers: Server[] = [];

/** A connected pair of TCP sockets on loopback: [the side the test holds, the side the relay holds]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const outer = connect({ port, host: '127.0.0.1' });
  const [inner] = await accepted;
  await once(outer, 'connect').catch(() => undefined);
  outer.on('error', () => undefined);
  inner.on('error', () => undefined);
  return [outer, inner];
}

interface Setup {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly relayClient: Socket;
  readonly done: Promise<AirlockError | undefined>;
  readonly stats: SessionStats;
}

async function startRelay(relayGate: Gate = gate): Promise<Setup> {
  const [client, relayClient] = await socketPair();
  const [upstream, relayUpstream] = await socketPair();
  const session: Session = {
    id: `relay-${Math.random()}`,
    protocol: 'postgres',
    identity: testIdentity('agent', ['agents']),
    connection: {
      name: 'fake',
      type: 'postgres',
      host: '127.0.0.1',
      port: 1,
      database: 'x',
      user: 'x',
      password: { value: 'x' },
      tls: { mode: 'disable' },
      tags: {},
      access: [],
    },
    client: { address: '127.0.0.1', port: 1, tls: false },
    startedAt: new Date(),
  };
  const stats: SessionStats = { bytesFromClient: 0, bytesToClient: 0, statements: 0 };
  const relay = new Relay({
    gate: relayGate,
    session,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    client: relayClient,
    clientParser: new FrontendParser({ phase: 'tagged' }),
    upstream: relayUpstream,
    upstreamParser: new BackendParser(),
    initialStatus: TransactionStatus.Idle,
    maxBatchBytes: 1 << 20,
    stats,
  });
  return { client, upstream, relayClient, done: relay.run([], []), stats };
}

after(() => {
  for (const server of servers) server.close();
});

test('a client that stops reading stops the upstream: Airlock does not buffer the result', async () => {
  const { client, upstream, relayClient, done, stats } = await startRelay();
  const forwarded = once(upstream, 'data') as Promise<[Buffer]>;
  client.write(frontend.query('select big'));
  assert.deepEqual(
    (await forwarded)[0],
    frontend.query('select big'),
    'the original bytes reach the upstream',
  );

  client.pause();
  const row = backend.dataRow(['x'.repeat(64 * 1024)]);
  let rowsWritten = 0;
  let stalled = false;
  // Write rows until the upstream socket refuses more and stays full: the relay stopped reading.
  while (rowsWritten < 2000) {
    if (upstream.write(row)) {
      rowsWritten++;
      continue;
    }
    rowsWritten++;
    const drained = await Promise.race([
      once(upstream, 'drain').then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
    ]);
    if (!drained) {
      stalled = true;
      break;
    }
  }
  assert.ok(stalled, `the upstream never stalled after ${rowsWritten} rows of 64 KiB`);
  assert.ok(relayClient.writableLength < 1024 * 1024, `Airlock buffered ${relayClient.writableLength} bytes`);

  upstream.write(
    Buffer.concat([backend.commandComplete(`SELECT ${rowsWritten}`), backend.readyForQuery('I')]),
  );
  const parser = new BackendParser();
  let rows = 0;
  let ready = false;
  client.on('data', (chunk: Buffer) =>
    parser.parse(chunk, (frame) => {
      if (frame.code === 0x44) rows++;
      if (frame.code === 0x5a) ready = true;
    }),
  );
  client.resume();
  const deadline = Date.now() + 20_000;
  while (!ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(rows, rowsWritten, 'every row arrived, in one piece');
  const result = audit.ofType('command.result').at(-1);
  assert.equal(result?.rows, rowsWritten);
  assert.ok(stats.bytesToClient > rowsWritten * row.length);

  client.end(frontend.terminate());
  assert.equal(await done, undefined);
});

test('an upstream that sends garbage ends the session with a FATAL error to the client', async () => {
  const { client, upstream, done } = await startRelay();
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = once(client, 'close');
  upstream.write(Buffer.from([0x01, 0, 0, 0, 4]));
  const err = await done;
  assert.equal(err?.code, 'ERR_UPSTREAM_UNREACHABLE');
  await closed;
  const text = Buffer.concat(received).toString('latin1');
  assert.match(text, /FATAL/);
  assert.match(text, /the target database sent an invalid message/);
});

test('an upstream that closes mid-session: the client is told and the in-flight statement is recorded', async () => {
  const { client, upstream, done } = await startRelay();
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = once(client, 'close');
  client.write(frontend.query('select pg_sleep(60) -- lost'));
  await once(upstream, 'data');
  upstream.destroy();
  const err = await done;
  assert.equal(err?.code, 'ERR_UPSTREAM_UNREACHABLE');
  await closed;
  assert.match(
    Buffer.concat(received).toString('latin1'),
    /C08001\0Mthe connection to the target database was lost/,
  );
  const command = audit.ofType('command').find((c) => c.text.includes('-- lost'));
  const result = audit
    .ofType('command.result')
    .find((r) => r.commandId === command?.commandId && r.sessionId === command?.sessionId);
  assert.equal(result?.outcome, 'error');
});

/** A gate over a real journal whose writer the test controls. */
function journalGate(write: (fd: number, text: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-relay-journal-'));
  const journal = Journal.open({
    dir,
    node: 'relay-test',
    clock: systemClock,
    key: Buffer.alloc(32, 3),
    write,
  });
  const journalGate = new Gate({
    authenticator: mapAuthenticator(new Map()),
    connections: () => listCatalog([]),
    audit: journal,
    clock: systemClock,
  });
  const lines = () =>
    readFileSync(journal.path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map(
        (line) =>
          JSON.parse(line) as { type: string; text?: string; seq: number; prevHash: string; hash: string },
      );
  const close = () => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { journal, gate: journalGate, lines, close };
}

test('a chunk of statements is journaled with one write, before any of its bytes reach the upstream', async () => {
  let upstreamBytes = 0;
  const writes: { text: string; upstreamBytesBefore: number }[] = [];
  const j = journalGate((fd, text) => {
    writes.push({ text, upstreamBytesBefore: upstreamBytes });
    writeSync(fd, text);
  });
  const { client, upstream, done } = await startRelay(j.gate);
  try {
    upstream.on('data', (chunk: Buffer) => {
      upstreamBytes += chunk.length;
    });
    const both = Buffer.concat([frontend.query('select 1 /* a */'), frontend.query('select 2 /* b */')]);
    client.write(both);
    const deadline = Date.now() + 5000;
    while (upstreamBytes < both.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(upstreamBytes, both.length, 'both statements reach the upstream');
    const commandWrites = writes.filter((w) => w.text.includes('"type":"command"'));
    assert.equal(commandWrites.length, 1, 'one journal write for the chunk');
    assert.equal(commandWrites[0]!.text.split('\n').filter(Boolean).length, 2, 'carrying both events');
    assert.equal(commandWrites[0]!.upstreamBytesBefore, 0, 'written before anything was forwarded');

    // Results are written later (deferred) but in chain order, and before the session's end.
    upstream.write(
      Buffer.concat([
        backend.commandComplete('SELECT 1'),
        backend.readyForQuery('I'),
        backend.commandComplete('SELECT 1'),
        backend.readyForQuery('I'),
      ]),
    );
    while (j.lines().filter((l) => l.type === 'command.result').length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const lines = j.lines();
    assert.deepEqual(
      lines.map((l) => l.type),
      ['command', 'command', 'command.result', 'command.result'],
    );
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i]!.prevHash, lines[i - 1]!.hash);
  } finally {
    client.destroy();
    upstream.destroy();
    await done;
    j.close();
  }
});

test('a batch the journal cannot write is not forwarded: FATAL 58030, the session ends, the chain stays whole', async () => {
  let failing = true;
  const j = journalGate((fd, text) => {
    if (failing && text.includes('journal_marker')) throw new Error('disk full (test)');
    writeSync(fd, text);
  });
  const { client, upstream, done } = await startRelay(j.gate);
  try {
    let upstreamBytes = 0;
    upstream.on('data', (chunk: Buffer) => {
      upstreamBytes += chunk.length;
    });
    const parser = new BackendParser();
    const errors: { severity: string | undefined; code: string | undefined }[] = [];
    client.on('data', (chunk: Buffer) =>
      parser.parse(chunk, (frame) => {
        const message = decodeBackend(frame);
        if (message.name === 'errorResponse')
          errors.push({ severity: message.fields.severity, code: message.fields.code });
      }),
    );
    const closed = once(client, 'close');
    client.write(
      Buffer.concat([
        frontend.query('select 1 /* fine */'),
        frontend.query("insert into t values ('journal_marker')"),
      ]),
    );
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no close')), 5000)),
    ]);
    assert.deepEqual(errors, [{ severity: 'FATAL', code: '58030' }]);
    assert.equal(upstreamBytes, 0, 'nothing of the chunk reached the upstream');
    await done;
    assert.ok(
      j.lines().every((l) => l.type !== 'command'),
      'no command event of the failed batch is in the journal',
    );
    failing = false;
    j.journal.append({
      type: 'token.revoked',
      actor: { subject: 'op', kind: 'human', groups: [], issuer: 'local', chain: [] },
      name: 'after',
    });
    const lines = j.lines();
    assert.equal(lines.at(-1)!.seq, (lines.at(-2)?.seq ?? 0) + 1, 'numbering continues without a gap');
    for (let i = 1; i < lines.length; i++) assert.equal(lines[i]!.prevHash, lines[i - 1]!.hash);
  } finally {
    client.destroy();
    upstream.destroy();
    j.close();
  }
});
