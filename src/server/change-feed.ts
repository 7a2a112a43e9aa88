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
import { ACCESS_SUSPENDED, type SuspensionStore, suspensionCovers } from '../reviews/expiry.js';
import type { GrantStore } from '../reviews/grants.js';
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
  deps: {
    readonly gate: Gate;
    readonly locks: LockService;
    readonly log: Logger;
    /** Ends sessions a new suspension covers (src/reviews/expiry.ts). */
    readonly suspensions?: SuspensionStore;
    /** Ends sessions still on a narrowed grant's old scope. */
    readonly grants?: GrantStore;
  },
): void {
  const { gate, locks, log } = deps;
  if (change.kind === 'grant.revoked') {
    const userMessage = `the grant that admitted this session (${change.ref}) was revoked`;
    const ended = gate.terminateWhere(
      (s) => s.access?.grantId === change.ref,
      new AirlockError('ERR_SESSION_TERMINATED', `grant ${change.ref} revoked`, { userMessage }),
    );
    if (ended) log.info({ grant: change.ref, sessions: ended }, 'ended sessions of revoked grant');
    return;
  }
  if (change.kind === 'grant.narrowed' && deps.grants) {
    // Only sessions that may still do more than the new scope: one opened since has the new scope.
    deps.grants
      .get(change.ref)
      .then((grant) => {
        if (!grant) return;
        const userMessage = `the grant that admitted this session (${change.ref}) was narrowed to ${grant.scope}; reconnect to use it`;
        const ended = gate.terminateWhere(
          (s) => s.access?.grantId === change.ref && widerThan(s.access.actions, grant.actions),
          new AirlockError('ERR_SESSION_TERMINATED', `grant ${change.ref} narrowed`, { userMessage }),
        );
        if (ended) log.info({ grant: change.ref, sessions: ended }, 'ended sessions of narrowed grant');
      })
      .catch((err: unknown) => log.warn({ err, grant: change.ref }, 'could not apply narrowed grant'));
    return;
  }
  if (change.kind === ACCESS_SUSPENDED && deps.suspensions) {
    deps.suspensions
      .get(change.ref)
      .then((suspension) => {
        if (!suspension) return;
        const userMessage = `access of "${suspension.subject}" to "${suspension.connection}" was suspended (${suspension.reason}); an admin can lift it: airlock reviews restore --connection ${suspension.connection} --identity ${suspension.subject} --reason TEXT`;
        const ended = gate.terminateWhere(
          (s) =>
            s.connection.name === suspension.connection &&
            (s.identity.delegation?.root.subject ?? s.identity.subject) === suspension.subject &&
            suspensionCovers(suspension, s.access?.source ?? ''),
          new AirlockError('ERR_SESSION_TERMINATED', `suspension ${suspension.id}`, { userMessage }),
        );
        if (ended) log.info({ suspension: suspension.id, sessions: ended }, 'ended sessions of suspension');
      })
      .catch((err: unknown) => log.warn({ err, suspension: change.ref }, 'could not apply suspension'));
    return;
  }
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

/** True when a session's actions (undefined: every action) allow something `actions` (empty: every action) does not. */
function widerThan(session: ReadonlySet<string> | undefined, actions: readonly string[]): boolean {
  if (actions.length === 0) return false;
  if (session === undefined) return true;
  for (const action of session) if (!actions.includes(action)) return true;
  return false;
}
