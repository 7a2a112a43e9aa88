/**
 * @module Query cancellation. Clients receive Airlock's own BackendKeyData (a process id from a
 * counter and a random secret), never the upstream's: a CancelRequest arrives on a new, unauthenticated
 * socket, so the key is the only credential it carries. Airlock looks the key up (comparing the
 * secret in constant time), opens a connection to that session's target (same TLS mode) and sends
 * the upstream's real key. An unknown key is dropped silently, as PostgreSQL does. A session whose
 * statement is held for review has no upstream backend yet: its cancel ends the hold instead.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Connection } from '../../core/connection.js';
import { type AirlockError, toAirlockError } from '../../core/errors.js';
import { cancelRequest } from './codec/serializer.js';
import { openUpstreamSocket } from './upstream.js';

/** Where a cancel must go: the session's target and the upstream backend's real key. */
export interface CancelTarget {
  readonly connection: Connection;
  readonly processId: number;
  readonly secretKey: Buffer;
  /**
   * Set while the session's statement is held for review, before any upstream backend exists:
   * a cancel ends that wait (hold.ts) instead of being forwarded.
   */
  readonly cancelHold?: (() => void) | undefined;
}

/** The key Airlock gave a client. */
export interface IssuedKey {
  readonly processId: number;
  readonly secretKey: Buffer;
}

const MAX_PID = 0x7fffffff;

/** Issued cancel keys of the live sessions of one engine. */
export class CancelKeys {
  readonly #entries = new Map<number, { readonly secret: Buffer; readonly target: CancelTarget }>();
  /** Starts at a random point so keys from before a restart rarely collide with new ones. */
  #next = randomInt(1, MAX_PID);

  /** A fresh key for a session whose upstream backend is `target`. */
  issue(target: CancelTarget): IssuedKey {
    while (this.#entries.has(this.#next)) this.#advance();
    const processId = this.#next;
    this.#advance();
    const secretKey = randomBytes(4);
    this.#entries.set(processId, { secret: secretKey, target });
    return { processId, secretKey };
  }

  /** Forgets a session's key when it ends. */
  release(processId: number): void {
    this.#entries.delete(processId);
  }

  /** The target for a presented key, or undefined. The secret is compared in constant time. */
  find(processId: number, secretKey: Buffer): CancelTarget | undefined {
    const entry = this.#entries.get(processId);
    if (!entry || entry.secret.length !== secretKey.length) return undefined;
    return timingSafeEqual(entry.secret, secretKey) ? entry.target : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  #advance(): void {
    this.#next = this.#next >= MAX_PID ? 1 : this.#next + 1;
  }
}

/**
 * Sends the real CancelRequest to the target. Resolves when the target closed the socket (it
 * answers nothing) or after `timeoutMs`. Never throws: a cancel is best effort, as in libpq; a
 * failure to reach the target is returned for the log.
 */
export async function forwardCancel(
  target: CancelTarget,
  timeoutMs: number,
): Promise<AirlockError | undefined> {
  let socket: Awaited<ReturnType<typeof openUpstreamSocket>>;
  try {
    socket = await openUpstreamSocket({ connection: target.connection, timeoutMs });
  } catch (err) {
    return toAirlockError(err, 'ERR_UPSTREAM_UNREACHABLE');
  }
  return new Promise<undefined>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    socket.end(cancelRequest(target.processId, target.secretKey));
    socket.resume();
  });
}
