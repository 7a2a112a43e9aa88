/**
 * @module Grants: who (a user or a group) may do what (a scope) on which connection, why, granted
 * by whom, until when, and when last used. The store holds grants made with `airlock grant create`
 * and by approved JIT requests; a connection's `access:` list is a standing grant read from config.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, type PrincipalRef, toIdentityRef } from '../core/identity.js';
import { recordChange } from '../store/changes.js';
import type { Database, GrantsTable } from '../store/schema.js';
import type { ResolvedScope } from './scopes.js';
import type { GrantView } from './types.js';

/** What creating a grant takes. */
export interface CreateGrantInput {
  readonly connection: string;
  readonly principal: PrincipalRef;
  readonly scope: ResolvedScope;
  readonly reason: string;
  readonly ttlMs?: number;
  readonly source: 'grant' | 'jit' | 'access' | 'break-glass' | 'campaign';
  readonly request?: number;
}

function toView(row: GrantsTable): GrantView {
  return {
    id: row.id,
    connection: row.connection,
    principal: row.principal,
    scope: row.scope,
    actions: JSON.parse(row.actions) as string[],
    reason: row.reason,
    grantedBy: row.granted_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
    source: row.source,
    request: row.request_id === null ? null : Number(row.request_id),
  };
}

/** Grants in the store. */
export class GrantStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /** Creates a grant as `actor`; returns it. */
  async create(
    input: CreateGrantInput,
    actor: Identity,
    db: Kysely<Database> = this.#db,
  ): Promise<GrantView> {
    if (input.reason.trim() === '') {
      throw new AirlockError('ERR_BAD_REQUEST', 'grant without reason', {
        userMessage: 'a grant needs a reason (--reason)',
      });
    }
    const now = this.#clock.now();
    const row: GrantsTable = {
      id: `g${randomBytes(5).toString('hex')}`,
      connection: input.connection,
      principal: input.principal,
      scope: input.scope.scope,
      actions: JSON.stringify(input.scope.actions),
      reason: input.reason,
      granted_by: actor.subject,
      created_at: now.toISOString(),
      expires_at: input.ttlMs !== undefined ? new Date(now.getTime() + input.ttlMs).toISOString() : null,
      last_used_at: null,
      revoked_at: null,
      revoked_by: null,
      source: input.source,
      request_id: input.request ?? null,
    };
    await db.insertInto('grants').values(row).execute();
    this.#audit.append({
      type: 'grant.created',
      actor: toIdentityRef(actor),
      grantId: row.id,
      connection: row.connection,
      principal: row.principal,
      scope: row.scope,
      reason: row.reason,
      source: row.source,
      ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
      ...(input.request !== undefined ? { request: input.request } : {}),
    });
    return toView(row);
  }

  /** Grants, newest first; live ones only unless `all`. */
  async list(filter: { connection?: string; all?: boolean } = {}): Promise<GrantView[]> {
    let query = this.#db.selectFrom('grants').selectAll().orderBy('created_at', 'desc');
    if (filter.connection) query = query.where('connection', '=', filter.connection);
    if (!filter.all) query = query.where('revoked_at', 'is', null);
    const now = this.#clock.now().toISOString();
    const rows = await query.execute();
    return rows.filter((r) => filter.all || r.expires_at === null || r.expires_at > now).map(toView);
  }

  /**
   * Revokes grant `id` as `actor`. Its sessions end within a second (change `grant.revoked`).
   * `reason`: why, when not an admin's plain revoke (`expired-unused`, `expired`, `campaign`).
   */
  async revoke(id: string, actor: Identity, reason?: string): Promise<GrantView> {
    const now = this.#clock.now().toISOString();
    const row = await this.#db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      if (!found) {
        throw new AirlockError('ERR_NOT_FOUND', `grant ${id}`, { userMessage: `there is no grant "${id}"` });
      }
      if (found.revoked_at) return found;
      await trx
        .updateTable('grants')
        .set({ revoked_at: now, revoked_by: actor.subject })
        .where('id', '=', id)
        .execute();
      await recordChange(trx, 'grant.revoked', id, this.#clock);
      return { ...found, revoked_at: now, revoked_by: actor.subject };
    });
    if (row.revoked_at === now) {
      this.#audit.append({
        type: 'grant.revoked',
        actor: toIdentityRef(actor),
        grantId: id,
        connection: row.connection,
        principal: row.principal,
        ...(reason ? { reason } : {}),
      });
    }
    return toView(row);
  }

  /**
   * Replaces live grant `id`'s scope (a campaign's `narrow`); journals `grant.narrowed`. Its live
   * sessions end within a second (change `grant.narrowed`) and reconnect with the new scope.
   */
  async narrow(id: string, scope: ResolvedScope, actor: Identity, reason: string): Promise<GrantView> {
    const row = await this.#db.transaction().execute(async (trx) => {
      const found = await trx.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
      if (!found || found.revoked_at) {
        throw new AirlockError('ERR_NOT_FOUND', `grant ${id}`, {
          userMessage: `there is no live grant "${id}"`,
        });
      }
      const actions = JSON.stringify(scope.actions);
      await trx.updateTable('grants').set({ scope: scope.scope, actions }).where('id', '=', id).execute();
      await recordChange(trx, 'grant.narrowed', id, this.#clock);
      return { ...found, scope: scope.scope, actions, previous: found.scope };
    });
    const { previous, ...stored } = row;
    this.#audit.append({
      type: 'grant.narrowed',
      actor: toIdentityRef(actor),
      grantId: id,
      connection: row.connection,
      principal: row.principal,
      scope: scope.scope,
      previousScope: previous,
      reason,
    });
    return toView(stored);
  }

  /** Grant `id`, live or not. */
  async get(id: string): Promise<GrantView | undefined> {
    const row = await this.#db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  /** Live grants on `connection` naming the identity or one of its groups. */
  async activeFor(identity: Identity, connection: string): Promise<GrantView[]> {
    const principals = [`user:${identity.subject}`, ...identity.groups.map((g) => `group:${g}`)];
    const now = this.#clock.now().toISOString();
    const rows = await this.#db
      .selectFrom('grants')
      .selectAll()
      .where('connection', '=', connection)
      .where('principal', 'in', principals)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return rows.map(toView);
  }

  /** Stamps a grant as used now (what the expiry job reads). */
  async touch(id: string): Promise<void> {
    await this.#db
      .updateTable('grants')
      .set({ last_used_at: this.#clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
  }
}
