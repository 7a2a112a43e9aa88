/**
 * @module `npx tsx bench/relay-path.ts`: the CPU one statement costs in Airlock's own code, without
 * the network. A real `Relay` (framing, CommandFlow, gate, policy, journal, result tracking, outboxes)
 * runs over stand-in sockets: chunks are handed to its 'data' handlers directly and its writes are
 * dropped, so what is measured is the relay's logic per statement, not syscalls or Node's streams.
 * Each statement is a pgbench `-S` Query with a new literal and the server's 1-row answer; every 8
 * statements the event loop turns (as with 8 clients), so deferred journal writes happen as in
 * production. Variants switch parts off to show what each costs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { pino } from 'pino';
import type { AuditEventBody, AuditLog, AuditRecord } from '../src/audit/events.js';
import { Journal } from '../src/audit/journal.js';
import { systemClock } from '../src/core/clock.js';
import type { Connection } from '../src/core/connection.js';
import { Gate } from '../src/core/gate.js';
import type { Session } from '../src/core/session.js';
import { PolicyEngine } from '../src/policy/index.js';
import { initClassifier } from '../src/protocols/postgres/classify/index.js';
import { TransactionStatus } from '../src/protocols/postgres/codec/codes.js';
import { BackendParser, FrontendParser } from '../src/protocols/postgres/codec/parser.js';
import { Relay } from '../src/protocols/postgres/relay.js';
import type { ClientSocket } from '../src/protocols/postgres/startup.js';
import { backend, frontend } from '../src/protocols/postgres/testing/builders.js';

/** A socket stand-in: writes are accepted and dropped; the bench emits 'data' itself. */
class NullSocket extends Duplex {
  override _read(): void {}
  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    done();
  }
  override _writev(_chunks: unknown[], done: (error?: Error | null) => void): void {
    done();
  }
}

/** An audit log that keeps nothing: the cost of the relay without the journal. */
const NULL_AUDIT: AuditLog = {
  append: (event: AuditEventBody) => event as unknown as AuditRecord,
};

const connection: Connection = {
  name: 'bench',
  type: 'postgres',
  host: '127.0.0.1',
  port: 1,
  database: 'bench',
  user: 'bench',
  password: { value: 'x' },
  tls: { mode: 'disable' },
  tags: {},
  access: ['group:bench'],
};

const ANSWER = Buffer.concat([
  backend.rowDescription([{ name: 'abalance', typeOid: 23 }]),
  backend.dataRow(['0']),
  backend.commandComplete('SELECT 1'),
  backend.readyForQuery('I'),
]);

async function measure(name: string, audit: AuditLog | 'journal', policy: boolean, n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-relay-path-'));
  const log =
    audit === 'journal'
      ? Journal.open({ dir, node: 'bench', clock: systemClock, key: Buffer.alloc(32, 1) })
      : audit;
  try {
    const gate = new Gate({
      authenticator: { authenticate: () => Promise.reject(new Error('unused')) },
      connections: () => ({ get: (n) => (n === connection.name ? connection : undefined) }),
      audit: log,
      clock: systemClock,
      ...(policy ? { policy: new PolicyEngine({ connections: [connection] }) } : {}),
    });
    const session: Session = {
      id: 'relay-path',
      protocol: 'postgres',
      identity: {
        subject: 'bench-agent',
        displayName: 'bench-agent',
        kind: 'agent',
        groups: ['bench'],
        issuer: 'airlock',
        tokenId: 't',
        expiresAt: undefined,
        chain: [],
      },
      connection,
      client: { address: '127.0.0.1', port: 1, tls: false },
      startedAt: new Date(),
    };
    const client = new NullSocket();
    const upstream = new NullSocket();
    const relay = new Relay({
      gate,
      session,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      client: client as unknown as ClientSocket,
      clientParser: new FrontendParser({ phase: 'tagged' }),
      upstream: upstream as unknown as ClientSocket,
      upstreamParser: new BackendParser(),
      initialStatus: TransactionStatus.Idle,
      maxBatchBytes: 1 << 20,
      stats: { bytesFromClient: 0, bytesToClient: 0, statements: 0 },
    });
    void relay.run([], []);
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const aid = 1 + ((i * 7919) % 1_000_000);
        client.emit('data', frontend.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`));
        upstream.emit('data', ANSWER);
        if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
      const used = process.cpuUsage(started);
      best = Math.min(best, (used.user + used.system) / n);
    }
    process.stdout.write(`${name.padEnd(52)} ${best.toFixed(1).padStart(7)} µs/statement\n`);
    client.destroy();
    upstream.destroy();
  } finally {
    if (log instanceof Journal) log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await initClassifier();
  const n = Number(process.argv[2] ?? 20_000) || 20_000;
  process.stdout.write(`relay logic per pgbench -S statement (CPU, best of 3 x ${n}; no sockets)\n`);
  // `--only-full` (for a CPU profile of the whole path): skip the variants.
  const onlyFull = process.argv.includes('--only-full');
  await measure('full: classify + policy + journal + results', 'journal', true, n);
  if (onlyFull) return;
  await measure('no journal (audit kept nowhere)', NULL_AUDIT, true, n);
  await measure('no journal, no policy', NULL_AUDIT, false, n);
}

void main();
