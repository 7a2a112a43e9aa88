/**
 * @module The queue of answers a masked session still expects from the upstream, in the order the
 * messages were sent: the statement of a simple Query, a Parse, Bind, Describe, Execute, Close or Sync,
 * each with what the session needs to read its answer. It also follows the protocol's rules for
 * messages that get no answer at all (those after a failed extended-protocol message until the next
 * Sync, and those sent while the upstream reads COPY FROM STDIN data), since a wrong entry would pair a
 * DataRow with another statement's columns. It is kept apart from `session.ts` because it knows only
 * message order, never masking rules or statement names.
 */
import { FrontendCode } from '../codec/codes.js';
import type { Definition, DescribedStatement, ParsedStatement, PortalState } from './statement-names.js';

/** What the session expects an answer to, by the message sent. */
export type Expect =
  | {
      readonly kind: 'query';
      readonly text: string;
      index: number;
      readonly definitions: readonly Definition[];
    }
  | {
      readonly kind: 'parse';
      readonly text: string;
      readonly statement: string;
      /** What the name held before: a Parse that fails (or is skipped) leaves it in place. */
      readonly previous: ParsedStatement | undefined;
      readonly previousPlan: DescribedStatement | undefined;
    }
  | {
      readonly kind: 'bind';
      readonly text: string;
      readonly portal: string;
      readonly previous: PortalState | undefined;
    }
  | { readonly kind: 'close' | 'sync' }
  | { readonly kind: 'describe'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'execute'; readonly portal: string; readonly definitions: readonly Definition[] };

/** A FIFO entry, with how many CopyData and copy ends (CopyDone, CopyFail) the client had sent before it. */
export type Entry = Expect & { readonly copyData: number; readonly copyEnds: number };

/** The FIFO of expected answers, and the protocol states in which sent messages get none. */
export class PendingAnswers {
  #fifo: Entry[] = [];
  #head = 0;
  /**
   * An extended-protocol message failed and no Sync was in the FIFO yet: the upstream ignores every
   * message, a simple Query included, until the client's next Sync, so none of them gets an entry.
   */
  #ignoringTillSync = false;
  /** CopyData and copy ends (CopyDone, CopyFail) the client sent: where COPY FROM STDIN data sits among entries. */
  #copyDataSent = 0;
  #copyEndsSent = 0;
  /**
   * The upstream is in COPY FROM STDIN and the client has not ended its data: the upstream ignores a
   * Sync (no answer) and consumes any other message as an error. `#copyDataSent` was `copyDataAt` when
   * the copy began: a Sync after some data may arrive after the copy failed and be answered.
   */
  #copyIn: { readonly copyDataAt: number } | undefined;
  /**
   * Set when which answer belongs to which message cannot be known any more (messages sent during
   * COPY FROM STDIN whose fate depends on the data): the next upstream frame ends the session.
   */
  #lost: string | undefined;

  /** Why answers can no longer be matched to messages, or undefined while they can. */
  get lost(): string | undefined {
    return this.#lost;
  }

  /** A message just sent upstream: false when it gets no entry (COPY data, or ignored until a Sync). */
  admits(code: number): boolean {
    if (code === FrontendCode.CopyData) this.#copyDataSent++;
    else if (code === FrontendCode.CopyDone || code === FrontendCode.CopyFail) this.#copyEndsSent++;
    if (this.#copyIn && this.#duringCopyIn(code)) return false;
    if (this.#ignoringTillSync) {
      // The upstream reads and drops these without an answer (and without acting on them).
      if (code !== FrontendCode.Sync) return false;
      this.#ignoringTillSync = false;
    }
    return true;
  }

  push(expect: Expect): void {
    this.#fifo.push(Object.assign(expect, { copyData: this.#copyDataSent, copyEnds: this.#copyEndsSent }));
  }

  peek(): Entry | undefined {
    return this.#fifo[this.#head];
  }

  shift(): void {
    if (this.#head < this.#fifo.length) this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
  }

  /** A frame sent while the upstream reads COPY data: true when it gets no FIFO entry. */
  #duringCopyIn(code: number): boolean {
    const copyIn = this.#copyIn!;
    switch (code) {
      case FrontendCode.CopyData:
      case FrontendCode.Flush:
        return true;
      case FrontendCode.CopyDone:
      case FrontendCode.CopyFail:
        this.#copyIn = undefined;
        return true;
      case FrontendCode.Sync:
        // Ignored while the copy runs; after data, the copy may have failed already and it is answered.
        if (this.#copyDataSent === copyIn.copyDataAt) return true;
        this.#lost = 'a Sync was sent between COPY data and its end';
        return true;
      default:
        this.#lost = 'a message other than COPY data was sent during COPY FROM STDIN';
        return true;
    }
  }

  /**
   * CopyInResponse: the statement at the head reads COPY data. Entries for messages the client sent
   * after it and before its copy end were read by the upstream as part of the copy: a Sync before any
   * data is ignored (dropped here); anything else makes the answers unknowable (`#lost`).
   */
  onCopyIn(): void {
    const head = this.peek();
    if (!head) return;
    const kept: Entry[] = [];
    let ended = false;
    for (let i = this.#head + 1; i < this.#fifo.length; i++) {
      const e = this.#fifo[i]!;
      if (!ended && e.copyEnds > head.copyEnds) ended = true;
      if (ended) kept.push(e);
      else if (e.kind === 'sync' && e.copyData === head.copyData) continue;
      else {
        this.#lost = 'a message other than COPY data was sent during COPY FROM STDIN';
        kept.push(e);
      }
    }
    this.#fifo.length = this.#head + 1;
    this.#fifo.push(...kept);
    if (this.#copyEndsSent === head.copyEnds) this.#copyIn = { copyDataAt: head.copyData };
  }

  /** A result ended: a COPY FROM STDIN that was running has ended on the upstream's side. */
  endCopyIn(): void {
    this.#copyIn = undefined;
  }

  /**
   * An ErrorResponse: in the extended protocol the failed message and every one after it until the
   * next Sync are dropped. Returns the dropped entries, newest first (what they did is to be undone).
   */
  skipFailed(): Entry[] {
    this.#copyIn = undefined;
    // A simple Query's error ends that query only; its ReadyForQuery follows.
    const first = this.peek();
    if (!first || first.kind === 'query' || first.kind === 'sync') return [];
    // Extended protocol: the server ignores every message until the next Sync, a simple Query
    // included (it is never answered).
    const skipped: Entry[] = [];
    for (let head = this.peek(); head && head.kind !== 'sync'; head = this.peek()) {
      skipped.push(head);
      this.shift();
    }
    if (!this.peek()) this.#ignoringTillSync = true;
    return skipped.reverse();
  }

  /** A ReadyForQuery: the entries up to and including the Sync or Query it answers are done. */
  skipThroughReady(): void {
    for (let head = this.peek(); head; head = this.peek()) {
      this.shift();
      if (head.kind === 'sync' || head.kind === 'query') break;
    }
  }
}
