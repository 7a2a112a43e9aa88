/**
 * @module Splits a byte stream into frames with cursors instead of concatenation (pg-protocol's
 * `mergeBuffer` idea). A chunk is adopted as is and frames are delivered as views of it; only a
 * partial frame at the end of a chunk is copied, into a buffer the FrameBuffer owns, and only as many
 * bytes of the next chunk as complete that frame are copied after it; parsing then continues inside
 * the next chunk. The owned buffer always holds a single partial frame starting at offset 0, so
 * "compaction" is free, and it grows by doubling as bytes actually arrive (never to a length a hostile
 * header merely claims).
 *
 * Views of adopted chunks are `stable`: nothing here ever writes into a chunk, so they may be kept
 * or handed to `socket.write`. Views of the owned buffer are not: it is reused for the next partial
 * frame, so a consumer that keeps one must copy it before its callback returns.
 */

/** How a protocol delimits its frames. */
export interface Framing {
  /** Bytes needed before `frameLength` can read a frame's length (may change between frames). */
  readonly headerSize: number;
  /**
   * The whole frame's length (header included) from the header at `offset`. Must return at least
   * `headerSize`; throws a protocol violation for a length out of bounds or an unknown tag.
   */
  frameLength(buffer: Buffer, offset: number): number;
}

/** Receives each complete frame as `buffer[start, end)`. */
export type FrameSink = (buffer: Buffer, start: number, end: number, stable: boolean) => void;

/** An owned buffer larger than this is dropped after use, so one huge frame is not kept forever. */
const RETAIN_LIMIT = 256 * 1024;

/** Per-connection framing state. After a throw (protocol violation) discard it. */
export class FrameBuffer {
  readonly #initialCapacity: number;
  #own: Buffer;
  #ownLength = 0;
  /** Total length of the pending frame once its header has arrived, else -1. */
  #frameTotal = -1;

  constructor(initialCapacity = 1024) {
    this.#initialCapacity = Math.max(initialCapacity, 16);
    this.#own = Buffer.allocUnsafe(this.#initialCapacity);
  }

  /** Bytes of an incomplete frame waiting for the next chunk. */
  get pendingBytes(): number {
    return this.#ownLength;
  }

  /** Delivers every frame `chunk` completes, in order, synchronously. `sink` must not call `feed`. */
  feed(chunk: Buffer, framing: Framing, sink: FrameSink): void {
    const size = chunk.length;
    let pos = 0;
    if (this.#ownLength > 0) {
      pos = this.#completePending(chunk, framing, sink);
      if (pos < 0) return;
    }
    while (size - pos >= framing.headerSize) {
      const total = framing.frameLength(chunk, pos);
      if (size - pos < total) break;
      sink(chunk, pos, pos + total, true);
      pos += total;
    }
    if (pos < size) {
      this.#reserve(size - pos);
      chunk.copy(this.#own, 0, pos, size);
      this.#ownLength = size - pos;
    }
  }

  /** Fills the pending frame from `chunk`; returns where parsing continues, or -1 if still pending. */
  #completePending(chunk: Buffer, framing: Framing, sink: FrameSink): number {
    let pos = 0;
    if (this.#frameTotal < 0) {
      const header = framing.headerSize;
      if (this.#ownLength < header) {
        const take = Math.min(header - this.#ownLength, chunk.length);
        this.#reserve(this.#ownLength + take);
        chunk.copy(this.#own, this.#ownLength, 0, take);
        this.#ownLength += take;
        pos = take;
        if (this.#ownLength < header) return -1;
      }
      this.#frameTotal = framing.frameLength(this.#own, 0);
    }
    const take = Math.min(this.#frameTotal - this.#ownLength, chunk.length - pos);
    this.#reserve(this.#ownLength + take);
    chunk.copy(this.#own, this.#ownLength, pos, pos + take);
    this.#ownLength += take;
    pos += take;
    if (this.#ownLength < this.#frameTotal) return -1;
    const own = this.#own;
    const total = this.#frameTotal;
    this.#ownLength = 0;
    this.#frameTotal = -1;
    if (own.length > RETAIN_LIMIT) this.#own = Buffer.allocUnsafe(this.#initialCapacity);
    sink(own, 0, total, false);
    return pos;
  }

  /** Grows the owned buffer (doubling, capped at the pending frame's length) to hold `needed` bytes. */
  #reserve(needed: number): void {
    if (needed <= this.#own.length) return;
    let capacity = this.#own.length * 2;
    while (capacity < needed) capacity *= 2;
    if (this.#frameTotal >= needed) capacity = Math.min(capacity, this.#frameTotal);
    const grown = Buffer.allocUnsafe(capacity);
    this.#own.copy(grown, 0, 0, this.#ownLength);
    this.#own = grown;
  }
}
