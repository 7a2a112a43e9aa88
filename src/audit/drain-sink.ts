/**
 * @module Where the drainer's batches are written. PostgreSQL (and SQLite without its raw handle)
 * goes through kysely: the work happens in the database server, or is small. On SQLite with the
 * handle (`Store.sqlite`) the work is synchronous and would hold the event loop that relays client
 * traffic, so a large batch goes to a worker thread with its own connection (drain-worker.ts) and
 * a small one runs here through prepared statements (sqlite-batch-writer.ts), in transactions
 * short enough not to be felt. The caller keeps one batch in flight at a time, so order holds.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import type { JournalEntry } from './journal-file.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import { SqliteDrainWorker } from './sqlite-drain-worker.js';
import { buildStoreBatch, signedAnchor, writeBatchKysely } from './store-batch.js';

/** What a sink writes with and for whom. */
export interface DrainSinkOptions {
  readonly db: Kysely<Database>;
  readonly sqlite?: SqliteDatabase.Database | undefined;
  readonly node: string;
  readonly key: Buffer;
  readonly clock: Clock;
  /** Batches of at least this many records go to the worker (SQLite with the handle only). */
  readonly workerMinRecords: number;
  /** Told about trouble the sink recovered from by itself (a worker that died). */
  readonly report: (err: AirlockError) => void;
}

/**
 * Rows per transaction on the main-thread SQLite path, which handles small batches (and all of
 * them if the worker cannot run): at 10–20 µs a row this holds the event loop for a few ms at most.
 */
export const SYNC_ROWS_PER_TRANSACTION = 128;

/** Writes batches of one node's records to the store. */
export class DrainSink {
  readonly #options: DrainSinkOptions;
  readonly #sqlite: SqliteBatchWriter | undefined;
  readonly #worker: SqliteDrainWorker | undefined;

  constructor(options: DrainSinkOptions) {
    this.#options = options;
    const handle = options.sqlite;
    this.#sqlite = handle ? new SqliteBatchWriter(handle) : undefined;
    // An in-memory database exists only on its own connection; a worker could not open it.
    this.#worker = handle && !handle.memory ? new SqliteDrainWorker(handle.name) : undefined;
  }

  /** The highest seq the store holds for the node (0 when none). */
  async storedSeq(): Promise<number> {
    const { db, sqlite, node } = this.#options;
    if (sqlite) {
      const row = sqlite.prepare('select max(seq) as seq from audit_events where node = ?').get(node) as
        | { seq: number | null }
        | undefined;
      return row?.seq ?? 0;
    }
    const row = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('node', '=', node)
      .executeTakeFirst();
    return row?.seq == null ? 0 : Number(row.seq);
  }

  /**
   * Stores `entries` (the node's records, rising, none stored yet): all of them, or throws. After
   * a throw some may be stored (the main-thread path commits in slices); `storedSeq` tells.
   */
  async store(entries: readonly JournalEntry[]): Promise<void> {
    const { node, key, clock, workerMinRecords } = this.#options;
    const worker = this.#worker;
    if (!worker?.usable || entries.length < workerMinRecords) return this.#storeHere(entries);
    const last = entries[entries.length - 1]!.record;
    const outcome = await worker.write(
      entries.map((entry) => entry.json),
      signedAnchor(last, node, key, clock),
    );
    if (outcome === 'stored') return;
    // The worker died, perhaps after its commit. Store the rest here, now, rather than fail a
    // flush over it; the next large batch starts a new worker.
    this.#options.report(
      new AirlockError('ERR_AUDIT_UNAVAILABLE', `the audit drain worker stopped: ${worker.lastDeath}`),
    );
    const stored = await this.storedSeq();
    const rest = entries.filter((entry) => entry.record.seq > stored);
    if (rest.length > 0) await this.#storeHere(rest);
  }

  /** Lets the worker, if one runs, close its connection and exit. */
  async close(): Promise<void> {
    await this.#worker?.close();
  }

  /**
   * Stores on this thread: through kysely in one transaction, or with the prepared statements in
   * transactions of at most SYNC_ROWS_PER_TRANSACTION rows, yielding to the event loop after each.
   */
  async #storeHere(entries: readonly JournalEntry[]): Promise<void> {
    const { db, node, key, clock } = this.#options;
    if (!this.#sqlite) {
      await writeBatchKysely(db, buildStoreBatch(entries, node, key, clock));
      return;
    }
    for (let i = 0; i < entries.length; i += SYNC_ROWS_PER_TRANSACTION) {
      const slice = entries.slice(i, i + SYNC_ROWS_PER_TRANSACTION);
      this.#sqlite.write(buildStoreBatch(slice, node, key, clock));
      await yieldToEventLoop();
    }
  }
}
