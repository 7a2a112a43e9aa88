/**
 * @module Ends sessions that outlived what they were allowed: a connection's `limits.idle` (no
 * statement for that long) and `limits.maxSession`, and the expiry of the session's token. One
 * interval sweeps every live session of the server (no timer per session or per message); the
 * sweep reads the live connection catalog, so a config reload changes limits at once.
 * `identityLifecycle` composes what the gate asks at session open: delegation, locks, and
 * `limits.maxSessionsPerIdentity` (counted per root identity: a person and all their delegates).
 */
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import type { ConnectionCatalog, Gate, IdentityLifecycle } from '../core/gate.js';
import type { Identity } from '../core/identity.js';
import type { Session } from '../core/session.js';
import { accessPrincipal, narrowAccess } from '../identity/delegation.js';
import type { LockService } from '../identity/locks.js';

/** What the supervisor needs. */
export interface SessionSupervisorDeps {
  readonly gate: Gate;
  readonly clock: Clock;
  readonly connections: () => ConnectionCatalog;
  /** How often to sweep (default 250 ms: limits end sessions within a quarter second of being due). */
  readonly intervalMs?: number;
}

function timeout(userMessage: string): AirlockError {
  return new AirlockError('ERR_SESSION_TIMEOUT', userMessage, { userMessage });
}

/** Sweeps live sessions against their limits. */
export class SessionSupervisor {
  readonly #deps: SessionSupervisorDeps;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: SessionSupervisorDeps) {
    this.#deps = deps;
  }

  /** Starts the sweep interval (unref'd: it never keeps the process alive). */
  start(): void {
    this.#timer ??= setInterval(() => this.sweep(), this.#deps.intervalMs ?? 250);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Ends every session past a limit, its token's expiry or the end of the grant that admitted it; returns how many. */
  sweep(): number {
    const { gate, clock } = this.#deps;
    const now = clock.nowMs();
    let ended = 0;
    for (const live of [...gate.liveSessions()]) {
      const { session } = live;
      const expires = session.identity.expiresAt?.getTime();
      const grantEnds = session.access?.expiresAt?.getTime();
      let err: AirlockError | undefined;
      if (expires !== undefined && now >= expires) {
        err = timeout(
          `the token of "${session.identity.subject}" expired at ${new Date(expires).toISOString()}`,
        );
      } else if (grantEnds !== undefined && now >= grantEnds) {
        err = timeout(
          `the grant that admitted this session (${session.access?.grantId}) ended at ${new Date(grantEnds).toISOString()}`,
        );
      } else {
        const limits = (this.#deps.connections().get(session.connection.name) ?? session.connection).limits;
        if (limits?.maxSessionMs !== undefined && now - session.startedAt.getTime() >= limits.maxSessionMs) {
          err = timeout(
            `the session reached the maximum length of ${formatMs(limits.maxSessionMs)} on "${session.connection.name}"`,
          );
        } else if (limits?.idleMs !== undefined) {
          const last = gate.lastActiveMs(session.id) ?? session.startedAt.getTime();
          if (now - last >= limits.idleMs) {
            err = timeout(
              `the session was idle for ${formatMs(limits.idleMs)} on "${session.connection.name}"`,
            );
          }
        }
      }
      if (err) {
        live.terminate(err);
        ended++;
      }
    }
    return ended;
  }
}

/** `90000` → `1m30s`, for messages. */
export function formatMs(ms: number): string {
  const units: [string, number][] = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) out += `${count}${unit}`;
    rest -= count * size;
  }
  return out || '0s';
}

/** Who a session counts against: the root of its chain (the person or service accountable), by subject and issuer. */
function rootKey(identity: Identity): string {
  const root = accessPrincipal(identity);
  return `${root.issuer}\u0000${root.subject}`;
}

/**
 * Live sessions on `connection` that count against the same root identity as `identity`: the
 * root's own and every delegate's, at any depth. Counting per root rather than per subject keeps
 * `limits.maxSessionsPerIdentity` from being multiplied by minting delegates.
 */
export function sessionsOf(
  gate: { liveSessions(): Iterable<{ readonly session: Session }> },
  identity: Identity,
  connection: string,
): number {
  const key = rootKey(identity);
  let count = 0;
  for (const { session } of gate.liveSessions()) {
    if (session.connection.name === connection && rootKey(session.identity) === key) count++;
  }
  return count;
}

/** The gate's lifecycle checks: delegation (identity/delegation.ts), locks, per-identity limits. */
export function identityLifecycle(deps: {
  readonly gate: () => Gate;
  readonly locks: LockService;
}): IdentityLifecycle {
  return {
    accessPrincipal,
    narrow: narrowAccess,
    async admit(identity: Identity, connection: Connection): Promise<void> {
      await deps.locks.check(identity, connection.name);
      const max = connection.limits?.maxSessionsPerIdentity;
      if (max !== undefined && sessionsOf(deps.gate(), identity, connection.name) >= max) {
        const root = accessPrincipal(identity).subject;
        const who = root === identity.subject ? `"${root}"` : `"${root}" (root of "${identity.subject}")`;
        const userMessage = `${who} already has ${max} open sessions on "${connection.name}", delegates included (limits.maxSessionsPerIdentity)`;
        throw new AirlockError('ERR_SESSION_LIMIT', userMessage, { userMessage });
      }
    },
  };
}
