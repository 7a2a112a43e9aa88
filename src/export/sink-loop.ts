/**
 * @module One sink's delivery loop. Each pass picks the next node (round robin) with events past
 * the sink's cursor, reads a bounded batch after the cursor, hands it to the sink and moves the
 * cursor only once the sink has accepted it: at least once, in seq order per node, nothing skipped.
 * A failure leaves the cursor where it was and waits with exponential backoff (capped), so a sink
 * that is down for hours gets everything, in order, once it is back.
 *
 * One exception keeps a sink from stalling forever: a receiver that refuses the same batch for
 * good (a permanent 4xx, dead-letter.ts) `deadLetterAfter` times gets it parked in the sink's
 * dead-letter file, and the cursor moves past it. A 413 first halves the batch (and the batches
 * after it, growing back after each success) until it fits; only a single event too large is parked.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { type AirlockError, toAirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { type Backoff, sleep } from './backoff.js';
import { advanceCursor, lagOf, nodeExtents, readCursors, readEventsAfter } from './cursors.js';
import {
  appendDeadLetters,
  DEFAULT_DEAD_LETTER_AFTER,
  type DeadLetterEntry,
  isPermanentStatus,
} from './dead-letter.js';
import { answeredStatus } from './signed-post.js';
import type { ExportBatch, SinkWriter } from './sink.js';

/** Most record bytes one batch carries, whatever `batchSize` allows (bounded memory and bodies). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** What a sink loop needs. */
export interface SinkLoopOptions {
  readonly name: string;
  readonly writer: SinkWriter;
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly backoff: Backoff;
  readonly onError?: (err: AirlockError, retryInMs: number) => void;
  readonly onDelivered?: (batch: ExportBatch) => void;
  /**
   * Where permanently refused batches are parked; absent: they are retried forever (the cursor
   * never skips an event that is not written somewhere).
   */
  readonly deadLetterFile?: string;
  /** Attempts at one permanently refused batch before it is parked. Default 10. */
  readonly deadLetterAfter?: number;
  /** Told after a batch was parked and the cursor moved past it. */
  readonly onDeadLetter?: (entry: DeadLetterEntry) => void;
}

/** Permanent refusals of the batch at the head of one node's backlog. */
interface Refusals {
  /**
   * Seq of the refused batch's first event: a batch that grew meanwhile (more events arrived)
   * is still the same refusal, while one after a parked or delivered batch starts a new count.
   */
  readonly first: number;
  attempts: number;
}

/** Delivers one sink's backlog and follows new events until stopped. */
export class SinkLoop {
  readonly #o: SinkLoopOptions;
  /** Cursors as stored; dropped after a failure so the next pass re-reads them. */
  #cursors: Map<string, number> | undefined;
  #turn = 0;
  #lag = 0;
  #delivered = 0;
  #deadLettered = 0;
  /** Per node: the batch size after a 413 (halved per 413, doubled back per success). */
  readonly #limits = new Map<string, number>();
  readonly #refusals = new Map<string, Refusals>();

  constructor(options: SinkLoopOptions) {
    this.#o = options;
  }

  /** Events stored but not delivered, as of the last pass. */
  get lag(): number {
    return this.#lag;
  }

  /** Events delivered since start (duplicates after a lost cursor update included). */
  get delivered(): number {
    return this.#delivered;
  }

  /** Events parked in the dead-letter file since start. */
  get deadLettered(): number {
    return this.#deadLettered;
  }

  /** Runs until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let more = false;
      try {
        more = await this.pass(signal);
        this.#o.backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        this.#cursors = undefined;
        const wait = this.#o.backoff.next();
        this.#o.onError?.(toAirlockError(err, 'ERR_DELIVERY_FAILED'), wait);
        await sleep(wait, signal);
        continue;
      }
      // A backlog is sent batch after batch; otherwise wait for new events to gather.
      if (!more) await sleep(this.#o.flushIntervalMs, signal);
    }
  }

  /**
   * Delivers at most one batch. Returns true when events remain to be delivered after it.
   * Throws when the store or the sink fails (the cursor has not moved then).
   */
  async pass(signal: AbortSignal): Promise<boolean> {
    const { db, name } = this.#o;
    const extents = await nodeExtents(db);
    this.#cursors ??= await readCursors(db, name);
    const cursors = this.#cursors;
    this.#lag = lagOf(extents, cursors);
    const pending = extents.filter((e) => e.lastSeq > Math.max(cursors.get(e.node) ?? 0, e.deletedThrough));
    if (pending.length === 0) return false;
    const extent = pending[this.#turn++ % pending.length]!;
    const after = cursors.get(extent.node) ?? 0;
    const limit = this.#limits.get(extent.node) ?? this.#o.batchSize;
    const events = await readEventsAfter(db, extent.node, after, limit, MAX_BATCH_BYTES);
    const last = events[events.length - 1];
    // The anchor is ahead but no row follows the cursor: the store was edited; verify names it.
    if (!last) return false;
    const batch: ExportBatch = { node: extent.node, events };
    try {
      await this.#o.writer.deliver(batch, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const parked = await this.#refused(batch, err);
      if (!parked) return true;
      await this.#advance(extent.node, last.seq, events.length);
      this.#o.onDeadLetter?.(parked);
      return this.#lag > 0;
    }
    this.#delivered += events.length;
    this.#grow(extent.node, limit);
    await this.#advance(extent.node, last.seq, events.length);
    this.#o.onDelivered?.(batch);
    return this.#lag > 0;
  }

  async #advance(node: string, seq: number, events: number): Promise<void> {
    const { db, name } = this.#o;
    await advanceCursor(db, name, node, seq, this.#o.clock.now().toISOString());
    this.#cursors?.set(node, seq);
    this.#lag = Math.max(0, this.#lag - events);
  }

  /** After a success: a batch size cut by 413s doubles back towards `batchSize`. */
  #grow(node: string, limit: number): void {
    this.#refusals.delete(node);
    if (!this.#limits.has(node)) return;
    const next = limit * 2;
    if (next >= this.#o.batchSize) this.#limits.delete(node);
    else this.#limits.set(node, next);
  }

  /**
   * Decides what a failed delivery means. Rethrows (retry with backoff) unless the refusal is
   * permanent: a 413 on more than one event halves the batch and returns undefined (retry at
   * once, smaller); a batch refused for good `deadLetterAfter` times is parked and described.
   */
  async #refused(batch: ExportBatch, err: unknown): Promise<DeadLetterEntry | undefined> {
    const status = answeredStatus(err);
    if (status === undefined || !isPermanentStatus(status) || this.#o.deadLetterFile === undefined) throw err;
    const error = toAirlockError(err, 'ERR_DELIVERY_FAILED');
    const { node, events } = batch;
    if (status === 413 && events.length > 1) {
      this.#limits.set(node, Math.max(1, Math.floor(events.length / 2)));
      this.#o.onError?.(error, 0);
      return undefined;
    }
    const first = events[0]!.seq;
    const seen = this.#refusals.get(node);
    const refusals = seen?.first === first ? seen : { first, attempts: 0 };
    refusals.attempts++;
    this.#refusals.set(node, refusals);
    if (refusals.attempts < (this.#o.deadLetterAfter ?? DEFAULT_DEAD_LETTER_AFTER)) throw err;
    const file = this.#o.deadLetterFile;
    await appendDeadLetters(file, this.#o.name, batch, {
      status,
      attempts: refusals.attempts,
      error: error.message,
      at: this.#o.clock.now().toISOString(),
    });
    this.#refusals.delete(node);
    this.#deadLettered += events.length;
    return {
      node,
      fromSeq: events[0]!.seq,
      toSeq: events[events.length - 1]!.seq,
      events: events.length,
      status,
      attempts: refusals.attempts,
      error: error.message,
      file,
    };
  }
}
