/**
 * @module Builds the messages Airlock itself sends: backend messages to clients (authentication
 * requests, errors, notices, session parameters, our own cancel key, ReadyForQuery) and frontend
 * messages to the upstream server (startup, SSL request, password and SASL responses, cancel, Sync,
 * Terminate). Constant messages are built once at module load; the rest go through one module-level
 * writer whose output is never overwritten, so results may be handed straight to `socket.write`.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { BufferWriter } from '../../../wire/buffer-writer.js';
import {
  AuthenticationType,
  BackendCode,
  ErrorField,
  FrontendCode,
  PROTOCOL_3_0,
  RequestCode,
  SslResponse,
  TransactionStatus,
} from './codes.js';

const writer = new BufferWriter();

/** Copies a writer result into its own buffer, for constants kept for the process lifetime. */
function constant(message: Buffer): Buffer {
  return Buffer.from(message);
}

// ---- backend messages (Airlock → client) ----------------------------------------------------

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONCLEARTEXTPASSWORD */
export const authenticationCleartextPassword: Buffer = constant(
  writer.int32(AuthenticationType.CleartextPassword).flush(BackendCode.Authentication),
);

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONOK */
export const authenticationOk: Buffer = constant(
  writer.int32(AuthenticationType.Ok).flush(BackendCode.Authentication),
);

/** The one-byte answers to SSLRequest and GSSENCRequest. */
export const sslAccepted: Buffer = Buffer.from([SslResponse.Accept]);
export const sslRefused: Buffer = Buffer.from([SslResponse.Refuse]);

const readyIdle = constant(writer.byte(TransactionStatus.Idle).flush(BackendCode.ReadyForQuery));
const readyInTransaction = constant(
  writer.byte(TransactionStatus.InTransaction).flush(BackendCode.ReadyForQuery),
);
const readyFailed = constant(writer.byte(TransactionStatus.Failed).flush(BackendCode.ReadyForQuery));

/**
 * ReadyForQuery with a `TransactionStatus` byte; the three possible messages are constants.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY
 */
export function readyForQuery(status: number): Buffer {
  if (status === TransactionStatus.InTransaction) return readyInTransaction;
  if (status === TransactionStatus.Failed) return readyFailed;
  return readyIdle;
}

/** Fields of an ErrorResponse or NoticeResponse Airlock writes. */
export interface OutgoingNotice {
  /** ERROR, FATAL, PANIC (errors); WARNING, NOTICE, DEBUG, INFO, LOG (notices). */
  readonly severity: string;
  /** SQLSTATE, five characters. */
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

function notice(fields: OutgoingNotice, code: number): Buffer {
  writer.byte(ErrorField.Severity).cstring(fields.severity);
  writer.byte(ErrorField.SeverityNonLocalized).cstring(fields.severity);
  writer.byte(ErrorField.Code).cstring(fields.code);
  writer.byte(ErrorField.Message).cstring(fields.message);
  if (fields.detail) writer.byte(ErrorField.Detail).cstring(fields.detail);
  if (fields.hint) writer.byte(ErrorField.Hint).cstring(fields.hint);
  return writer.byte(0).flush(code);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ERRORRESPONSE */
export function errorResponse(fields: OutgoingNotice): Buffer {
  return notice(fields, BackendCode.ErrorResponse);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NOTICERESPONSE */
export function noticeResponse(fields: OutgoingNotice): Buffer {
  return notice(fields, BackendCode.NoticeResponse);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERSTATUS */
export function parameterStatus(parameter: string, value: string): Buffer {
  return writer.cstring(parameter).cstring(value).flush(BackendCode.ParameterStatus);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BACKENDKEYDATA */
export function backendKeyData(processId: number, secretKey: Uint8Array): Buffer {
  return writer.int32(processId).bytes(secretKey).flush(BackendCode.BackendKeyData);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NEGOTIATEPROTOCOLVERSION */
export function negotiateProtocolVersion(
  newestMinor: number,
  unrecognizedOptions: readonly string[],
): Buffer {
  writer.int32(newestMinor).int32(unrecognizedOptions.length);
  for (const option of unrecognizedOptions) writer.cstring(option);
  return writer.flush(BackendCode.NegotiateProtocolVersion);
}

// ---- frontend messages (Airlock → upstream server) ------------------------------------------

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SSLREQUEST */
export const sslRequest: Buffer = constant(writer.int32(RequestCode.SSLRequest).flush());

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SYNC */
export const sync: Buffer = constant(writer.flush(FrontendCode.Sync));

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-FLUSH */
export const flush: Buffer = constant(writer.flush(FrontendCode.Flush));

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-TERMINATE */
export const terminate: Buffer = constant(writer.flush(FrontendCode.Terminate));

/**
 * A protocol 3.0 StartupMessage with the given parameters (user, database, options...).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
export function startupMessage(parameters: Iterable<readonly [string, string]>): Buffer {
  writer.int32(PROTOCOL_3_0);
  for (const [name, value] of parameters) writer.cstring(name).cstring(value);
  return writer.byte(0).flush();
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PASSWORDMESSAGE */
export function passwordMessage(password: string): Buffer {
  return writer.cstring(password).flush(FrontendCode.Password);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SASLINITIALRESPONSE */
export function saslInitialResponse(mechanism: string, data: Uint8Array): Buffer {
  return writer.cstring(mechanism).int32(data.length).bytes(data).flush(FrontendCode.Password);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SASLRESPONSE */
export function saslResponse(data: Uint8Array): Buffer {
  return writer.bytes(data).flush(FrontendCode.Password);
}

/** @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CANCELREQUEST */
export function cancelRequest(processId: number, secretKey: Uint8Array): Buffer {
  return writer.int32(RequestCode.CancelRequest).int32(processId).bytes(secretKey).flush();
}

/**
 * Execute of a portal by name (maxRows 0). Airlock sends one for a portal name that cannot exist to
 * make the server fail, and so roll back, an implicit transaction the client believes failed.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-EXECUTE
 */
export function execute(portal: string, maxRows = 0): Buffer {
  return writer.cstring(portal).int32(maxRows).flush(FrontendCode.Execute);
}
