/**
 * @module Message shapes of the PostgreSQL protocol, as the decoders return them, plus `Frame`, the
 * undecoded view the parsers hand out. Every decoded message keeps `raw`, a view of its original
 * bytes, so a relay forwards what the peer sent. Views (`raw`, Bind parameters, DataRow values) live
 * only as long as the frame: copy them to keep them past the callback unless `frame.stable`.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

const EMPTY = Buffer.alloc(0);

/**
 * One undecoded frame: the cheap "peek" path. `code` is the tag byte for tagged messages and the
 * request code (or protocol version) for startup packets. The parser reuses one Frame per parser,
 * so read what you need inside the callback.
 */
export class Frame {
  code = 0;
  buffer: Buffer = EMPTY;
  /** Offset of the frame's first byte (tag, or length for startup packets). */
  start = 0;
  /** Offset just past the frame. */
  end = 0;
  /** Offset of the body (after tag and length; after length and code for startup packets). */
  bodyStart = 0;
  /** True when `buffer` is never written again, so views of it may be kept (adopted chunks). */
  stable = false;

  /** Whole frame length, header included. */
  get length(): number {
    return this.end - this.start;
  }

  /** A view of the frame's original bytes. */
  get raw(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /** True for untagged startup packets (length, then request code or protocol version). */
  get isStartupPacket(): boolean {
    return this.bodyStart - this.start === 8;
  }

  /** A new Frame over a private copy of the bytes: safe to keep after the callback returns. */
  detach(): Frame {
    const copy = new Frame();
    copy.code = this.code;
    copy.buffer = Buffer.from(this.raw);
    copy.start = 0;
    copy.end = copy.buffer.length;
    copy.bodyStart = this.bodyStart - this.start;
    copy.stable = true;
    return copy;
  }
}

// ---- startup packets (untagged) -------------------------------------------------------------

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SSLREQUEST */
export interface SSLRequest {
  readonly name: 'sslRequest';
  readonly raw: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-GSSENCREQUEST */
export interface GSSENCRequest {
  readonly name: 'gssEncRequest';
  readonly raw: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CANCELREQUEST */
export interface CancelRequest {
  readonly name: 'cancelRequest';
  readonly raw: Buffer;
  readonly processId: number;
  /** 4 bytes in protocol 3.0; variable (up to 256) from 3.2. */
  readonly secretKey: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE */
export interface StartupMessage {
  readonly name: 'startup';
  readonly raw: Buffer;
  readonly major: number;
  readonly minor: number;
  /** Parameter name → value, in the order sent (user, database, options, _pq_.* ...). */
  readonly parameters: ReadonlyMap<string, string>;
}

/** Anything a client may send before its StartupMessage. */
export type StartupPacket = SSLRequest | GSSENCRequest | CancelRequest | StartupMessage;

// ---- frontend (client → server) -------------------------------------------------------------

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-QUERY */
export interface QueryMessage {
  readonly name: 'query';
  readonly raw: Buffer;
  readonly text: string;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARSE */
export interface ParseMessage {
  readonly name: 'parse';
  readonly raw: Buffer;
  /** Prepared statement name; "" is the unnamed statement. */
  readonly statement: string;
  readonly text: string;
  readonly parameterTypes: readonly number[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BIND */
export interface BindMessage {
  readonly name: 'bind';
  readonly raw: Buffer;
  readonly portal: string;
  readonly statement: string;
  /** Zero codes: all text; one: applies to all; else one per parameter. 0 text, 1 binary. */
  readonly parameterFormats: readonly number[];
  /** Views of the values; null is SQL NULL. */
  readonly parameters: readonly (Buffer | null)[];
  readonly resultFormats: readonly number[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DESCRIBE */
export interface DescribeMessage {
  readonly name: 'describe';
  readonly raw: Buffer;
  /** 'S' statement or 'P' portal. */
  readonly kind: 'S' | 'P';
  readonly target: string;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-EXECUTE */
export interface ExecuteMessage {
  readonly name: 'execute';
  readonly raw: Buffer;
  readonly portal: string;
  /** 0 means no limit. */
  readonly maxRows: number;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CLOSE */
export interface CloseMessage {
  readonly name: 'close';
  readonly raw: Buffer;
  readonly kind: 'S' | 'P';
  readonly target: string;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-FUNCTIONCALL */
export interface FunctionCallMessage {
  readonly name: 'functionCall';
  readonly raw: Buffer;
  readonly oid: number;
  readonly argumentFormats: readonly number[];
  readonly arguments: readonly (Buffer | null)[];
  readonly resultFormat: number;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYDATA */
export interface CopyDataMessage {
  readonly name: 'copyData';
  readonly raw: Buffer;
  readonly data: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYFAIL */
export interface CopyFailMessage {
  readonly name: 'copyFail';
  readonly raw: Buffer;
  readonly message: string;
}

/**
 * PasswordMessage, SASLInitialResponse or SASLResponse: the tag is shared and only the
 * authentication exchange in progress tells them apart, so the body stays undecoded here.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PASSWORDMESSAGE
 */
export interface PasswordMessage {
  readonly name: 'password';
  readonly raw: Buffer;
  readonly body: Buffer;
}

/** Bodyless frontend messages: Sync, Flush, CopyDone, Terminate. */
export interface BodylessFrontendMessage {
  readonly name: 'sync' | 'flush' | 'copyDone' | 'terminate';
  readonly raw: Buffer;
}

/** Every tagged message a client may send. */
export type FrontendMessage =
  | QueryMessage
  | ParseMessage
  | BindMessage
  | DescribeMessage
  | ExecuteMessage
  | CloseMessage
  | FunctionCallMessage
  | CopyDataMessage
  | CopyFailMessage
  | PasswordMessage
  | BodylessFrontendMessage;

// ---- backend (server → client) --------------------------------------------------------------

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONOK */
export interface AuthenticationMessage {
  readonly name: 'authentication';
  readonly raw: Buffer;
  /** An `AuthenticationType` value. */
  readonly type: number;
  /** MD5Password: the 4-byte salt. */
  readonly salt?: Buffer;
  /** SASL: the mechanisms offered. */
  readonly mechanisms?: readonly string[];
  /** SASLContinue / SASLFinal / GSSContinue: the payload. */
  readonly data?: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERSTATUS */
export interface ParameterStatusMessage {
  readonly name: 'parameterStatus';
  readonly raw: Buffer;
  readonly parameter: string;
  readonly value: string;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BACKENDKEYDATA */
export interface BackendKeyDataMessage {
  readonly name: 'backendKeyData';
  readonly raw: Buffer;
  readonly processId: number;
  readonly secretKey: Buffer;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY */
export interface ReadyForQueryMessage {
  readonly name: 'readyForQuery';
  readonly raw: Buffer;
  /** A `TransactionStatus` byte. */
  readonly status: number;
}

/**
 * The fields of an ErrorResponse or NoticeResponse.
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export interface NoticeFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;
  readonly where?: string;
  /** Every field by its type byte, including the ones named above. */
  readonly all: ReadonlyMap<number, string>;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ERRORRESPONSE */
export interface ErrorResponseMessage {
  readonly name: 'errorResponse';
  readonly raw: Buffer;
  readonly fields: NoticeFields;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NOTICERESPONSE */
export interface NoticeResponseMessage {
  readonly name: 'noticeResponse';
  readonly raw: Buffer;
  readonly fields: NoticeFields;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COMMANDCOMPLETE */
export interface CommandCompleteMessage {
  readonly name: 'commandComplete';
  readonly raw: Buffer;
  /** E.g. `INSERT 0 3`, `SELECT 10`, `BEGIN`. */
  readonly tag: string;
}

/** One column of a RowDescription. */
export interface FieldDescription {
  readonly name: string;
  readonly tableOid: number;
  readonly columnAttribute: number;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
  readonly format: number;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION */
export interface RowDescriptionMessage {
  readonly name: 'rowDescription';
  readonly raw: Buffer;
  readonly fields: readonly FieldDescription[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DATAROW */
export interface DataRowMessage {
  readonly name: 'dataRow';
  readonly raw: Buffer;
  /** Views of the column values; null is SQL NULL. */
  readonly values: readonly (Buffer | null)[];
}

/** CopyInResponse (G), CopyOutResponse (H), CopyBothResponse (W). */
export interface CopyResponseMessage {
  readonly name: 'copyInResponse' | 'copyOutResponse' | 'copyBothResponse';
  readonly raw: Buffer;
  /** 0 text, 1 binary. */
  readonly format: number;
  readonly columnFormats: readonly number[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERDESCRIPTION */
export interface ParameterDescriptionMessage {
  readonly name: 'parameterDescription';
  readonly raw: Buffer;
  readonly typeOids: readonly number[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NOTIFICATIONRESPONSE */
export interface NotificationResponseMessage {
  readonly name: 'notificationResponse';
  readonly raw: Buffer;
  readonly processId: number;
  readonly channel: string;
  readonly payload: string;
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NEGOTIATEPROTOCOLVERSION */
export interface NegotiateProtocolVersionMessage {
  readonly name: 'negotiateProtocolVersion';
  readonly raw: Buffer;
  readonly newestMinor: number;
  readonly unrecognizedOptions: readonly string[];
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-FUNCTIONCALLRESPONSE */
export interface FunctionCallResponseMessage {
  readonly name: 'functionCallResponse';
  readonly raw: Buffer;
  readonly value: Buffer | null;
}

/** Bodyless backend messages. */
export interface BodylessBackendMessage {
  readonly name:
    | 'parseComplete'
    | 'bindComplete'
    | 'closeComplete'
    | 'noData'
    | 'emptyQueryResponse'
    | 'portalSuspended'
    | 'copyDone';
  readonly raw: Buffer;
}

/** Every message a server may send. */
export type BackendMessage =
  | AuthenticationMessage
  | ParameterStatusMessage
  | BackendKeyDataMessage
  | ReadyForQueryMessage
  | ErrorResponseMessage
  | NoticeResponseMessage
  | CommandCompleteMessage
  | RowDescriptionMessage
  | DataRowMessage
  | CopyResponseMessage
  | CopyDataMessage
  | ParameterDescriptionMessage
  | NotificationResponseMessage
  | NegotiateProtocolVersionMessage
  | FunctionCallResponseMessage
  | BodylessBackendMessage;
