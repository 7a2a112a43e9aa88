/**
 * @module One sink's delivery loop. Each pass picks the next node (round robin) with events past
 * the sink's cursor, reads a bounded batch after the cursor, hands it to the sink and moves the
 * cursor only once the sink has accepted it: at least once, in seq order per node, nothing skipped.
 * A failure leaves the cursor where it was and waits with exponential backoff (capped), so a sink
 * that is down for hours gets everything, in order, once it is back.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { type AirlockError, toAirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { type Backoff, sleep } from './backoff.js';
import { advanceCursor, lagOf, nodeExtents, readCursors, readEventsAfter } from './cursors.js';
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
}

/** Delivers one sink's backlog and follows new events until stopped. */
export class SinkLoop {
  readonly #o: SinkLoopOptions;
  /** Cursors as stored; dropped after a failure so the next pass re-reads them. */
  #cursors: Map<string, number> | undefined;
  #turn = 0;
  #lag = 0;
  #delivered = 0;

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
    const events = await readEventsAfter(db, extent.node, after, this.#o.batchSize, MAX_BATCH_BYTES);
    const last = events[events.length - 1];
    // The anchor is ahead but no row follows the cursor: the store was edited; verify names it.
    if (!last) return false;
    const batch: ExportBatch = { node: extent.node, events };
    await this.#o.writer.deliver(batch, signal);
    this.#delivered += events.length;
    await advanceCursor(db, name, extent.node, last.seq, this.#o.clock.now().toISOString());
    cursors.set(extent.node, last.seq);
    this.#lag = Math.max(0, this.#lag - events.length);
    this.#o.onDelivered?.(batch);
    return this.#lag > 0;
  }
}
