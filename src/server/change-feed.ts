/**
 * @module Notices changes other processes made to the store (the CLI with --config, another
 * replica) within a second: polls the change feed and reacts, e.g. ends sessions of a revoked token.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { AirlockError } from '../core/errors.js';
import type { Gate } from '../core/gate.js';
import {
  LOCK_CREATED,
  type LockService,
  lockCovers,
  lockedError,
  SESSION_TERMINATE,
} from '../identity/locks.js';
import { TOKEN_ID_REVOKED } from '../identity/tokens.js';
import { changesSince, latestChangeId } from '../store/changes.js';
import type { Database } from '../store/schema.js';

/** What the feed calls for each change. */
export type ChangeHandler = (change: { kind: string; ref: string }) => void;

/** Polls every `intervalMs` (default 250) until `stop()`. */
export async function watchChanges(
  db: Kysely<Database>,
  log: Logger,
  onChange: ChangeHandler,
  intervalMs = 250,
): Promise<{ stop(): void }> {
  let last = await latestChangeId(db);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const change of await changesSince(db, last)) {
        last = Math.max(last, change.id);
        onChange(change);
      }
    } catch (err) {
      log.warn({ err }, 'change feed poll failed');
    } finally {
      busy = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Ends the live sessions a change cuts off: a revoked token's (by id, which covers exchanged tokens
 * acting as their root; delegates get their own change by name), a new lock's, and one session
 * an operator asked to terminate. Whichever process made the change, this server acts within a poll.
 */
export function endSessionsFor(
  change: { kind: string; ref: string },
  deps: { readonly gate: Gate; readonly locks: LockService; readonly log: Logger },
): void {
  const { gate, locks, log } = deps;
  if (change.kind === TOKEN_ID_REVOKED) {
    const ended = gate.terminateWhere(
      (s) => s.identity.issuer === 'airlock' && s.identity.tokenId === change.ref,
      new AirlockError('ERR_TOKEN_REVOKED', `token ${change.ref} revoked`),
    );
    if (ended) log.info({ tokenId: change.ref, sessions: ended }, 'ended sessions of revoked token');
  } else if (change.kind === SESSION_TERMINATE) {
    const userMessage = 'the session was terminated by an administrator';
    const ended = gate.terminateWhere(
      (s) => s.id === change.ref,
      new AirlockError('ERR_SESSION_TERMINATED', `session ${change.ref} terminated`, { userMessage }),
    );
    if (ended) log.info({ session: change.ref }, 'terminated session');
  } else if (change.kind === LOCK_CREATED) {
    locks
      .get(change.ref)
      .then((lock) => {
        if (!lock || !locks.inForce(lock)) return;
        const ended = gate.terminateWhere(
          (s) => lockCovers(lock, s.identity, s.connection.name),
          lockedError(lock),
        );
        if (ended) log.info({ lock: lock.id, sessions: ended }, 'ended sessions of lock');
      })
      .catch((err: unknown) => log.warn({ err, lock: change.ref }, 'could not apply lock'));
  }
}
