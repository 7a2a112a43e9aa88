/**
 * @module Opens the store: kysely over SQLite (better-sqlite3, the embedded default) or PostgreSQL
 * (`pg` pool, shared by replicas), migrated to the current schema on open.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pg from 'pg';
import { type Clock, systemClock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { migrate, type StoreKind } from './migrations.js';
import type { Database } from './schema.js';

/** An open store. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreKind;
  /**
   * The better-sqlite3 handle behind `db` on a SQLite store, for hot paths that bypass kysely
   * (the audit drainer's prepared statements). Undefined on PostgreSQL.
   */
  readonly sqlite?: SqliteDatabase.Database;
  /** Closes the SQLite handle or ends the PostgreSQL pool. */
  close(): Promise<void>;
}

/** Options for `openStore`. */
export interface OpenStoreOptions {
  /**
   * Open without writing: no migrations, SQLite opened read-only (the file must exist), PostgreSQL
   * sessions set `default_transaction_read_only`. For tools that only read (verify, search).
   */
  readonly readonly?: boolean;
  /** Stamps migration bookkeeping; defaults to the system clock. */
  readonly clock?: Clock;
}

/** PostgreSQL type OID of int8/bigint. */
const INT8_OID = 20;

/**
 * node-postgres returns int8 as a string (it may exceed 2^53). Sequence numbers and byte counters
 * stay far below that, so the store parses them into numbers, like SQLite does. Scoped to our pool
 * instead of the global `pg.types` so other pg users in the process are unaffected.
 */
function pgTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
      return types.getTypeParser(oid, format as 'text');
    },
  } as pg.CustomTypesConfig;
}

/**
 * Opens (and migrates) the store named by `url`: `sqlite:/abs/path.db` or `postgres://...`
 * (`postgresql://` too). Throws AirlockError ERR_CONFIG_INVALID for any other form.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const clock = opts.clock ?? systemClock;
  if (url.startsWith('sqlite:')) {
    const store = openSqlite(url.slice('sqlite:'.length), opts.readonly === true);
    if (!opts.readonly) await migrateOrClose(store, clock);
    return store;
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const store = await openPostgres(url, opts.readonly === true);
    if (!opts.readonly) await migrateOrClose(store, clock);
    return store;
  }
  // Only the scheme is echoed: a mistyped URL may still carry a password.
  const scheme = url.includes(':') ? `${url.slice(0, url.indexOf(':'))}:` : url.slice(0, 12);
  throw new AirlockError(
    'ERR_CONFIG_INVALID',
    `store: expected sqlite:/path or postgres://..., got "${scheme}..."`,
    {
      userMessage: 'store: expected `sqlite:/absolute/path.db` or `postgres://user:pass@host:port/db`',
    },
  );
}

async function migrateOrClose(store: Store, clock: Clock): Promise<void> {
  try {
    await migrate(store.db, store.kind, { clock });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

function openSqlite(path: string, readonly: boolean): Store {
  if (!isAbsolute(path)) {
    throw new AirlockError('ERR_CONFIG_INVALID', `store: sqlite path must be absolute, got "${path}"`);
  }
  if (!readonly) mkdirSync(dirname(path), { recursive: true });
  const handle = new SqliteDatabase(path, readonly ? { readonly: true, fileMustExist: true } : {});
  // Wait for another process's write lock instead of failing at once (CLI next to a running server).
  handle.pragma('busy_timeout = 5000');
  if (!readonly) {
    // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints, not per commit, which
    // is safe in WAL mode (a crash loses at most the last commits, never consistency), and the audit
    // journal, not the store, is what must survive a crash.
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
  }
  registerStrpos(handle);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  return { db, kind: 'sqlite', sqlite: handle, close: () => db.destroy() };
}

/**
 * PostgreSQL's `strpos(haystack, needle)` for SQLite, so queries that look for a JSON-quoted name
 * inside a JSON array column read the same on both dialects (SQLite's LIKE ignores ASCII case, and
 * its own `instr` does not exist on PostgreSQL).
 */
function registerStrpos(handle: SqliteDatabase.Database): void {
  handle.function('strpos', { deterministic: true }, (haystack: unknown, needle: unknown) => {
    if (typeof haystack !== 'string' || typeof needle !== 'string') return null;
    return haystack.indexOf(needle) + 1;
  });
}

async function openPostgres(url: string, readonly: boolean): Promise<Store> {
  // Loaded only for a PostgreSQL store: node-postgres costs ~5 MB in every SQLite process otherwise.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes(pg.types),
    max: 10,
    ...(readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would
  // crash the process. The next query gets a fresh client and reports the failure itself.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', close: () => db.destroy() };
}
