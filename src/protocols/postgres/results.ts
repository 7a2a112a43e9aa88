/**
 * @module Matches what the upstream answers to what was forwarded, in order, for the audit trail and
 * for keeping Airlock's own answers (refusals) in sequence with the server's. One FIFO of in-flight
 * entries, in forwarding order:
 *  - `simple`: a Query or FunctionCall; ends at its ReadyForQuery (error if any ErrorResponse came,
 *    rows = the last CommandComplete count);
 *  - `execute`: an extended-protocol Execute; ends at CommandComplete, EmptyQueryResponse,
 *    PortalSuspended or ErrorResponse, or, skipped after an earlier error, at the batch's ReadyForQuery;
 *  - `sync`: a forwarded Sync, which the server answers with ReadyForQuery;
 *  - `probe`: an Execute of a portal that cannot exist, sent to make the server fail (and roll back)
 *    an implicit transaction the client believes failed; its ErrorResponse is replaced by ours;
 *  - `synthetic`: Airlock's own refusal (ErrorResponse, maybe ReadyForQuery), released to the client
 *    only when everything forwarded before it has been answered.
 */
import type { Clock } from '../../core/clock.js';
import type { Command, CommandResult } from '../../core/command.js';
import { TransactionStatus } from './codec/codes.js';
import type { NoticeFields } from './codec/messages.js';
import { readyForQuery } from './codec/serializer.js';

/** One forwarded (or refused) thing awaiting its answer. */
export type InFlight =
  | {
      readonly kind: 'simple';
      readonly command: Command;
      readonly startedMs: number;
      rows?: number;
      error?: NoticeFields;
    }
  | { readonly kind: 'execute'; readonly command: Command; readonly startedMs: number }
  | { readonly kind: 'sync' }
  | { readonly kind: 'probe'; readonly error: Buffer }
  | { readonly kind: 'synthetic'; readonly error: Buffer | undefined; readonly ready: boolean };

/** Where results and released bytes go. */
export interface ResultSink {
  /** Journals a command's outcome. */
  record(command: Command, result: CommandResult): void;
  /** Appends bytes for the client, in order with the frames being forwarded. */
  emit(bytes: Buffer): void;
}

/** The last number of a CommandComplete tag (`INSERT 0 5` → 5), if any. */
export function rowsFromTag(tag: string): number | undefined {
  const match = /(\d+)$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}

/** The FIFO and the transaction status the server last reported. */
export class ResultTracker {
  readonly #sink: ResultSink;
  readonly #clock: Clock;
  #queue: InFlight[] = [];
  #head = 0;
  /** Entries ever pushed (marks count from here). */
  #pushed = 0;
  #rowsSinceResult = 0;
  /** The error that made the server skip the rest of the current batch, until its ReadyForQuery. */
  #skipError: NoticeFields | undefined;
  #status: number = TransactionStatus.Idle;
  #copyIn = false;
  /** In-flight entries the server answers with a ReadyForQuery (`sync`, `simple`). */
  #pendingReady = 0;
  /** Callers of `whenReady` waiting for `#pendingReady` to drop to zero. */
  #readyWaiters: (() => void)[] = [];

  constructor(sink: ResultSink, clock: Clock, initialStatus: number) {
    this.#sink = sink;
    this.#clock = clock;
    this.#status = initialStatus;
  }

  /** The transaction status byte from the last ReadyForQuery. */
  get status(): number {
    return this.#status;
  }

  /**
   * The server is in COPY FROM STDIN mode: it ignores Sync and Flush until the copy ends, so a Sync
   * forwarded now gets no ReadyForQuery of its own.
   */
  get copyIn(): boolean {
    return this.#copyIn;
  }

  /** A CopyInResponse: the batch's own Sync, sent right after its Execute, will be ignored. */
  onCopyIn(): void {
    this.#copyIn = true;
    if (this.#peek()?.kind === 'execute' && this.#queue[this.#head + 1]?.kind === 'sync') {
      this.#queue.splice(this.#head + 1, 1);
      this.#pendingReady--;
    }
    this.#wakeIfReady();
  }

  /** The client ended its COPY data (CopyDone / CopyFail). */
  copyEnded(): void {
    this.#copyIn = false;
  }

  /** Nothing forwarded is awaiting an answer. */
  get isEmpty(): boolean {
    return this.#head >= this.#queue.length;
  }

  push(entry: InFlight): void {
    this.#queue.push(entry);
    this.#pushed++;
    if (entry.kind === 'sync' || entry.kind === 'simple') this.#pendingReady++;
  }

  /**
   * The server still owes a ReadyForQuery for something forwarded (and is not waiting for COPY data):
   * until it comes, a setting changed by what ran (reported just before it) is not known yet.
   */
  get awaitingReady(): boolean {
    return this.#pendingReady > 0 && !this.#copyIn;
  }

  /** Resolves once `awaitingReady` is false (or the session was abandoned). */
  whenReady(): Promise<void> {
    if (!this.awaitingReady) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** A position in the FIFO's history, for `dropFrom`. */
  mark(): number {
    return this.#pushed;
  }

  /**
   * Forgets what was pushed since `mark` (nothing of it reached the server: its audit batch could
   * not be written). Only valid while nothing pushed since has been answered.
   */
  dropFrom(mark: number): void {
    const extra = this.#pushed - mark;
    if (extra <= 0) return;
    const keep = Math.max(this.#head, this.#queue.length - extra);
    for (let i = keep; i < this.#queue.length; i++) {
      const kind = this.#queue[i]!.kind;
      if (kind === 'sync' || kind === 'simple') this.#pendingReady--;
    }
    this.#queue.length = keep;
    this.#pushed = mark;
    this.#wakeIfReady();
  }

  /**
   * Airlock's own answer (an ErrorResponse, a ReadyForQuery, or both): now if nothing is in flight,
   * else after what is, so the client reads answers in the order it asked.
   */
  refuse(error: Buffer | undefined, ready: boolean): void {
    if (this.isEmpty) this.#emitRefusal(error, ready);
    else this.push({ kind: 'synthetic', error, ready });
  }

  onDataRow(): void {
    this.#rowsSinceResult++;
  }

  onCommandComplete(tag: string): void {
    this.#copyIn = false;
    const head = this.#peek();
    if (head?.kind === 'simple') head.rows = rowsFromTag(tag);
    else if (head?.kind === 'execute') this.#finish(head, { outcome: 'success', rows: rowsFromTag(tag) });
    this.#rowsSinceResult = 0;
  }

  onEmptyQuery(): void {
    const head = this.#peek();
    if (head?.kind === 'execute') this.#finish(head, { outcome: 'success', rows: 0 });
  }

  onPortalSuspended(): void {
    const head = this.#peek();
    if (head?.kind === 'execute') this.#finish(head, { outcome: 'success', rows: this.#rowsSinceResult });
    this.#rowsSinceResult = 0;
  }

  /**
   * An ErrorResponse. Returns false when it answers a probe: the caller must drop it, since the
   * probe's own (Airlock) error has been emitted in its place.
   */
  onError(fields: NoticeFields): boolean {
    this.#copyIn = false;
    const head = this.#peek();
    this.#rowsSinceResult = 0;
    if (head?.kind === 'probe') {
      this.#shift();
      this.#sink.emit(head.error);
      this.#skipError = fields;
      return false;
    }
    if (head?.kind === 'simple') {
      head.error ??= fields;
    } else if (head?.kind === 'execute') {
      this.#finish(head, { outcome: 'error', errorCode: fields.code, errorMessage: fields.message });
      this.#skipError = fields;
    } else if (head?.kind === 'sync') {
      // A Parse/Bind/Describe failed before any Execute of the batch.
      this.#skipError = fields;
    }
    return true;
  }

  /** A ReadyForQuery: closes the oldest batch or simple query, then releases refusals behind it. */
  onReady(status: number): void {
    this.#status = status;
    this.#rowsSinceResult = 0;
    for (let entry = this.#peek(); entry; entry = this.#peek()) {
      if (entry.kind === 'synthetic') break;
      this.#shift();
      if (entry.kind === 'sync') break;
      if (entry.kind === 'simple') {
        const { error } = entry;
        if (!error && this.#skipError) {
          // Sent after an extended-protocol error without a Sync: the server ignored it entirely,
          // so this ReadyForQuery belongs to a later Sync.
          this.#record(entry, this.#skipped());
          continue;
        }
        this.#record(
          entry,
          error
            ? { outcome: 'error', errorCode: error.code, errorMessage: error.message }
            : entry.rows === undefined
              ? { outcome: 'success' }
              : { outcome: 'success', rows: entry.rows },
        );
        break;
      }
      if (entry.kind === 'execute') this.#record(entry, this.#skipped());
      // A probe the server never answered: it was already skipping after an earlier error, just as
      // it would have skipped the refused statement. Nothing to say.
    }
    this.#skipError = undefined;
    this.#releaseRefusals();
    this.#wakeIfReady();
  }

  /** The session ended: everything still in flight has an unknown outcome, recorded as an error. */
  abandon(message: string): void {
    for (let entry = this.#shift(); entry; entry = this.#shift()) {
      if (entry.kind === 'simple' || entry.kind === 'execute') {
        this.#record(entry, { outcome: 'error', errorCode: '08006', errorMessage: message });
      }
    }
    this.#wakeIfReady();
  }

  #wakeIfReady(): void {
    if (this.awaitingReady || this.#readyWaiters.length === 0) return;
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const wake of waiters) wake();
  }

  /** The result of a command the server skipped after an earlier error of its batch. */
  #skipped(): Omit<CommandResult, 'durationMs'> {
    const cause = this.#skipError;
    return {
      outcome: 'error',
      errorCode: cause?.code ?? '',
      errorMessage: `not run: an earlier message of the batch failed${cause ? ` (${cause.message})` : ''}`,
    };
  }

  #releaseRefusals(): void {
    for (let entry = this.#peek(); entry?.kind === 'synthetic'; entry = this.#peek()) {
      this.#shift();
      this.#emitRefusal(entry.error, entry.ready);
    }
  }

  #emitRefusal(error: Buffer | undefined, ready: boolean): void {
    if (error) this.#sink.emit(error);
    if (ready) this.#sink.emit(readyForQuery(this.#status));
  }

  #finish(entry: Extract<InFlight, { kind: 'execute' }>, result: Omit<CommandResult, 'durationMs'>): void {
    this.#shift();
    this.#record(entry, result);
  }

  #record(
    entry: { readonly command: Command; readonly startedMs: number },
    result: Omit<CommandResult, 'durationMs'>,
  ): void {
    // Object.assign on the fresh literal each caller passes: a spread with a trailing member takes
    // V8's slow path, and this runs once per statement.
    const durationMs = this.#clock.nowMs() - entry.startedMs;
    this.#sink.record(entry.command, Object.assign(result, { durationMs }));
  }

  #peek(): InFlight | undefined {
    return this.#queue[this.#head];
  }

  #shift(): InFlight | undefined {
    const entry = this.#queue[this.#head];
    if (entry === undefined) return undefined;
    this.#head++;
    if (entry.kind === 'sync' || entry.kind === 'simple') this.#pendingReady--;
    // Compact once the consumed prefix dominates, so a long session does not grow the array.
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}
