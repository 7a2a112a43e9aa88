/**
 * @module Expiry: access nobody uses goes away on its own. `runExpiry` (scheduled by the server,
 * src/reviews/expiry-schedule.ts) revokes store grants unused for their connection's
 * `reviews.expireUnusedAfter` and time-boxed grants past their end, suspends a root identity's
 * standing `access:` entry it has not used for that long (the config is not edited), and revokes
 * delegated tokens unused for that long. Every change goes through the change feed, so live
 * sessions on what was taken away end within a poll (src/server/change-feed.ts).
 *
 * Usage of standing entries is recorded per (connection, entry, root identity) at session open
 * (`AccessUsage.record`, at most once a minute per row); an identity's clock starts at its first
 * use, since group membership is not known ahead of use.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import { type Identity, toIdentityRef } from '../core/identity.js';
import type { TokenService } from '../identity/tokens.js';
import { recordChange } from '../store/changes.js';
import type { Database, SuspensionsTable } from '../store/schema.js';
import type { GrantStore } from './grants.js';

/** Change-feed kind when a suspension starts; ref is the suspension id (sessions it covers end). */
export const ACCESS_SUSPENDED = 'access.suspended';

/** The identity the expiry job and overdue campaign items act as, in the audit trail. */
export const EXPIRY_ACTOR: Identity = Object.freeze({
  subject: 'airlock:expiry',
  displayName: 'airlock expiry job',
  kind: 'service',
  groups: Object.freeze([]) as readonly string[],
  issuer: 'local',
  tokenId: undefined,
  expiresAt: undefined,
  chain: Object.freeze([]) as readonly [],
});

/** Usage rows are written at most this often per (connection, entry, subject) per process. */
const USAGE_GRANULARITY_MS = 60_000;

/** Who used which grant or access entry, per root identity. */
export class AccessUsage {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #written = new Map<string, number>();

  constructor(deps: { db: Kysely<Database>; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Records that `subject` opened a session through `entry` now. Never throws. */
  async record(connection: string, entry: string, subject: string): Promise<void> {
    const now = this.#clock.nowMs();
    const key = `${connection}\n${entry}\n${subject}`;
    if (now - (this.#written.get(key) ?? Number.NEGATIVE_INFINITY) < USAGE_GRANULARITY_MS) return;
    this.#written.set(key, now);
    const at = new Date(now).toISOString();
    try {
      await this.#db
        .insertInto('access_usage')
        .values({ connection, entry, subject, first_used_at: at, last_used_at: at })
        .onConflict((oc) => oc.columns(['connection', 'entry', 'subject']).doUpdateSet({ last_used_at: at }))
        .execute();
    } catch {
      // Bookkeeping must never refuse a session; the next open a minute on retries.
      this.#written.delete(key);
    }
  }

  /** Root identities seen using `entry` on `connection`, most recent first. */
  async users(
    connection: string,
    entry: string,
  ): Promise<{ subject: string; firstUsedAt: string; lastUsedAt: string }[]> {
    const rows = await this.#db
      .selectFrom('access_usage')
      .selectAll()
      .where('connection', '=', connection)
      .where('entry', '=', entry)
      .orderBy('last_used_at', 'desc')
      .execute();
    return rows.map((r) => ({
      subject: r.subject,
      firstUsedAt: r.first_used_at,
      lastUsedAt: r.last_used_at,
    }));
  }
}

/** A suspension as listed. */
export interface SuspensionView {
  readonly id: string;
  readonly connection: string;
  readonly subject: string;
  /** The route it covers (`access:group:x`, `grant:ID`), or `*`: every route on the connection. */
  readonly entry: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly campaign: number | null;
}

function toSuspension(row: SuspensionsTable): SuspensionView {
  return {
    id: row.id,
    connection: row.connection,
    subject: row.subject,
    entry: row.entry,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    campaign: row.campaign_id === null ? null : Number(row.campaign_id),
  };
}

/**
 * True when `suspension` covers a session admitted through `source` (`access:group:x`, `grant:ID`,
 * either with ` via delegation` for delegates).
 */
export function suspensionCovers(suspension: SuspensionView, source: string): boolean {
  if (suspension.entry === '*') return true;
  return source === suspension.entry || source.startsWith(`${suspension.entry} `);
}

/** Suspensions of root identities' access, lifted by `airlock reviews restore` or a certification. */
export class SuspensionStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /** Active suspensions of `subject` on `connection`. */
  async active(connection: string, subject: string): Promise<SuspensionView[]> {
    const rows = await this.#db
      .selectFrom('suspensions')
      .selectAll()
      .where('connection', '=', connection)
      .where('subject', '=', subject)
      .where('lifted_at', 'is', null)
      .execute();
    return rows.map(toSuspension);
  }

  /** Every active suspension, optionally of one connection. */
  async list(connection?: string): Promise<SuspensionView[]> {
    let query = this.#db.selectFrom('suspensions').selectAll().where('lifted_at', 'is', null);
    if (connection) query = query.where('connection', '=', connection);
    return (await query.orderBy('created_at').execute()).map(toSuspension);
  }

  async get(id: string): Promise<SuspensionView | undefined> {
    const row = await this.#db.selectFrom('suspensions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && row.lifted_at === null ? toSuspension(row) : undefined;
  }

  /**
   * Suspends `subject`'s `entry` on `connection` (no-op when an active suspension already covers
   * it); journals `access.suspended` and ends covered live sessions through the change feed.
   */
  async suspend(
    input: { connection: string; subject: string; entry: string; reason: string; campaign?: number },
    actor: Identity,
  ): Promise<SuspensionView> {
    const now = this.#clock.now().toISOString();
    const existing = (await this.active(input.connection, input.subject)).find(
      (s) => s.entry === '*' || s.entry === input.entry,
    );
    if (existing) return existing;
    const row: SuspensionsTable = {
      id: `s${randomBytes(5).toString('hex')}`,
      connection: input.connection,
      subject: input.subject,
      entry: input.entry,
      reason: input.reason,
      created_by: actor.subject,
      created_at: now,
      campaign_id: input.campaign ?? null,
      lifted_at: null,
      lifted_by: null,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('suspensions').values(row).execute();
      await recordChange(trx, ACCESS_SUSPENDED, row.id, this.#clock);
    });
    this.#audit.append({
      type: 'access.suspended',
      actor: toIdentityRef(actor),
      connection: row.connection,
      subject: row.subject,
      entry: row.entry,
      reason: row.reason,
      ...(input.campaign !== undefined ? { campaign: input.campaign } : {}),
    });
    return toSuspension(row);
  }

  /** Lifts every active suspension of `subject` on `connection`; returns how many. */
  async lift(connection: string, subject: string, actor: Identity, reason: string): Promise<number> {
    const now = this.#clock.now().toISOString();
    const result = await this.#db
      .updateTable('suspensions')
      .set({ lifted_at: now, lifted_by: actor.subject })
      .where('connection', '=', connection)
      .where('subject', '=', subject)
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    const lifted = Number(result.numUpdatedRows);
    if (lifted > 0) {
      this.#audit.append({
        type: 'access.restored',
        actor: toIdentityRef(actor),
        connection,
        subject,
        reason,
      });
    }
    return lifted;
  }
}

/** What one expiry run did. */
export interface ExpiryResult {
  /** Grant ids revoked, with why. */
  readonly grants: readonly { id: string; reason: 'expired-unused' | 'expired' }[];
  /** Standing entries suspended: `connection subject entry`. */
  readonly suspended: readonly string[];
  /** Delegated token names revoked. */
  readonly delegates: readonly string[];
}

/** What `runExpiry` needs. */
export interface ExpiryDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly connections: () => ReadonlyMap<string, Connection>;
  readonly grants: GrantStore;
  readonly suspensions: SuspensionStore;
  readonly tokens: TokenService;
}

const lastUse = (lastUsedAt: string | null, createdAt: string): number => Date.parse(lastUsedAt ?? createdAt);

/** Pure: the smallest `expireUnusedAfter` among the connections a delegate may use (undefined: none). */
export function delegateLimitMs(
  scope: readonly string[] | null,
  connections: ReadonlyMap<string, Connection>,
): number | undefined {
  const names = scope === null ? [...connections.keys()] : scope.map((s) => s.slice(0, s.indexOf(':')));
  let limit: number | undefined;
  for (const name of names) {
    const after = connections.get(name)?.reviews?.expireUnusedAfterMs;
    if (after !== undefined && (limit === undefined || after < limit)) limit = after;
  }
  return limit;
}

/** One expiry pass. Idempotent: a second run right after finds nothing. */
export async function runExpiry(deps: ExpiryDeps): Promise<ExpiryResult> {
  const { db, clock, grants, suspensions, tokens } = deps;
  const now = clock.nowMs();
  const connections = deps.connections();
  const revokedGrants: { id: string; reason: 'expired-unused' | 'expired' }[] = [];
  const live = await db.selectFrom('grants').selectAll().where('revoked_at', 'is', null).execute();
  for (const grant of live) {
    const after = connections.get(grant.connection)?.reviews?.expireUnusedAfterMs;
    let reason: 'expired-unused' | 'expired' | undefined;
    if (grant.expires_at !== null && Date.parse(grant.expires_at) <= now) reason = 'expired';
    else if (after !== undefined && now - lastUse(grant.last_used_at, grant.created_at) >= after)
      reason = 'expired-unused';
    if (!reason) continue;
    await grants.revoke(grant.id, EXPIRY_ACTOR, reason);
    revokedGrants.push({ id: grant.id, reason });
  }
  const suspended: string[] = [];
  for (const connection of connections.values()) {
    const after = connection.reviews?.expireUnusedAfterMs;
    if (after === undefined) continue;
    const stale = await db
      .selectFrom('access_usage')
      .selectAll()
      .where('connection', '=', connection.name)
      .where('entry', 'like', 'access:%')
      .where('last_used_at', '<=', new Date(now - after).toISOString())
      .execute();
    for (const usage of stale) {
      const entry = usage.entry;
      if (!connection.access.some((ref) => `access:${ref}` === entry)) continue;
      const before = await suspensions.active(connection.name, usage.subject);
      if (before.some((s) => s.entry === '*' || s.entry === entry)) continue;
      // A later use through the entry would have moved last_used_at; lifting resets the clock.
      const lifted = await db
        .selectFrom('suspensions')
        .select('lifted_at')
        .where('connection', '=', connection.name)
        .where('subject', '=', usage.subject)
        .where('lifted_at', '>', new Date(now - after).toISOString())
        .executeTakeFirst();
      if (lifted) continue;
      await suspensions.suspend(
        { connection: connection.name, subject: usage.subject, entry, reason: 'expired-unused' },
        EXPIRY_ACTOR,
      );
      suspended.push(`${connection.name} ${usage.subject} ${entry}`);
    }
  }
  const delegates: string[] = [];
  const delegated = await db
    .selectFrom('tokens')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where('root_subject', 'is not', null)
    .where('acting', 'is', null)
    .execute();
  for (const token of delegated) {
    if (Date.parse(token.expires_at) <= now) continue;
    const scope = token.scope === null ? null : scopeEntries(token.scope);
    const limit = delegateLimitMs(scope, connections);
    if (limit === undefined || now - lastUse(token.last_used_at, token.created_at) < limit) continue;
    await tokens.revoke(token.name, EXPIRY_ACTOR, 'expired-unused');
    delegates.push(token.name);
  }
  return { grants: revokedGrants, suspended, delegates };
}

/** `CONNECTION:scope` entries of a stored delegate scope. */
function scopeEntries(json: string): string[] {
  return (JSON.parse(json) as { connection: string }[]).map((g) => `${g.connection}:`);
}
