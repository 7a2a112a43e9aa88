/**
 * @module The PostgreSQL engine in front of a throwaway PostgreSQL cluster, for the engine's test
 * files (one fixture per file). The cluster has TLS on and roles for every upstream authentication
 * method (scram-sha-256 `app`, md5, cleartext, trust); the gate is the real Gate with test doubles
 * for authentication and the journal, and a policy that refuses statements naming `forbidden_table`.
 * Plain-text clients go through a tap that keeps every byte sent to them, so a test can prove what
 * never reached a client.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { generate } from 'selfsigned';
import type { AuditRecord } from '../../../audit/events.js';
import { systemClock } from '../../../core/clock.js';
import type { Command } from '../../../core/command.js';
import type { Connection } from '../../../core/connection.js';
import type { Decision } from '../../../core/decision.js';
import { AirlockError } from '../../../core/errors.js';
import { Gate } from '../../../core/gate.js';
import type { Session } from '../../../core/session.js';
import { type PostgresCluster, startPostgresCluster } from '../../../demo/postgres-cluster.js';
import type { BackendMessage } from '../codec/messages.js';
import { createPostgresEngine } from '../engine.js';
import {
  listCatalog,
  MemoryAuditLog,
  mapAuthenticator,
  startTap,
  type Tap,
  testIdentity,
} from './harness.js';
import { RawClient } from './raw-client.js';

const execFileAsync = promisify(execFile);

/** A gate whose policy refuses any statement mentioning `forbidden_table`. */
export class TestGate extends Gate {
  override decide(session: Session, command: Command): Decision {
    if (command.text.includes('forbidden_table')) {
      return {
        outcome: 'deny',
        rule: 'test:forbidden',
        error: new AirlockError('ERR_POLICY_DENIED', 'test rule matched', { detail: 'rule test:forbidden' }),
      };
    }
    return super.decide(session, command);
  }
}

/** What psql printed. */
export interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A pg error's wire fields. */
export interface ClientError {
  readonly code: string;
  readonly message: string;
  readonly severity: string;
}

/** A running engine with its cluster and helpers. */
export interface EngineFixture {
  readonly cluster: PostgresCluster;
  readonly gate: TestGate;
  readonly audit: MemoryAuditLog;
  readonly logLines: string[];
  /** Airlock's port (TLS clients connect here). */
  readonly port: number;
  /** The capturing tap in front of Airlock (plain-text clients connect here). */
  readonly tap: Tap;
  /** A port nothing listens on: the `down` connection's target. */
  readonly closedPort: number;
  readonly agentToken: string;
  readonly outsiderToken: string;
  /** Every password Airlock holds for the cluster: none may ever reach a client, log or audit row. */
  readonly heldSecrets: readonly string[];
  psql(args: readonly string[], options?: PsqlOptions): Promise<PsqlResult>;
  pgClient(database?: string, token?: string, extra?: Partial<pg.ClientConfig>): Promise<pg.Client>;
  /** Connects expecting a refusal; returns the ErrorResponse fields. */
  connectError(database: string, token?: string): Promise<ClientError>;
  /** A raw client, logged in with the agent token (closed by `stop`). */
  raw(database?: string, extra?: Record<string, string>): Promise<RawClient>;
  /** Opens a raw client without logging in (closed by `stop`). */
  rawOpen(viaTap?: boolean): Promise<RawClient>;
  commandsMatching(text: string): Extract<AuditRecord, { type: 'command' }>[];
  resultOf(
    command: { commandId: number; sessionId: string } | undefined,
  ): Extract<AuditRecord, { type: 'command.result' }> | undefined;
  /** Asserts that no held password reached a client, the log or the audit, and no token the log. */
  assertNothingLeaked(): void;
  stop(): Promise<void>;
}

/** psql connection options. */
export interface PsqlOptions {
  readonly database?: string;
  readonly ssl?: 'disable' | 'require';
  readonly token?: string;
  /** Connect straight to Airlock instead of through the tap (TLS). */
  readonly direct?: boolean;
}

async function writeCertificates(dir: string): Promise<{ cert: string; key: string }> {
  // One certificate for the cluster and for Airlock's client-facing TLS, valid for 127.0.0.1.
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const otherCa = await generate([{ name: 'commonName', value: 'someone else' }], {
    keyType: 'ec',
    curve: 'P-256',
  });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'server.crt'), pems.cert);
  writeFileSync(join(dir, 'server.key'), pems.private, { mode: 0o600 });
  writeFileSync(join(dir, 'other-ca.crt'), otherCa.cert);
  if (userInfo().uid === 0) {
    // PostgreSQL runs as `postgres` and insists on owning its key.
    const uid = Number((await execFileAsync('id', ['-u', 'postgres'])).stdout);
    const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout);
    chownSync(join(dir, 'server.key'), uid, gid);
    chownSync(join(dir, 'server.crt'), uid, gid);
  }
  return { cert: pems.cert, key: pems.private };
}

/** Starts a cluster and an engine in front of it. */
export async function startEngineFixture(): Promise<EngineFixture> {
  const agentToken = `agent-${randomBytes(8).toString('hex')}`;
  const outsiderToken = `outsider-${randomBytes(8).toString('hex')}`;
  const appPassword = `held-${randomBytes(12).toString('hex')}`;
  const md5Password = `md5-${randomBytes(8).toString('hex')}`;
  const clearPassword = `clear-${randomBytes(8).toString('hex')}`;
  const certDir = mkdtempSync(join(tmpdir(), 'airlock-pg-engine-'));
  const pems = await writeCertificates(certDir);
  const cluster = await startPostgresCluster({
    settings: {
      ssl: 'on',
      ssl_cert_file: join(certDir, 'server.crt'),
      ssl_key_file: join(certDir, 'server.key'),
    },
  });
  await cluster.psql(`create role app login password '${appPassword}'`);
  await cluster.psql('create database app owner app');
  await cluster.psql(`set password_encryption = 'md5'; create role md5user login password '${md5Password}'`);
  await cluster.psql(`create role clearuser login password '${clearPassword}'`);
  await cluster.psql('create role trustuser login');
  await cluster.psql('grant all on database app to md5user, clearuser, trustuser');
  await cluster.psql(
    'set role app; create table items (id int primary key, name text); create table forbidden_table (id int)',
    'app',
  );
  // Per-role authentication methods, ahead of the cluster's scram-sha-256 default.
  const hbaFile = join(cluster.dataDir, 'pg_hba.conf');
  writeFileSync(
    hbaFile,
    'host all md5user 127.0.0.1/32 md5\nhost all clearuser 127.0.0.1/32 password\n' +
      `host all trustuser 127.0.0.1/32 trust\n${readFileSync(hbaFile, 'utf8')}`,
  );
  await cluster.psql('select pg_reload_conf()');

  // Port 1 (tcpmux) on loopback: refused, and unlike a port just released by freePort(), no
  // concurrently running test can start a server on it.
  const closedPort = 1;
  const connection = (name: string, overrides: Partial<Connection> = {}): Connection => ({
    name,
    type: 'postgres',
    host: '127.0.0.1',
    port: cluster.port,
    database: 'app',
    user: 'app',
    password: { value: 'resolved by the test resolver' },
    tls: { mode: 'disable' },
    tags: {},
    access: ['group:agents'],
    ...overrides,
  });
  const connections = [
    connection('appdb'),
    connection('appdb-tls', { tls: { mode: 'require' } }),
    connection('appdb-verify', { tls: { mode: 'verify-full', ca: join(certDir, 'server.crt') } }),
    connection('appdb-wrong-ca', { tls: { mode: 'verify-full', ca: join(certDir, 'other-ca.crt') } }),
    connection('wrongpw'),
    connection('down', { port: closedPort }),
    connection('md5db', { user: 'md5user' }),
    connection('cleardb', { user: 'clearuser' }),
    connection('trustdb', { user: 'trustuser' }),
  ];
  const secrets: Record<string, string> = {
    wrongpw: 'not-the-password',
    md5db: md5Password,
    cleardb: clearPassword,
    trustdb: '',
  };
  const audit = new MemoryAuditLog();
  const logLines: string[] = [];
  const gate = new TestGate({
    authenticator: mapAuthenticator(
      new Map([
        [agentToken, testIdentity('agent-1', ['agents'])],
        [outsiderToken, testIdentity('outsider', ['others'])],
      ]),
    ),
    connections: () => listCatalog(connections),
    audit,
    clock: systemClock,
  });
  const engine = createPostgresEngine({
    gate,
    clock: systemClock,
    log: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
    tls: createSecureContext({ cert: pems.cert, key: pems.key }),
    secrets: { resolve: (name) => secrets[name] ?? appPassword },
  });
  const server = createServer((socket) => void engine.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const tap = await startTap(port);
  const rawClients: RawClient[] = [];
  const heldSecrets = [appPassword, md5Password, clearPassword];

  const fixture: EngineFixture = {
    cluster,
    gate,
    audit,
    logLines,
    port,
    tap,
    closedPort,
    agentToken,
    outsiderToken,
    heldSecrets,
    async psql(args, options = {}) {
      const conninfo =
        `host=127.0.0.1 port=${options.direct ? port : tap.port} dbname=${options.database ?? 'appdb'} ` +
        `user=anyone sslmode=${options.ssl ?? 'disable'}`;
      try {
        const { stdout, stderr } = await execFileAsync(
          'psql',
          ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', conninfo, ...args],
          {
            env: { ...process.env, PGPASSWORD: options.token ?? agentToken, PGCONNECT_TIMEOUT: '10' },
            timeout: 30_000,
          },
        );
        return { code: 0, stdout: stdout.trim(), stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return {
          code: typeof e.code === 'number' ? e.code : 1,
          stdout: (e.stdout ?? '').trim(),
          stderr: e.stderr ?? '',
        };
      }
    },
    async pgClient(database = 'appdb', token = agentToken, extra = {}) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: tap.port,
        user: 'anyone',
        password: token,
        database,
        ...extra,
      });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async connectError(database, token = agentToken) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: tap.port,
        user: 'anyone',
        password: token,
        database,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (err) {
        const e = err as ClientError;
        return { code: e.code, message: e.message, severity: e.severity };
      } finally {
        await client.end().catch(() => undefined);
      }
      throw new Error(`connecting to ${database} succeeded`);
    },
    async raw(database = 'appdb', extra = {}) {
      const client = await RawClient.login(tap.port, database, agentToken, extra);
      rawClients.push(client);
      return client;
    },
    async rawOpen(viaTap = true) {
      const client = await RawClient.open(viaTap ? tap.port : port);
      rawClients.push(client);
      return client;
    },
    commandsMatching(text) {
      return audit.ofType('command').filter((r) => r.text.includes(text));
    },
    resultOf(command) {
      if (!command) return undefined;
      return audit
        .ofType('command.result')
        .find((r) => r.commandId === command.commandId && r.sessionId === command.sessionId);
    },
    assertNothingLeaked() {
      const toClients = Buffer.concat([...tap.toClients, ...rawClients.flatMap((c) => c.received)]);
      const journal = JSON.stringify(audit.records);
      const logs = logLines.join('\n');
      assert.ok(toClients.length > 0, 'the capture saw traffic');
      for (const secret of heldSecrets) {
        assert.equal(toClients.indexOf(secret), -1, 'a held password reached a client');
        assert.ok(!journal.includes(secret), 'a held password reached the audit');
        assert.ok(!logs.includes(secret), 'a held password reached the log');
      }
      assert.ok(!logs.includes(agentToken), 'a token reached the log');
    },
    async stop() {
      for (const client of rawClients) client.socket.destroy();
      await tap.close();
      for (const live of [...gate.liveSessions()]) live.terminate(new AirlockError('ERR_SHUTTING_DOWN'));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cluster.stop();
      rmSync(certDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** SQLSTATEs of the ErrorResponses among `messages`. */
export function errorsOf(messages: readonly BackendMessage[]): string[] {
  return messages.flatMap((m) => (m.name === 'errorResponse' ? [m.fields.code] : []));
}

/** Transaction status letters of the ReadyForQuery messages among `messages`. */
export function statusesOf(messages: readonly BackendMessage[]): string[] {
  return messages.flatMap((m) => (m.name === 'readyForQuery' ? [String.fromCharCode(m.status)] : []));
}

/** First column of each DataRow, as text. */
export function firstColumns(messages: readonly BackendMessage[]): (string | undefined)[] {
  return messages.flatMap((m) => (m.name === 'dataRow' ? [m.values[0]?.toString()] : []));
}

/** Polls `predicate` until it holds. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
