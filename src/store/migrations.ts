/**
 * @module Schema migrations for the store. Each migration runs once, in order, and is recorded in
 * `airlock_migrations`; running them again is a no-op, so every process may call `migrate` at open.
 * One migration list serves SQLite and PostgreSQL: only the column types that differ are chosen by
 * dialect (auto-increment ids, 64-bit integers).
 */
import { type Kysely, sql } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import type { Database } from './schema.js';

/** Which SQL dialect a store speaks. */
export type StoreKind = 'sqlite' | 'postgres';

/** The bookkeeping table; not part of `Database` because nothing but this module reads it. */
interface MigrationsTable {
  id: string;
  applied_at: string;
}

type MigratingDb = Kysely<Database & { airlock_migrations: MigrationsTable }>;

/** One schema step. `id` sorts in application order and never changes once released. */
export interface Migration {
  readonly id: string;
  up(db: Kysely<Database>, kind: StoreKind): Promise<void>;
}

/**
 * PostgreSQL `integer` is 32-bit; sequence numbers and byte counters outgrow it on a busy node, so
 * they are `bigint` there (db.ts parses int8 back into a JS number). SQLite integers are 64-bit.
 */
function bigint(kind: StoreKind): 'bigint' | 'integer' {
  return kind === 'postgres' ? 'bigint' : 'integer';
}

/** Every migration, in order. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001-initial',
    async up(db, kind) {
      const big = bigint(kind);
      await db.schema
        .createTable('tokens')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('groups', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .addColumn('last_used_at', 'text')
        .execute();
      // Unique among live tokens only: a revoked token's name may be issued again (the identity is
      // the name; the old row stays for the record).
      await db.schema
        .createIndex('tokens_name_live')
        .ifNotExists()
        .unique()
        .on('tokens')
        .column('name')
        .where(sql.ref('revoked_at'), 'is', null)
        .execute();
      await db.schema.createIndex('tokens_name').ifNotExists().on('tokens').column('name').execute();

      await db.schema
        .createTable('audit_events')
        .ifNotExists()
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('subject', 'text')
        .addColumn('groups', 'text')
        .addColumn('chain', 'text')
        .addColumn('connection', 'text')
        .addColumn('protocol', 'text')
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_events_pk', ['node', 'seq'])
        .execute();
      for (const column of ['time', 'subject', 'connection', 'type', 'session_id'] as const) {
        await db.schema
          .createIndex(`audit_events_${column}`)
          .ifNotExists()
          .on('audit_events')
          .columns(column === 'time' ? ['time'] : [column, 'time'])
          .execute();
      }

      await db.schema
        .createTable('audit_anchors')
        .ifNotExists()
        .addColumn('node', 'text', (c) => c.primaryKey())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('identity', 'text')
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('client_address', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('outcome', 'text')
        .addColumn('error_code', 'text')
        .addColumn('bytes_from_client', big, (c) => c.notNull().defaultTo(0))
        .addColumn('bytes_to_client', big, (c) => c.notNull().defaultTo(0))
        .addColumn('statements', big, (c) => c.notNull().defaultTo(0))
        .execute();
      for (const column of ['started_at', 'subject', 'connection'] as const) {
        await db.schema
          .createIndex(`sessions_${column}`)
          .ifNotExists()
          .on('sessions')
          .columns(column === 'started_at' ? ['started_at'] : [column, 'started_at'])
          .execute();
      }

      await db.schema
        .createTable('changes')
        .ifNotExists()
        .addColumn('id', kind === 'postgres' ? 'serial' : 'integer', (c) =>
          kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Audit export cursors (src/export/) and retention checkpoints (src/retention/).
    id: '0002-export-retention',
    async up(db, kind) {
      const big = bigint(kind);
      await db.schema
        .createTable('export_cursors')
        .ifNotExists()
        .addColumn('sink', 'text', (c) => c.notNull())
        .addColumn('node', 'text', (c) => c.notNull())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('export_cursors_pk', ['sink', 'node'])
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .ifNotExists()
        .addColumn('node', 'text', (c) => c.primaryKey())
        .addColumn('seq', big, (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  {
    // Grants, approval requests, approvals and certifications (src/reviews/).
    id: '0003-reviews',
    async up(db, kind) {
      const big = bigint(kind);
      const serialId = (table: 'approval_requests' | 'approvals' | 'certifications') =>
        db.schema
          .createTable(table)
          .ifNotExists()
          .addColumn('id', kind === 'postgres' ? 'serial' : 'integer', (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          );
      await db.schema
        .createTable('grants')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('revoked_by', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('request_id', 'integer')
        .execute();
      await db.schema
        .createIndex('grants_connection')
        .ifNotExists()
        .on('grants')
        .columns(['connection', 'principal'])
        .execute();
      await serialId('approval_requests')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('requester', 'text', (c) => c.notNull())
        .addColumn('requester_subject', 'text', (c) => c.notNull())
        .addColumn('root_subject', 'text', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('scope', 'text')
        .addColumn('action', 'text')
        .addColumn('statement', 'text')
        .addColumn('params_hash', 'text')
        .addColumn('reason', 'text')
        .addColumn('evidence', 'text')
        .addColumn('session_id', 'text')
        .addColumn('ttl_ms', big)
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('window_until', 'text')
        .addColumn('consumed_at', 'text')
        .execute();
      await db.schema
        .createIndex('approval_requests_lookup')
        .ifNotExists()
        .on('approval_requests')
        .columns(['root_subject', 'connection', 'kind', 'status'])
        .execute();
      await db.schema
        .createIndex('approval_requests_status')
        .ifNotExists()
        .on('approval_requests')
        .columns(['status', 'created_at'])
        .execute();
      await serialId('approvals')
        .addColumn('request_id', 'integer', (c) => c.notNull())
        .addColumn('approver', 'text', (c) => c.notNull())
        .addColumn('approver_identity', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('window_ms', big)
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('approvals_request')
        .ifNotExists()
        .on('approvals')
        .column('request_id')
        .execute();
      await serialId('certifications')
        .addColumn('root_subject', 'text', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('reviewers', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('evidence', 'text')
        .addColumn('request_id', 'integer')
        .addColumn('valid_until', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('certifications_subject')
        .ifNotExists()
        .on('certifications')
        .columns(['root_subject', 'connection', 'valid_until'])
        .execute();
    },
  },
  {
    id: '0004-delegation',
    async up(db) {
      // Delegated and exchanged tokens (src/identity/delegation.ts); existing rows are roots.
      for (const column of ['parent_id', 'root_subject', 'root', 'acting', 'chain', 'scope'] as const) {
        await db.schema.alterTable('tokens').addColumn(column, 'text').execute();
      }
      await db.schema
        .alterTable('tokens')
        .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('tokens_parent').ifNotExists().on('tokens').column('parent_id').execute();
      await db.schema
        .createTable('locks')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('removed_at', 'text')
        .addColumn('removed_by', 'text')
        .execute();
    },
  },
  {
    // Expiry and recertification campaigns (src/reviews/expiry.ts, campaigns.ts).
    id: '0005-expiry-campaigns',
    async up(db, kind) {
      const serialId = (table: 'campaigns' | 'campaign_items') =>
        db.schema
          .createTable(table)
          .ifNotExists()
          .addColumn('id', kind === 'postgres' ? 'serial' : 'integer', (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          );
      await db.schema
        .createTable('access_usage')
        .ifNotExists()
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('first_used_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('access_usage_pk', ['connection', 'entry', 'subject'])
        .execute();
      await db.schema
        .createTable('suspensions')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'integer')
        .addColumn('lifted_at', 'text')
        .addColumn('lifted_by', 'text')
        .execute();
      await db.schema
        .createIndex('suspensions_subject')
        .ifNotExists()
        .on('suspensions')
        .columns(['connection', 'subject'])
        .execute();
      await serialId('campaigns')
        .addColumn('connections', 'text', (c) => c.notNull())
        .addColumn('reviewers', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('due_at', 'text', (c) => c.notNull())
        .addColumn('reminded_at', 'text')
        .execute();
      await serialId('campaign_items')
        .addColumn('campaign_id', 'integer', (c) => c.notNull())
        .addColumn('connection', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('suggestion', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .addColumn('reason', 'text')
        .addColumn('new_scope', 'text')
        .execute();
      await db.schema
        .createIndex('campaign_items_campaign')
        .ifNotExists()
        .on('campaign_items')
        .columns(['campaign_id', 'status'])
        .execute();
    },
  },
  {
    // Who certified a held session (`sessions list`), and one pending review request per
    // (root identity, connection) even when replicas on one store create it at the same moment.
    id: '0006-session-reviewers',
    async up(db) {
      await db.schema.alterTable('sessions').addColumn('reviewers', 'text').execute();
      // Duplicates from before the index (that very race): the oldest stays pending, the others
      // end as expired so the index can be built.
      await sql`update approval_requests set status = 'expired'
        where kind = 'review' and status = 'pending' and id not in (
          select min(id) from approval_requests where kind = 'review' and status = 'pending'
          group by root_subject, connection)`.execute(db);
      await db.schema
        .createIndex('approval_requests_one_pending_review')
        .ifNotExists()
        .on('approval_requests')
        .columns(['root_subject', 'connection'])
        .unique()
        .where(sql.ref('kind'), '=', 'review')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
    },
  },
];

/**
 * Applies every migration not yet recorded, each in its own transaction. On PostgreSQL a
 * transaction-scoped advisory lock serialises replicas that start at the same moment; SQLite's
 * write lock does the same there. Returns the ids applied now.
 */
export async function migrate(
  db: Kysely<Database>,
  kind: StoreKind,
  options: { readonly clock?: Clock; readonly migrations?: readonly Migration[] } = {},
): Promise<string[]> {
  const { clock = systemClock, migrations = MIGRATIONS } = options;
  const bookkeeping = db as unknown as MigratingDb;
  await bookkeeping.schema
    .createTable('airlock_migrations')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await bookkeeping.transaction().execute(async (trx) => {
      if (kind === 'postgres') {
        // 0x61697200 = "air\0": any fixed number works, it only has to be the same for every replica.
        await sql`select pg_advisory_xact_lock(${0x61697200})`.execute(trx);
      }
      const done = await trx
        .selectFrom('airlock_migrations')
        .select('id')
        .where('id', '=', migration.id)
        .executeTakeFirst();
      if (done) return false;
      await migration.up(trx as unknown as Kysely<Database>, kind);
      await trx
        .insertInto('airlock_migrations')
        .values({ id: migration.id, applied_at: clock.now().toISOString() })
        .execute();
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}

/** Ids of the migrations recorded as applied, in order. */
export async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const rows = await (db as unknown as MigratingDb)
    .selectFrom('airlock_migrations')
    .select('id')
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}
