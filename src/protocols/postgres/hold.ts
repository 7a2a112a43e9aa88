/**
 * @module Holding a session whose access review is stale, at its first statement, with no
 * upstream connection open. Why the first statement and not the connect: client connect timeouts
 * (libpq `connect_timeout`, driver pool timeouts) are short and would fire during a hold of minutes,
 * while a running statement may wait as long as the client likes. So the client gets a complete
 * greeting at once (AuthenticationOk, the target's ParameterStatus values, BackendKeyData and
 * ReadyForQuery), then its first statement is held: a NoticeResponse names the approval request,
 * and the statement runs once approved. Denied or timed out, the client gets an ERROR (42501 or
 * 57014, the request id in `detail`) and ReadyForQuery: the session stays, and its next statement
 * asks again (reusing the pending request), so an agent can `airlock approvals wait ID` and retry.
 * A CancelRequest (psql's Ctrl-C) during the wait fails the held statement the same way (57014,
 * "canceling statement due to user request"); the request stays pending.
 *
 * The greeting's ParameterStatus values (server_version, encodings...) come from the last upstream
 * connection to that target; when there has been none yet, one is opened and closed at once to learn
 * them. After approval the real upstream connection is opened and its ParameterStatus messages are
 * sent again (the protocol allows them at any time), so the client ends up with the true values.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC
 */
import type { Connection } from '../../core/connection.js';
import { AirlockError, toAirlockError } from '../../core/errors.js';
import type { Gate } from '../../core/gate.js';
import type { Session } from '../../core/session.js';
import { FrontendCode, TransactionStatus } from './codec/codes.js';
import type { Frame } from './codec/messages.js';
import { noticeResponse, readyForQuery } from './codec/serializer.js';
import { toWireError } from './errors.js';
import type { ClientInbox, ClientSocket } from './startup.js';
import { connectUpstream } from './upstream.js';

/** ParameterStatus frames each target sent last, by connection name (copies). */
export class GreetingCache {
  readonly #byConnection = new Map<string, readonly Buffer[]>();

  remember(connection: string, parameterStatus: readonly Buffer[]): void {
    this.#byConnection.set(connection, parameterStatus);
  }

  /** The target's parameters; learned with a short-lived connection when none is cached. */
  async get(
    connection: Connection,
    password: string,
    parameters: Iterable<readonly [string, string]>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<readonly Buffer[]> {
    const cached = this.#byConnection.get(connection.name);
    if (cached) return cached;
    const probe = await connectUpstream({ connection, timeoutMs, signal }, password, parameters);
    probe.socket.destroy();
    this.#byConnection.set(connection.name, probe.parameterStatus);
    return probe.parameterStatus;
  }
}

/** A NoticeResponse carrying `message`. */
export function holdNotice(message: string): Buffer {
  return noticeResponse({ severity: 'NOTICE', code: '00000', message });
}

/** Frames after which the client waits for an answer: the first statement is complete. */
function endsStatement(frame: Frame): boolean {
  return (
    frame.code === FrontendCode.Query ||
    frame.code === FrontendCode.FunctionCall ||
    frame.code === FrontendCode.Sync
  );
}

/** What `holdFirstStatement` needs. */
export interface HoldOptions {
  readonly gate: Gate;
  readonly session: Session;
  readonly client: ClientSocket;
  readonly inbox: ClientInbox;
  readonly signal: AbortSignal;
  /** Counts bytes Airlock writes to the client. */
  readonly sent: (bytes: number) => void;
  /**
   * Told how to cancel the wait while a statement is held, and `undefined` once it is not: the
   * engine routes the client's CancelRequest there (there is no upstream backend to cancel).
   */
  readonly cancellable?: (cancel: (() => void) | undefined) => void;
}

/**
 * The held statement's error after a CancelRequest: 57014, as PostgreSQL answers a cancelled
 * statement, with the request (still pending) in the detail so it can be approved and retried.
 */
function cancelledError(held: AirlockError): AirlockError {
  const request = /request: (\d+)/.exec(held.detail ?? '')?.[1];
  const userMessage = request
    ? `canceling statement due to user request; request ${request} stays pending (airlock approvals wait ${request}, then retry)`
    : 'canceling statement due to user request';
  return new AirlockError('ERR_HOLD_CANCELED', userMessage, {
    userMessage,
    ...(request ? { detail: `request: ${request}` } : {}),
  });
}

/**
 * Reads the client's first statement (up to a Query, FunctionCall or Sync) and holds it until the
 * session's review is approved. Returns the approved session and the frames to relay first, or null
 * when the client left (Terminate or closed).
 */
export async function holdFirstStatement(
  options: HoldOptions,
): Promise<{ readonly session: Session; readonly frames: Frame[] } | null> {
  const { client, inbox, gate, signal } = options;
  const write = (bytes: Buffer) => {
    options.sent(bytes.length);
    client.write(bytes);
  };
  for (;;) {
    const frames: Frame[] = [];
    for (;;) {
      const frame = await inbox.next();
      if (!frame || frame.code === FrontendCode.Terminate) return null;
      frames.push(frame);
      if (endsStatement(frame)) break;
    }
    // A CancelRequest ends this statement's wait only; closing the client ends everything.
    const cancel = new AbortController();
    options.cancellable?.(() => cancel.abort());
    try {
      const session = await gate.awaitSessionReview(
        options.session,
        (text) => write(holdNotice(text)),
        AbortSignal.any([signal, cancel.signal]),
      );
      return { session, frames };
    } catch (thrown) {
      let err = toAirlockError(thrown);
      if (cancel.signal.aborted && !signal.aborted) err = cancelledError(err);
      if (
        err.code !== 'ERR_APPROVAL_DENIED' &&
        err.code !== 'ERR_APPROVAL_TIMEOUT' &&
        err.code !== 'ERR_HOLD_CANCELED'
      )
        throw err;
      // The statement (or batch up to its Sync) fails; the session stays and may ask again.
      write(Buffer.concat([toWireError(err, 'ERROR'), readyForQuery(TransactionStatus.Idle)]));
    } finally {
      options.cancellable?.(undefined);
    }
  }
}
