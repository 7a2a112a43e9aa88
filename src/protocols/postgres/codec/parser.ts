/**
 * @module Parsers for both directions: `FrontendParser` (client → Airlock: startup packets, then
 * tagged messages) and `BackendParser` (server → Airlock). Both frame with a `FrameBuffer` and call
 * back synchronously once per frame with a reused `Frame` (tag, bounds, raw view): nothing is decoded
 * until the caller asks (`decodeFrontend`, `decodeBackend`, `decodeStartup`), so a relay that only
 * forwards a DataRow pays for its header and nothing else. Framing errors (unknown tag, length out of
 * bounds, bad protocol version) throw `AirlockError('ERR_PROTOCOL_VIOLATION')`; after one, discard the
 * parser and close the connection.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { AirlockError } from '../../../core/errors.js';
import { FrameBuffer, type Framing } from '../../../wire/frame-buffer.js';
import {
  BackendCode,
  DEFAULT_MAX_MESSAGE_LENGTH,
  FrontendCode,
  MAX_STARTUP_LENGTH,
  RequestCode,
} from './codes.js';
import { Frame } from './messages.js';

/** Called once per frame; the Frame is reused, so copy what must outlive the call. */
export type FrameHandler = (frame: Frame) => void;

/** Size limits; the defaults match PostgreSQL's own. */
export interface ParserLimits {
  /** Largest data message (Query, Parse, Bind, CopyData, DataRow...). Default 256 MiB. */
  readonly maxMessageLength?: number;
  /** Largest startup packet. Default 10,000 bytes (PostgreSQL's MAX_STARTUP_PACKET_LENGTH). */
  readonly maxStartupLength?: number;
}

/** PostgreSQL's PQ_SMALL_MESSAGE_LIMIT for control messages that carry at most a name. */
const SMALL_MESSAGE_LIMIT = 10_000;
/** PG_MAX_AUTH_TOKEN_LENGTH: a password or SASL message. */
const AUTH_MESSAGE_LIMIT = 65_535;

/** Per-tag body-length caps; 0 marks an unknown tag. -1 means "the data cap". */
function capTable(entries: readonly (readonly [number, number])[]): Int32Array {
  const table = new Int32Array(256);
  for (const [code, cap] of entries) table[code] = cap;
  return table;
}

const DATA = -1;
/** Bodyless messages: length must be exactly 4. */
const EMPTY = 4;

const FRONTEND_CAPS = capTable([
  [FrontendCode.Bind, DATA],
  [FrontendCode.Close, SMALL_MESSAGE_LIMIT],
  [FrontendCode.CopyData, DATA],
  [FrontendCode.CopyDone, EMPTY],
  [FrontendCode.CopyFail, SMALL_MESSAGE_LIMIT],
  [FrontendCode.Describe, SMALL_MESSAGE_LIMIT],
  [FrontendCode.Execute, SMALL_MESSAGE_LIMIT],
  [FrontendCode.Flush, EMPTY],
  [FrontendCode.FunctionCall, DATA],
  [FrontendCode.Parse, DATA],
  [FrontendCode.Password, AUTH_MESSAGE_LIMIT],
  [FrontendCode.Query, DATA],
  [FrontendCode.Sync, EMPTY],
  [FrontendCode.Terminate, EMPTY],
]);

const BACKEND_CAPS = capTable([
  ...Object.values(BackendCode).map((code) => [code, DATA] as const),
  [BackendCode.BindComplete, EMPTY],
  [BackendCode.CloseComplete, EMPTY],
  [BackendCode.CopyDone, EMPTY],
  [BackendCode.EmptyQueryResponse, EMPTY],
  [BackendCode.NoData, EMPTY],
  [BackendCode.ParseComplete, EMPTY],
  [BackendCode.PortalSuspended, EMPTY],
]);

function describeTag(code: number): string {
  return code >= 0x20 && code < 0x7f
    ? `'${String.fromCharCode(code)}'`
    : `0x${code.toString(16).padStart(2, '0')}`;
}

/** Length check shared by both tagged framings; returns the whole frame length (tag included). */
function taggedLength(
  buffer: Buffer,
  offset: number,
  caps: Int32Array,
  dataCap: number,
  side: string,
): number {
  const code = buffer[offset]!;
  const cap = caps[code]!;
  if (cap === 0) {
    throw new AirlockError(
      'ERR_PROTOCOL_VIOLATION',
      `expected a ${side} message tag, received ${describeTag(code)}`,
    );
  }
  const length = buffer.readInt32BE(offset + 1);
  const max = cap === DATA ? dataCap : cap;
  if (length < 4 || length > max || (cap === EMPTY && length !== 4)) {
    const expected = cap === EMPTY ? 'exactly 4' : `between 4 and ${max}`;
    throw new AirlockError(
      'ERR_PROTOCOL_VIOLATION',
      `expected a length ${expected} for ${side} message ${describeTag(code)}, received ${length}`,
    );
  }
  return length + 1;
}

/**
 * Client → Airlock. Starts in the `startup` phase (untagged packets: SSLRequest, GSSENCRequest,
 * CancelRequest, StartupMessage) and switches to `tagged` right after delivering a StartupMessage.
 */
export class FrontendParser implements Framing {
  readonly #frames = new FrameBuffer();
  readonly #frame = new Frame();
  #maxMessage: number;
  readonly #maxStartup: number;
  #phase: 'startup' | 'tagged';
  #onFrame: FrameHandler | undefined;
  readonly #sink = (buffer: Buffer, start: number, end: number, stable: boolean): void => {
    const frame = this.#frame;
    frame.buffer = buffer;
    frame.start = start;
    frame.end = end;
    frame.stable = stable;
    if (this.#phase === 'tagged') {
      frame.code = buffer[start]!;
      frame.bodyStart = start + 5;
    } else {
      frame.code = checkStartupCode(buffer.readUInt32BE(start + 4));
      frame.bodyStart = start + 8;
      if (frame.code >>> 16 === 3) this.#phase = 'tagged';
    }
    this.#onFrame!(frame);
  };

  constructor(options: ParserLimits & { readonly phase?: 'startup' | 'tagged' } = {}) {
    this.#maxMessage = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.#maxStartup = options.maxStartupLength ?? MAX_STARTUP_LENGTH;
    this.#phase = options.phase ?? 'startup';
  }

  /** `startup` until a StartupMessage has been delivered, then `tagged`. */
  get phase(): 'startup' | 'tagged' {
    return this.#phase;
  }

  /** Bytes of an incomplete frame held for the next chunk. */
  get pendingBytes(): number {
    return this.#frames.pendingBytes;
  }

  /**
   * The cap on one tagged message. An engine lowers it while the client is unauthenticated (nothing
   * bigger than a password is due then) and raises it once the session is open.
   */
  get maxMessageLength(): number {
    return this.#maxMessage;
  }

  set maxMessageLength(length: number) {
    this.#maxMessage = length;
  }

  get headerSize(): number {
    return this.#phase === 'tagged' ? 5 : 4;
  }

  frameLength(buffer: Buffer, offset: number): number {
    if (this.#phase === 'tagged') {
      return taggedLength(buffer, offset, FRONTEND_CAPS, this.#maxMessage, 'frontend');
    }
    const length = buffer.readInt32BE(offset);
    if (length < 8 || length > this.#maxStartup) {
      throw new AirlockError(
        'ERR_PROTOCOL_VIOLATION',
        `expected a startup packet length between 8 and ${this.#maxStartup}, received ${length}`,
      );
    }
    return length;
  }

  /** Frames `chunk` and calls `onFrame` for each complete frame, synchronously. */
  parse(chunk: Buffer, onFrame: FrameHandler): void {
    this.#onFrame = onFrame;
    this.#frames.feed(chunk, this, this.#sink);
  }
}

function checkStartupCode(code: number): number {
  if (
    code === RequestCode.SSLRequest ||
    code === RequestCode.GSSENCRequest ||
    code === RequestCode.CancelRequest ||
    code >>> 16 === 3
  ) {
    return code;
  }
  throw new AirlockError(
    'ERR_PROTOCOL_VIOLATION',
    `expected protocol 3.x or a known request code, received ${code >>> 16}.${code & 0xffff}`,
  );
}

/** Server → Airlock. Tagged messages only (the one-byte SSL answer is read before it). */
export class BackendParser implements Framing {
  readonly #frames = new FrameBuffer();
  readonly #frame = new Frame();
  readonly #maxMessage: number;
  readonly headerSize = 5;
  #onFrame: FrameHandler | undefined;
  readonly #sink = (buffer: Buffer, start: number, end: number, stable: boolean): void => {
    const frame = this.#frame;
    frame.buffer = buffer;
    frame.start = start;
    frame.end = end;
    frame.stable = stable;
    frame.code = buffer[start]!;
    frame.bodyStart = start + 5;
    this.#onFrame!(frame);
  };

  constructor(options: ParserLimits = {}) {
    this.#maxMessage = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  get pendingBytes(): number {
    return this.#frames.pendingBytes;
  }

  frameLength(buffer: Buffer, offset: number): number {
    return taggedLength(buffer, offset, BACKEND_CAPS, this.#maxMessage, 'backend');
  }

  /** Frames `chunk` and calls `onFrame` for each complete frame, synchronously. */
  parse(chunk: Buffer, onFrame: FrameHandler): void {
    this.#onFrame = onFrame;
    this.#frames.feed(chunk, this, this.#sink);
  }
}
