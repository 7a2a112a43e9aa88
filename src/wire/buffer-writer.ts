/**
 * @module A growable writer for length-prefixed messages. Each message reserves a 5-byte header
 * (tag + int32 length) that `flush` fills in. The writer hands out views of its slab and never
 * writes over a region it has handed out: when the slab is full it starts a new one. That makes a
 * flushed message safe to pass to `socket.write`, which may hold it until the kernel takes it.
 */

const HEADER = 5;

/** Builds one message at a time; `flush` returns it and starts the next. */
export class BufferWriter {
  #buffer: Buffer;
  /** Start of the current message's reserved header. */
  #start = 0;
  #pos = HEADER;
  readonly #slabSize: number;

  constructor(slabSize = 16 * 1024) {
    this.#slabSize = Math.max(slabSize, 64);
    this.#buffer = Buffer.allocUnsafe(this.#slabSize);
  }

  byte(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#pos++] = value & 0xff;
    return this;
  }

  int16(value: number): this {
    this.#ensure(2);
    this.#buffer.writeInt16BE(value, this.#pos);
    this.#pos += 2;
    return this;
  }

  int32(value: number): this {
    this.#ensure(4);
    this.#buffer.writeInt32BE(value, this.#pos);
    this.#pos += 4;
    return this;
  }

  /** A UTF-8 string followed by NUL. Measures the string once. */
  cstring(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.#ensure(length + 1);
    this.#buffer.write(value, this.#pos, length, 'utf8');
    this.#pos += length;
    this.#buffer[this.#pos++] = 0;
    return this;
  }

  /** A UTF-8 string without terminator. */
  string(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.#ensure(length);
    this.#buffer.write(value, this.#pos, length, 'utf8');
    this.#pos += length;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#pos);
    this.#pos += value.length;
    return this;
  }

  /**
   * Finishes the current message: with `code`, a tagged message (tag, int32 length, body); without,
   * an untagged one (int32 length, body), as startup packets are. The length counts itself.
   */
  flush(code?: number): Buffer {
    const bodyLength = this.#pos - this.#start - HEADER;
    this.#buffer.writeInt32BE(bodyLength + 4, this.#start + 1);
    let message: Buffer;
    if (code === undefined) {
      message = this.#buffer.subarray(this.#start + 1, this.#pos);
    } else {
      this.#buffer[this.#start] = code;
      message = this.#buffer.subarray(this.#start, this.#pos);
    }
    this.#start = this.#pos;
    this.#pos = this.#start + HEADER;
    if (this.#pos > this.#buffer.length) this.#newSlab(0);
    return message;
  }

  /** Drops the current unfinished message. */
  reset(): void {
    this.#pos = this.#start + HEADER;
  }

  #ensure(count: number): void {
    if (this.#pos + count > this.#buffer.length) this.#newSlab(count);
  }

  /** Moves the unfinished message to a fresh slab; the old one stays intact for its views. */
  #newSlab(extra: number): void {
    const used = this.#pos - this.#start;
    let size = this.#slabSize;
    while (size < used + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buffer.copy(next, 0, this.#start, Math.min(this.#pos, this.#buffer.length));
    this.#buffer = next;
    this.#start = 0;
    this.#pos = used;
  }
}
