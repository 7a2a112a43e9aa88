/**
 * @module A bounds-checked reader over one frame of a Buffer. Codecs reuse a single reader: point it
 * at a frame with `setBuffer`, read fields, and every read past the frame's end throws a protocol
 * violation instead of a RangeError, so a hostile length field can never read a neighbour's bytes.
 * Integers are big-endian (network order), as PostgreSQL sends them.
 */
import { AirlockError } from '../core/errors.js';

const EMPTY = Buffer.alloc(0);

/** Reads fields from `buffer[start, end)`. Not reentrant: one frame at a time. */
export class BufferReader {
  #buffer: Buffer = EMPTY;
  #pos = 0;
  #end = 0;
  /** Names the frame in error messages ("Bind message"). */
  #context = 'message';

  /** Points the reader at a new frame. `context` names it in errors. */
  setBuffer(buffer: Buffer, start: number, end: number, context: string): void {
    this.#buffer = buffer;
    this.#pos = start;
    this.#end = end;
    this.#context = context;
  }

  /** Drops the reference to the last frame, so a large buffer is not retained. */
  release(): void {
    this.#buffer = EMPTY;
    this.#pos = 0;
    this.#end = 0;
  }

  /** Bytes left in the frame. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Current absolute position in the buffer. */
  get position(): number {
    return this.#pos;
  }

  byte(): number {
    this.#need(1);
    return this.#buffer[this.#pos++]!;
  }

  int16(): number {
    this.#need(2);
    const value = this.#buffer.readInt16BE(this.#pos);
    this.#pos += 2;
    return value;
  }

  uint16(): number {
    this.#need(2);
    const value = this.#buffer.readUInt16BE(this.#pos);
    this.#pos += 2;
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#buffer.readInt32BE(this.#pos);
    this.#pos += 4;
    return value;
  }

  uint32(): number {
    this.#need(4);
    const value = this.#buffer.readUInt32BE(this.#pos);
    this.#pos += 4;
    return value;
  }

  /** A NUL-terminated UTF-8 string; the terminator must lie inside the frame. */
  cstring(): string {
    const nul = this.#buffer.indexOf(0, this.#pos);
    if (nul < 0 || nul >= this.#end) {
      throw new AirlockError(
        'ERR_PROTOCOL_VIOLATION',
        `expected a NUL-terminated string in ${this.#context}, received ${this.remaining} bytes without a terminator`,
      );
    }
    const value = this.#buffer.toString('utf8', this.#pos, nul);
    this.#pos = nul + 1;
    return value;
  }

  /** `length` bytes decoded as UTF-8. */
  string(length: number): string {
    this.#need(length);
    const value = this.#buffer.toString('utf8', this.#pos, this.#pos + length);
    this.#pos += length;
    return value;
  }

  /** A view of the next `length` bytes; valid only as long as the underlying buffer is. */
  bytes(length: number): Buffer {
    this.#need(length);
    const value = this.#buffer.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return value;
  }

  /** A view of everything left in the frame. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Throws unless the frame was read exactly to its end. */
  end(): void {
    if (this.#pos !== this.#end) {
      throw new AirlockError(
        'ERR_PROTOCOL_VIOLATION',
        `expected the end of ${this.#context}, received ${this.remaining} extra bytes`,
      );
    }
  }

  #need(count: number): void {
    if (count < 0 || this.#pos + count > this.#end) {
      throw new AirlockError(
        'ERR_PROTOCOL_VIOLATION',
        `expected ${count} more bytes in ${this.#context}, received ${this.remaining}`,
      );
    }
  }
}
