/**
 * @module The SQLite fast path of the drainer: the same writes as `writeBatchKysely`, through
 * statements prepared once on the raw better-sqlite3 handle, in one IMMEDIATE transaction per
 * batch. Kysely would compile every query and better-sqlite3 would prepare it again per batch;
 * here a row costs one bound `run`. Used on the main thread and by the drain worker.
 */
import type SqliteDatabase from 'better-sqlite3';
import { AUDIT_EVENT_COLUMNS } from './rows.js';
import type { StoreBatch } from './store-batch.js';

const SQL = {
  // Positional parameters, bound in AUDIT_EVENT_COLUMNS order below: binding an object's
  // named parameters costs ~3 µs more per row (a property lookup by name for each column).
  event: `insert into audit_events (${AUDIT_EVENT_COLUMNS.join(', ')}) values (${AUDIT_EVENT_COLUMNS.map(() => '?').join(', ')})`,
  start:
    'insert into sessions (id, node, protocol, subject, identity, connection, client_address, started_at, ' +
    'ended_at, outcome, error_code, bytes_from_client, bytes_to_client, statements) ' +
    'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing',
  count: 'update sessions set statements = statements + ? where id = ? and ended_at is null',
  end:
    'update sessions set ended_at = ?, outcome = ?, error_code = ?, bytes_from_client = ?, ' +
    'bytes_to_client = ?, statements = ? where id = ?',
  anchor:
    'insert into audit_anchors (node, seq, hash, signature, updated_at) values (?, ?, ?, ?, ?) ' +
    'on conflict (node) do update set seq = excluded.seq, hash = excluded.hash, ' +
    'signature = excluded.signature, updated_at = excluded.updated_at',
} as const;

type Statements = { readonly [K in keyof typeof SQL]: SqliteDatabase.Statement };

/** Writes drain batches to one SQLite connection. */
export class SqliteBatchWriter {
  readonly #handle: SqliteDatabase.Database;
  #write: ((batch: StoreBatch) => void) | undefined;

  constructor(handle: SqliteDatabase.Database) {
    this.#handle = handle;
  }

  /** Stores `batch` in one transaction, or throws and stores nothing. */
  write(batch: StoreBatch): void {
    // Prepared on first use, when the schema surely exists; a failed prepare is retried next time.
    this.#write ??= this.#prepare();
    this.#write(batch);
  }

  #prepare(): (batch: StoreBatch) => void {
    const prepared = Object.fromEntries(
      Object.entries(SQL).map(([name, text]) => [name, this.#handle.prepare(text)]),
    ) as unknown as Statements;
    const { event, start, count, end, anchor } = prepared;
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads first could fail
    // with SQLITE_BUSY_SNAPSHOT when another connection committed in between, without waiting.
    return this.#handle.transaction((batch: StoreBatch) => {
      for (const r of batch.events) {
        // Keep in AUDIT_EVENT_COLUMNS order (checked by sqlite-batch-writer.test.ts).
        event.run(
          r.node,
          r.seq,
          r.time,
          r.type,
          r.session_id,
          r.subject,
          r.groups,
          r.chain,
          r.connection,
          r.protocol,
          r.prev_hash,
          r.hash,
          r.record,
        );
      }
      for (const s of batch.sessions.starts) {
        start.run(
          s.id,
          s.node,
          s.protocol,
          s.subject,
          s.identity,
          s.connection,
          s.client_address,
          s.started_at,
          s.ended_at,
          s.outcome,
          s.error_code,
          s.bytes_from_client,
          s.bytes_to_client,
          s.statements,
        );
      }
      for (const [id, added] of batch.sessions.counts) count.run(added, id);
      for (const e of batch.sessions.ends) {
        end.run(
          e.ended_at,
          e.outcome,
          e.error_code,
          e.bytes_from_client,
          e.bytes_to_client,
          e.statements,
          e.id,
        );
      }
      const a = batch.anchor;
      anchor.run(a.node, a.seq, a.hash, a.signature, a.updated_at);
    }).immediate;
  }
}
