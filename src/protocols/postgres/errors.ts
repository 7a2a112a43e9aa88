/**
 * @module How Airlock's errors reach a PostgreSQL client, and how the upstream's failures become
 * Airlock errors. Client-facing text comes from the error catalog only, so neither the upstream's
 * address nor the held credential can leak through an error; operator messages (logs) may name the
 * upstream's host and port, never the password.
 */
import { AirlockError } from '../../core/errors.js';
import type { NoticeFields } from './codec/messages.js';
import { errorResponse } from './codec/serializer.js';

/**
 * The ErrorResponse for `err`: SQLSTATE and severity from its catalog entry (or `severity` when the
 * caller knows better: statement denials are ERROR, anything that ends the session is FATAL),
 * message = the client-safe `userMessage`, detail = `err.detail`, hint = the catalog's action.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ERRORRESPONSE
 */
export function toWireError(err: AirlockError, severity: 'ERROR' | 'FATAL' = err.entry.severity): Buffer {
  return errorResponse({
    severity,
    code: err.entry.sqlstate,
    message: err.userMessage,
    ...(err.detail ? { detail: err.detail } : {}),
    hint: err.action,
  });
}

/** Where an upstream connection attempt failed. */
export type UpstreamPhase = 'connect' | 'tls' | 'auth' | 'startup' | 'relay';

/** An upstream failure: the server's ErrorResponse fields, or a socket/TLS error. */
export type UpstreamFailure = { readonly fields: NoticeFields } | { readonly error: Error };

/**
 * Maps an upstream failure to a catalog error. `target` (host:port) goes into the operator message
 * only. Authentication refusals (SQLSTATE class 28) become ERR_UPSTREAM_AUTH_FAILED; TLS failures
 * ERR_UPSTREAM_TLS_FAILED; everything else ERR_UPSTREAM_UNREACHABLE. Settings the client passed on
 * that the target rejects (classes 22 and 42: bad `options`, unknown parameter) keep the server's
 * message as detail, since it only echoes what the client sent.
 */
export function convertUpstreamError(
  failure: UpstreamFailure,
  target: string,
  phase: UpstreamPhase,
): AirlockError {
  if ('error' in failure) {
    const err = failure.error as NodeJS.ErrnoException;
    const reason = err.code ? `${err.code}: ${err.message}` : err.message;
    const code = phase === 'tls' ? 'ERR_UPSTREAM_TLS_FAILED' : 'ERR_UPSTREAM_UNREACHABLE';
    return new AirlockError(code, `upstream ${target} (${phase}): ${reason}`, { cause: err });
  }
  const { code, message } = failure.fields;
  const operator = `upstream ${target} refused the session (${phase}): ${code} ${message}`;
  if (code.startsWith('28')) return new AirlockError('ERR_UPSTREAM_AUTH_FAILED', operator);
  if (code.startsWith('22') || code.startsWith('42')) {
    return new AirlockError('ERR_UPSTREAM_UNREACHABLE', operator, {
      userMessage: 'the target database refused the session settings the client sent',
      detail: message,
    });
  }
  return new AirlockError('ERR_UPSTREAM_UNREACHABLE', operator);
}
