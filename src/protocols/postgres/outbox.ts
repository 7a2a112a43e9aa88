/**
 * @module Ordered bytes bound for one socket, collected while a chunk is processed and written once
 * at its end. Consecutive frames of the same stable buffer merge into one view (so a run of DataRows
 * is forwarded as the slice of the socket chunk it arrived in, without copying); frames from the
 * parser's reused buffer are copied, since that buffer is rewritten by the next partial frame.
 */
import type { Duplex } from 'node:stream';
import type { Frame } from './codec/messages.js';

/** Collects frames and byte strings in order. */
export class Outbox {
  #parts: Buffer[] = [];
  #byteLength = 0;
  #spanBuffer: Buffer | undefined;
  #spanStart = 0;
  #spanEnd = 0;

  /** Total bytes held. */
  get byteLength(): number {
    return this.#byteLength + (this.#spanEnd - this.#spanStart);
  }

  get isEmpty(): boolean {
    return this.byteLength === 0;
  }

  /** Adds a frame's original bytes. */
  addFrame(frame: Frame): void {
    if (!frame.stable) {
      this.addBytes(Buffer.from(frame.raw));
      return;
    }
    if (this.#spanBuffer === frame.buffer && this.#spanEnd === frame.start) {
      this.#spanEnd = frame.end;
      return;
    }
    this.#closeSpan();
    this.#spanBuffer = frame.buffer;
    this.#spanStart = frame.start;
    this.#spanEnd = frame.end;
  }

  /** Adds bytes that are never written again (serializer output, copies). */
  addBytes(bytes: Buffer): void {
    this.#closeSpan();
    this.#parts.push(bytes);
    this.#byteLength += bytes.length;
  }

  /** Moves everything into `other`, keeping order; this outbox is empty afterwards. */
  moveTo(other: Outbox): void {
    for (const part of this.take()) other.addBytes(part);
  }

  /** Returns the collected parts and empties the outbox. */
  take(): Buffer[] {
    this.#closeSpan();
    const parts = this.#parts;
    this.#parts = [];
    this.#byteLength = 0;
    return parts;
  }

  /** Drops everything. */
  clear(): void {
    this.#parts = [];
    this.#byteLength = 0;
    this.#spanBuffer = undefined;
    this.#spanStart = this.#spanEnd = 0;
  }

  #closeSpan(): void {
    if (this.#spanBuffer && this.#spanEnd > this.#spanStart) {
      const span = this.#spanBuffer.subarray(this.#spanStart, this.#spanEnd);
      this.#parts.push(span);
      this.#byteLength += span.length;
    }
    this.#spanBuffer = undefined;
    this.#spanStart = this.#spanEnd = 0;
  }
}

/**
 * Below this many bytes, several parts are copied into one buffer and written with one plain write:
 * cheaper than a corked writev, which builds a request object and an entry per part.
 */
const CONCAT_LIMIT = 16 * 1024;

/** Writes an outbox's parts to `socket` with one write (or one corked writev); returns the byte count. */
export function flushOutbox(outbox: Outbox, socket: Duplex): number {
  if (outbox.isEmpty) return 0;
  const total = outbox.byteLength;
  const parts = outbox.take();
  if (!socket.writable) return 0;
  if (parts.length === 1) {
    socket.write(parts[0]!);
    return total;
  }
  if (total <= CONCAT_LIMIT) {
    socket.write(Buffer.concat(parts, total));
    return total;
  }
  socket.cork();
  for (let i = 0; i < parts.length; i++) socket.write(parts[i]!);
  socket.uncork();
  return total;
}
