/**
 * @module Locks (`airlock lock`, like `tctl lock`): cut an identity or a connection off now, not at
 * the next review. A live lock refuses new sessions (checked at every session open, on the store,
 * so every replica agrees) and every server ends the matching live sessions within a second of
 * `lock.created` appearing in the change feed. Locking an identity locks its delegates too: a
 * session matches when the subject is the session's identity or anyone in its chain. `group:NAME`
 * locks every member of a group, delegates included through their root's groups.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, toIdentityRef } from '../core/identity.js';
import { recordChange } from '../store/changes.js';
import type { Database, LocksTable } from '../store/schema.js';

/** What a lock applies to. */
export type LockTargetKind = 'identity' | 'connection';

/** A lock as listed. Times are ISO-8601. */
export interface LockView {
  readonly id: string;
  readonly targetKind: LockTargetKind;
  readonly target: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly removedAt: string | null;
  readonly removedBy: string | null;
}

/** Input for a new lock. */
export interface CreateLockInput {
  readonly targetKind: LockTargetKind;
  readonly target: string;
  readonly reason: string;
  /** Absent: until unlocked. */
  readonly ttlMs?: number;
}

/** Change-feed kinds (server/change-feed.ts ends the sessions a new lock covers). */
export const LOCK_CREATED = 'lock.created';
/** Change kind of `airlock sessions terminate`: ref is the session id. */
export const SESSION_TERMINATE = 'session.terminate';

function toView(row: LocksTable): LockView {
  return {
    id: row.id,
    targetKind: row.target_kind as LockTargetKind,
    target: row.target,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    removedAt: row.removed_at,
    removedBy: row.removed_by,
  };
}

/**
 * True when `lock` covers a session of `identity` on `connection`. An identity lock names a subject
 * (`alice` or `user:alice`) or a group (`group:NAME`, like `tctl lock --role`). A subject lock covers
 * that identity and everyone acting for it: its delegates and theirs, since each carries the whole
 * chain. A group lock covers members of the group and every delegate whose ROOT is a member: a
 * delegate has no groups of its own and acts with its root's, so the root's groups decide.
 */
export function lockCovers(lock: LockView, identity: Identity, connection: string): boolean {
  if (lock.targetKind === 'connection') return lock.target === connection;
  if (lock.target.startsWith('group:')) {
    const group = lock.target.slice('group:'.length);
    return identity.groups.includes(group) || (identity.delegation?.root.groups.includes(group) ?? false);
  }
  const subject = lock.target.startsWith('user:') ? lock.target.slice('user:'.length) : lock.target;
  if (subject === identity.subject) return true;
  if (identity.delegation?.root.subject === subject) return true;
  return identity.chain.some((actor) => actor.subject === subject);
}

/** The error a locked-out client hears (new session refused, or live session ended). */
export function lockedError(lock: LockView): AirlockError {
  const what = lock.targetKind === 'connection' ? `connection "${lock.target}"` : `identity "${lock.target}"`;
  const until = lock.expiresAt ? ` until ${lock.expiresAt}` : '';
  const userMessage = `${what} is locked${until}: ${lock.reason} (lock ${lock.id})`;
  return new AirlockError('ERR_LOCKED', userMessage, { userMessage });
}

/** Locks in the store. */
export class LockService {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /** Creates a lock as `actor`; live sessions it covers end through the change feed. */
  async create(input: CreateLockInput, actor: Identity): Promise<LockView> {
    if (input.target.trim() === '') {
      throw new AirlockError('ERR_BAD_REQUEST', 'lock without target', {
        userMessage: 'a lock needs --identity SUBJECT, --identity group:NAME or --connection NAME',
      });
    }
    if (input.targetKind === 'identity' && /^(group|user):\s*$/.test(input.target)) {
      throw new AirlockError('ERR_BAD_REQUEST', `lock target ${input.target}`, {
        userMessage: `lock target "${input.target}" names no one: use group:NAME, user:SUBJECT or SUBJECT`,
      });
    }
    if (input.reason.trim() === '') {
      throw new AirlockError('ERR_BAD_REQUEST', 'lock without reason', {
        userMessage: 'a lock needs a reason (--reason)',
      });
    }
    if (input.ttlMs !== undefined && (!Number.isSafeInteger(input.ttlMs) || input.ttlMs <= 0)) {
      throw new AirlockError('ERR_BAD_REQUEST', `lock ttl ${input.ttlMs}`, {
        userMessage: 'the lock duration must be positive, e.g. 1h',
      });
    }
    const now = this.#clock.nowMs();
    const row: LocksTable = {
      id: `l${randomBytes(5).toString('hex')}`,
      target_kind: input.targetKind,
      target: input.target,
      reason: input.reason,
      created_by: actor.subject,
      created_at: new Date(now).toISOString(),
      expires_at: input.ttlMs === undefined ? null : new Date(now + input.ttlMs).toISOString(),
      removed_at: null,
      removed_by: null,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('locks').values(row).execute();
      await recordChange(trx, LOCK_CREATED, row.id, this.#clock);
      this.#audit.append({
        type: 'lock.created',
        actor: toIdentityRef(actor),
        lockId: row.id,
        targetKind: input.targetKind,
        target: input.target,
        reason: input.reason,
        ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
      });
    });
    return toView(row);
  }

  /** Removes lock `id` (ERR_NOT_FOUND when unknown); removing a removed lock changes nothing. */
  async remove(id: string, actor: Identity): Promise<LockView> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('locks').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row)
        throw new AirlockError('ERR_NOT_FOUND', `no lock ${id}`, { userMessage: `there is no lock "${id}"` });
      if (row.removed_at !== null) return toView(row);
      const removedAt = this.#clock.now().toISOString();
      await trx
        .updateTable('locks')
        .set({ removed_at: removedAt, removed_by: actor.subject })
        .where('id', '=', id)
        .execute();
      await recordChange(trx, 'lock.removed', id, this.#clock);
      this.#audit.append({
        type: 'lock.removed',
        actor: toIdentityRef(actor),
        lockId: id,
        targetKind: row.target_kind as LockTargetKind,
        target: row.target,
      });
      return toView({ ...row, removed_at: removedAt, removed_by: actor.subject });
    });
  }

  /** Lock `id`, if it exists. */
  async get(id: string): Promise<LockView | undefined> {
    const row = await this.#db.selectFrom('locks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  /** Locks in force now (or every lock ever, with `all`), newest first. */
  async list(options: { readonly all?: boolean } = {}): Promise<LockView[]> {
    let query = this.#db.selectFrom('locks').selectAll();
    if (!options.all) {
      const now = this.#clock.now().toISOString();
      query = query
        .where('removed_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(toView);
  }

  /** True while `lock` is in force. */
  inForce(lock: LockView): boolean {
    return (
      lock.removedAt === null && (lock.expiresAt === null || Date.parse(lock.expiresAt) > this.#clock.nowMs())
    );
  }

  /**
   * Asks every server to end live session `id` now (through the change feed, so it works from the
   * CLI and any replica). ERR_NOT_FOUND when the store knows no open session by that id.
   */
  async terminateSession(id: string, actor: Identity, reason?: string): Promise<void> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(['id', 'ended_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.ended_at !== null) {
      throw new AirlockError('ERR_NOT_FOUND', `no open session ${id}`, {
        userMessage: `there is no open session "${id}"`,
      });
    }
    await this.#db.transaction().execute(async (trx) => {
      await recordChange(trx, SESSION_TERMINATE, id, this.#clock);
      this.#audit.append({
        type: 'session.terminated',
        actor: toIdentityRef(actor),
        sessionId: id,
        ...(reason ? { reason } : {}),
      });
    });
  }

  /** Throws ERR_LOCKED when a lock in force covers a session of `identity` on `connection`. */
  async check(identity: Identity, connection: string): Promise<void> {
    for (const lock of await this.list()) {
      if (lockCovers(lock, identity, connection)) throw lockedError(lock);
    }
  }
}
