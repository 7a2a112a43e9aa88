/**
 * @module Moves sealed records from the node's journal into the store: `audit_events` rows,
 * the `sessions` projection and the node's signed anchor, one transaction per batch (every
 * `intervalMs` or `batchSize` records, whichever comes first).
 *
 * The drainer drains the journal FILE, from a byte offset: the file is the one source of truth,
 * so crash recovery (records a SIGKILLed process wrote but never stored) and normal draining
 * resume from the same place, and an unreachable store costs disk, not gateway memory. While it
 * keeps up, the records come from memory instead (journal-feed.ts): what the journal's listener
 * handed over, so the common case neither reads nor parses the file again.
 *
 * Batches are written by drain-sink.ts (kysely, or on SQLite prepared statements and a worker
 * thread). One batch is in flight at a time, so records are stored in order, and `drainedSeq`
 * moves only once the store has them.
 */
import { open } from 'node:fs/promises';
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AirlockError, toAirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { anchorSignatureValid } from './chain.js';
import { DrainSink } from './drain-sink.js';
import type { Journal } from './journal.js';
import { JournalFeed } from './journal-feed.js';
import { type ChainHead, type JournalEntry, JournalReader } from './journal-file.js';

/** Options for `AuditDrainer`. */
export interface AuditDrainerOptions {
  readonly db: Kysely<Database>;
  /**
   * The raw handle behind `db` when the store is SQLite (`Store.sqlite`): batches then skip
   * kysely and use prepared statements. Must be the same database as `db`.
   */
  readonly sqlite?: SqliteDatabase.Database;
  readonly journal: Journal;
  /** The node key; signs the anchor. */
  readonly key: Buffer;
  readonly clock: Clock;
  /** Longest a record waits before a drain starts, in ms. Default 100. */
  readonly intervalMs?: number;
  /**
   * Most records per transaction (the main-thread SQLite path uses at most 128); this many pending
   * records start a drain at once. Default 500.
   */
  readonly batchSize?: number;
  /** Rotate the journal once fully drained and larger than this. Default 64 MiB. */
  readonly rotateBytes?: number;
  /**
   * On SQLite (with `sqlite`), batches of at least this many records are stored by a worker
   * thread with its own connection, off the event loop; smaller ones on the main thread, which
   * also spares a short-lived process (the CLI) starting a worker. Default 64; 0 sends every
   * batch to the worker, Infinity none.
   */
  readonly workerMinRecords?: number;
  /** Told about background failures (store down, corrupt lines); the drainer retries by itself. */
  readonly onError?: (err: AirlockError) => void;
}

const MAX_RETRY_MS = 30_000;

/**
 * Reads the anchor of `node` and checks its signature. Pass the result to `Journal.open` as
 * `resumeFrom`, so a node whose journal file was lost continues its chain instead of restarting.
 * Throws AirlockError ERR_AUDIT_UNAVAILABLE when the anchor does not verify with `key`.
 */
export async function readVerifiedAnchor(
  db: Kysely<Database>,
  node: string,
  key: Buffer,
): Promise<ChainHead | undefined> {
  const anchor = await db.selectFrom('audit_anchors').selectAll().where('node', '=', node).executeTakeFirst();
  if (!anchor) return undefined;
  if (!anchorSignatureValid(key, node, anchor.seq, anchor.hash, anchor.signature)) {
    throw new AirlockError(
      'ERR_AUDIT_UNAVAILABLE',
      `audit anchor of node ${node} does not verify with the node key`,
    );
  }
  return { seq: anchor.seq, hash: anchor.hash };
}

/** Drains one node's journal into the store. */
export class AuditDrainer {
  readonly #journal: Journal;
  readonly #key: Buffer;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #rotateBytes: number;
  readonly #onError: ((err: AirlockError) => void) | undefined;
  readonly #sink: DrainSink;
  #reader: JournalReader | undefined;
  #feed: JournalFeed | undefined;
  #unsubscribe: (() => void) | undefined;
  #drainedSeq = 0;
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #failures = 0;
  #corruptLines = 0;
  #retryMs = 0;
  #stopped = false;

  constructor(options: AuditDrainerOptions) {
    this.#journal = options.journal;
    this.#key = options.key;
    this.#clock = options.clock;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#batchSize = options.batchSize ?? 500;
    this.#rotateBytes = options.rotateBytes ?? 64 * 1024 * 1024;
    this.#onError = options.onError;
    this.#sink = new DrainSink({
      db: options.db,
      sqlite: options.sqlite,
      node: options.journal.node,
      key: options.key,
      clock: options.clock,
      workerMinRecords: options.workerMinRecords ?? 64,
      report: (err) => this.#report(err),
    });
  }

  /** Highest seq stored for this node. */
  get drainedSeq(): number {
    return this.#drainedSeq;
  }

  /** Records appended but not yet stored. */
  get lag(): number {
    return this.#journal.seq - this.#drainedSeq;
  }

  /** Failed drain attempts since start (each is retried). */
  get failures(): number {
    return this.#failures;
  }

  /** Journal lines skipped because they were not records. */
  get corruptLines(): number {
    return this.#corruptLines;
  }

  /**
   * Recovers and starts: stores every record in the journal file above the highest seq already
   * stored for the node (what a killed process left behind), then follows new appends.
   */
  async start(): Promise<void> {
    if (this.#reader || this.#stopped)
      throw new AirlockError('ERR_INTERNAL', 'an AuditDrainer starts only once');
    const node = this.#journal.node;
    this.#drainedSeq = await this.#sink.storedSeq();
    if (this.#drainedSeq > this.#journal.seq) {
      throw new AirlockError(
        'ERR_AUDIT_UNAVAILABLE',
        `the store holds node ${node} up to #${this.#drainedSeq} but its journal ends at #${this.#journal.seq}; ` +
          'open the journal with resumeFrom: readVerifiedAnchor(...)',
      );
    }
    this.#reader = new JournalReader(await open(this.#journal.path, 'r'));
    const feed = new JournalFeed(this.#journal, this.#reader);
    this.#feed = feed;
    this.#unsubscribe = this.#journal.subscribe((record, line) => {
      feed.onAppend(record, line);
      this.#onAppend();
    });
    await this.flush();
    // Everything in the file is stored: follow from its end, so new records come from memory
    // (synchronously with the check, so no append can fall in between).
    if (this.#drainedSeq >= this.#journal.seq) feed.advance(this.#journal.size);
  }

  /** Resolves when every record appended before the call is stored; rejects if the store fails. */
  async flush(): Promise<void> {
    const target = this.#journal.seq;
    let idlePasses = 0;
    while (this.#drainedSeq < target && !this.#stopped) {
      const before = this.#drainedSeq;
      await this.#kick();
      // The first pass may have joined one that started before our target was appended; a second
      // pass without progress means the rest of the file holds no storable record.
      idlePasses = this.#drainedSeq === before ? idlePasses + 1 : 0;
      if (idlePasses >= 2) return;
    }
  }

  /** Drains what it can (errors are reported, not thrown), then stops following the journal. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    await this.flush().catch((err: unknown) => this.#report(err));
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    await this.#running?.catch(() => undefined);
    await this.#reader?.close();
    this.#reader = undefined;
    this.#feed = undefined;
    await this.#sink.close();
  }

  #onAppend(): void {
    this.#pending++;
    if (this.#running) return;
    if (this.#pending === this.#batchSize && this.#retryMs === 0) this.#schedule(0);
    else if (!this.#timer) this.#schedule(this.#intervalMs);
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#kick().catch((err: unknown) => this.#report(err));
    }, delayMs);
    // Draining never keeps a process alive by itself; shutdown calls flush()/stop().
    this.#timer.unref();
  }

  /**
   * Runs one drain pass, or joins the one in flight. Afterwards it schedules what is left: records
   * appended during the pass (they found it running and scheduled nothing), or a retry with
   * backoff after a failure, so nothing waits for the next append.
   */
  #kick(): Promise<void> {
    this.#running ??= this.#drainAvailable().then(
      () => {
        this.#running = undefined;
        this.#retryMs = 0;
        if (this.#pending > 0) this.#schedule(this.#pending >= this.#batchSize ? 0 : this.#intervalMs);
      },
      (err: unknown) => {
        this.#running = undefined;
        this.#retryMs = Math.min(MAX_RETRY_MS, Math.max(this.#intervalMs, this.#retryMs * 2));
        this.#schedule(this.#retryMs);
        throw err;
      },
    );
    return this.#running;
  }

  /**
   * Stores what the journal held when the pass began, batch by batch. Records appended meanwhile
   * wait for the next pass (scheduled by `#kick`), so a busy gateway drains in full batches.
   */
  async #drainAvailable(): Promise<void> {
    const feed = this.#feed;
    if (!feed) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit drainer is not started');
    this.#pending = 0;
    const until = this.#journal.size;
    for (;;) {
      const from = feed.offset;
      const chunk = await feed.read(this.#batchSize, until);
      if (chunk.corrupt > 0) {
        this.#corruptLines += chunk.corrupt;
        this.#report(
          new AirlockError('ERR_AUDIT_UNAVAILABLE', `skipped ${chunk.corrupt} unreadable journal line(s)`),
        );
      }
      const fresh = this.#freshEntries(chunk.entries);
      if (fresh.length > 0) await this.#store(fresh);
      feed.advance(chunk.nextOffset);
      if (fresh.length > 0) this.#drainedSeq = fresh[fresh.length - 1]!.record.seq;
      if (chunk.nextOffset === from || chunk.nextOffset >= until) break;
    }
    this.#rotateIfDue();
  }

  /**
   * The entries to store: this node's, above what is stored, in rising order. Lines of another
   * node (a copied or edited file) are skipped and reported; a jump in numbering is reported and
   * stored anyway (dropping more would not help), and verify names the gap.
   */
  #freshEntries(entries: readonly JournalEntry[]): JournalEntry[] {
    const node = this.#journal.node;
    const fresh: JournalEntry[] = [];
    let foreign = 0;
    let lastSeq = this.#drainedSeq;
    for (const entry of entries) {
      if (entry.record.node !== node) {
        foreign++;
      } else if (entry.record.seq > lastSeq) {
        fresh.push(entry);
        lastSeq = entry.record.seq;
      }
    }
    if (foreign > 0) {
      this.#corruptLines += foreign;
      this.#report(
        new AirlockError('ERR_AUDIT_UNAVAILABLE', `skipped ${foreign} journal line(s) of another node`),
      );
    }
    const first = fresh[0]?.record.seq;
    if (first !== undefined && first !== this.#drainedSeq + 1) {
      this.#report(
        new AirlockError(
          'ERR_AUDIT_UNAVAILABLE',
          `journal of ${node} continues at #${first} but the store ends at #${this.#drainedSeq}`,
        ),
      );
    }
    return fresh;
  }

  /**
   * Stores `fresh` (this node's records, rising, above `drainedSeq`). On failure, first learns
   * what the store holds, so the retry skips what did land: a slice committed before the failure,
   * or a commit whose acknowledgement was lost.
   */
  async #store(fresh: readonly JournalEntry[]): Promise<void> {
    try {
      await this.#sink.store(fresh);
    } catch (err) {
      this.#failures++;
      const stored = await this.#sink.storedSeq().catch(() => 0);
      if (stored > this.#drainedSeq) this.#drainedSeq = stored;
      throw toAirlockError(err, 'ERR_AUDIT_UNAVAILABLE');
    }
  }

  /** Empties a large journal once everything in it is stored; the journal keeps the chain head. */
  #rotateIfDue(): void {
    const journal = this.#journal;
    const feed = this.#feed;
    if (!feed || feed.offset !== journal.size || journal.size <= this.#rotateBytes) return;
    if (this.#drainedSeq !== journal.seq) return;
    try {
      if (journal.rotate({ size: feed.offset, seq: this.#drainedSeq })) feed.rotated();
    } catch (err) {
      // Everything is stored; a failed rotation only leaves the file large until the next try.
      this.#report(err);
    }
  }

  #report(err: unknown): void {
    this.#onError?.(toAirlockError(err, 'ERR_AUDIT_UNAVAILABLE'));
  }
}
