import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { AuditDrainer, type AuditDrainerOptions } from '../audit/drain.js';
import { Journal } from '../audit/journal.js';
import { listSessions, searchAudit } from '../audit/search.js';
import { verifyAudit } from '../audit/verify.js';
import { ManualClock } from '../core/clock.js';
import type { AirlockError } from '../core/errors.js';
import { OPERATOR } from '../core/identity.js';
import { findPostgresBinDir, type PostgresCluster, startPostgresCluster } from '../demo/postgres-cluster.js';
import { TokenService } from '../identity/tokens.js';
import { latestChangeId } from './changes.js';
import { openStore, type Store } from './db.js';

const TABLES = ['audit_anchors', 'audit_events', 'changes', 'sessions', 'tokens'];

/**
 * The same round trip on either dialect: tokens, a journaled session drained into the store,
 * search, the session projection and verify. Catches dialect differences (int8 parsing, upserts,
 * partial unique indexes, strpos) that SQLite-only tests would miss.
 */
async function exerciseStore(
  store: Store,
  stateDir: string,
  drainerOptions: Partial<AuditDrainerOptions> = {},
): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const key = Buffer.alloc(32, 7);
  const journal = Journal.open({ dir: stateDir, node: 'node-a', clock, key });
  // `sqlite` is the store's own handle on SQLite (the fast path) and undefined on PostgreSQL.
  const drainer = new AuditDrainer({
    db: store.db,
    sqlite: store.sqlite,
    journal,
    key,
    clock,
    ...drainerOptions,
  });
  try {
    await drainer.start();
    const tokens = new TokenService({ db: store.db, clock, audit: journal });
    const { token } = await tokens.create({
      name: 'bot',
      groups: ['agents'],
      kind: 'agent',
      ttlMs: 3_600_000,
      actor: OPERATOR,
    });
    await assert.rejects(
      tokens.create({ name: 'bot', groups: [], kind: 'agent', ttlMs: 1000, actor: OPERATOR }),
      (err: AirlockError) => err.code === 'ERR_CONFLICT',
    );
    const identity = await tokens.authenticate(token);
    const ref = {
      subject: identity.subject,
      kind: identity.kind,
      groups: identity.groups,
      issuer: 'airlock',
      chain: [],
    };
    const scope = { sessionId: 's1', identity: ref, connection: 'appdb', protocol: 'postgres' as const };
    journal.append({
      ...scope,
      type: 'session.start',
      client: { address: '127.0.0.1', port: 5, tls: false },
      outcome: 'success',
    });
    journal.append({
      ...scope,
      type: 'command',
      commandId: 1,
      channel: 'simple',
      text: 'select 1',
      action: 'sql.select',
      objects: [],
      decision: 'allow',
      rule: 'default',
    });
    journal.append({
      ...scope,
      type: 'session.end',
      durationMs: 5,
      bytesFromClient: 2 ** 40,
      bytesToClient: 7,
      statements: 1,
      outcome: 'success',
    });
    await tokens.revoke('bot', OPERATOR);
    await tokens.create({ name: 'bot', groups: [], kind: 'agent', ttlMs: 1000, actor: OPERATOR });
    await drainer.flush();

    const commands = await searchAudit(store.db, { group: 'agents', type: 'command' });
    assert.deepEqual(
      commands.map((r) => r.seq),
      [3],
    );
    assert.equal(
      (await searchAudit(store.db, { group: 'agent' })).length,
      0,
      'groups match whole names only',
    );
    const sessions = await listSessions(store.db, { identity: 'bot' });
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]?.bytesFromClient, 2 ** 40, 'bigint columns read back as numbers');
    assert.equal(sessions[0]?.statements, 1);
    assert.equal(sessions[0]?.outcome, 'success');
    assert.equal((await tokens.list()).length, 2);
    assert.equal(await latestChangeId(store.db), 3);
    const report = await verifyAudit(store.db, key);
    assert.equal(report.ok, true, report.firstBad?.reason);
    assert.deepEqual(
      report.nodes.map((n) => [n.node, n.events, n.lastSeq]),
      [['node-a', 6, 6]],
    );
    assert.equal(typeof report.nodes[0]?.lastSeq, 'number');
  } finally {
    await drainer.stop();
    journal.close();
  }
}

describe('openStore (sqlite)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-db-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the parent folder, the tables, and sets WAL, busy timeout and synchronous NORMAL', async () => {
    const path = join(dir, 'nested', 'deeper', 'store.db');
    const store = await openStore(`sqlite:${path}`);
    try {
      assert.equal(store.kind, 'sqlite');
      assert.ok(existsSync(path));
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db);
      for (const table of TABLES)
        assert.ok(
          tables.rows.some((r) => r.name === table),
          `table ${table}`,
        );
      const pragma = async (name: string) =>
        Object.values(
          (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0] ?? {},
        )[0];
      assert.equal(String(await pragma('journal_mode')).toLowerCase(), 'wal');
      assert.equal(await pragma('busy_timeout'), 5000);
      assert.equal(await pragma('synchronous'), 1, 'NORMAL');
    } finally {
      await store.close();
    }
    // Opening again migrates nothing and keeps the data.
    const again = await openStore(`sqlite:${path}`);
    await again.close();
  });

  it('opens read-only without migrating, and refuses writes', async () => {
    const path = join(dir, 'ro.db');
    await (await openStore(`sqlite:${path}`)).close();
    const store = await openStore(`sqlite:${path}`, { readonly: true });
    try {
      assert.deepEqual(await store.db.selectFrom('tokens').selectAll().execute(), []);
      await assert.rejects(
        store.db.insertInto('changes').values({ kind: 'k', ref: 'r', at: 'now' }).execute(),
        /readonly/i,
      );
    } finally {
      await store.close();
    }
    await assert.rejects(openStore(`sqlite:${join(dir, 'missing.db')}`, { readonly: true }));
  });

  it('refuses relative paths and unknown schemes without echoing the rest of the URL', async () => {
    await assert.rejects(
      openStore('sqlite:relative.db'),
      (err: AirlockError) => err.code === 'ERR_CONFIG_INVALID',
    );
    await assert.rejects(openStore('mysql://root:hunter2@db/x'), (err: AirlockError) => {
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      assert.ok(!err.message.includes('hunter2'), err.message);
      return true;
    });
  });

  it('passes the store round trip', async () => {
    const store = await openStore(`sqlite:${join(dir, 'flow.db')}`);
    try {
      assert.equal(store.sqlite?.name, join(dir, 'flow.db'), 'exposes its better-sqlite3 handle');
      await exerciseStore(store, join(dir, 'state-sqlite'));
    } finally {
      await store.close();
    }
  });

  it('passes the store round trip with every batch drained by the worker thread', async () => {
    const store = await openStore(`sqlite:${join(dir, 'flow-worker.db')}`);
    try {
      await exerciseStore(store, join(dir, 'state-sqlite-worker'), { workerMinRecords: 0 });
    } finally {
      await store.close();
    }
  });
});

const pgBin = findPostgresBinDir();

describe('openStore (postgres)', { skip: pgBin ? false : 'no PostgreSQL server binaries installed' }, () => {
  let cluster: PostgresCluster;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-db-pg-'));
    cluster = await startPostgresCluster();
    await cluster.psql('create database airlock');
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates once, idempotently, with bigint sequence columns read back as numbers', async () => {
    const store = await openStore(cluster.url('airlock'));
    try {
      assert.equal(store.kind, 'postgres');
      assert.equal(store.sqlite, undefined);
      const tables = await sql<{
        tablename: string;
      }>`select tablename from pg_tables where schemaname = 'public'`.execute(store.db);
      for (const table of TABLES)
        assert.ok(
          tables.rows.some((r) => r.tablename === table),
          `table ${table}`,
        );
      await store.db
        .insertInto('audit_anchors')
        .values({ node: 'big', seq: 2 ** 45, hash: 'h', signature: 's', updated_at: 't' })
        .execute();
      const row = await store.db
        .selectFrom('audit_anchors')
        .select('seq')
        .where('node', '=', 'big')
        .executeTakeFirst();
      assert.equal(row?.seq, 2 ** 45);
      await store.db.deleteFrom('audit_anchors').execute();
    } finally {
      await store.close();
    }
    // Two openers at once (replicas starting together) both succeed.
    const [a, b] = await Promise.all([openStore(cluster.url('airlock')), openStore(cluster.url('airlock'))]);
    await Promise.all([a.close(), b.close()]);
  });

  it('opens read-only sessions that refuse writes', async () => {
    const store = await openStore(cluster.url('airlock'), { readonly: true });
    try {
      await assert.rejects(
        store.db.insertInto('changes').values({ kind: 'k', ref: 'r', at: 'now' }).execute(),
        /read-only/,
      );
    } finally {
      await store.close();
    }
  });

  it('passes the store round trip', async () => {
    const store = await openStore(cluster.url('airlock'));
    try {
      await exerciseStore(store, join(dir, 'state-pg'));
    } finally {
      await store.close();
    }
  });
});
