/**
 * @module Airlock-issued tokens: `alk_<id>_<secret>`, 10 + 24 base62 characters, short enough for
 * ssh and mysql password prompts (they cut long passwords). The store keeps only the SHA-256 of
 * the secret. A token's identity subject is its NAME: names are unique among live tokens, and a
 * revoked token's name may be issued again (it names the same principal in access lists and audit
 * search, which is what re-issuing a credential means); the revoked row stays for the record.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import {
  type Actor,
  type Identity,
  type IdentityKind,
  type RootIdentity,
  type ScopeGrant,
  toIdentityRef,
} from '../core/identity.js';
import { recordChange } from '../store/changes.js';
import type { Database, TokensTable } from '../store/schema.js';

/** A token as listed: everything but the secret. Times are ISO-8601. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: IdentityKind;
  readonly groups: readonly string[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  /** Delegates: the root of the chain (null for tokens issued directly). */
  readonly rootSubject: string | null;
  /** Actors it acts for (0: issued directly, or exchanged to act as a direct identity). */
  readonly depth: number;
  /** Delegates: the `CONNECTION:scope` entries it is narrowed to (null: not narrowed). */
  readonly scope: readonly string[] | null;
}

/** What makes a token a delegate (or an exchanged credential acting as its root). */
export interface TokenDelegation {
  /** The Airlock token it was delegated from; null when the parent was an OIDC token. */
  readonly parentId: string | null;
  readonly root: RootIdentity;
  /** The ancestors, root first; empty for an exchanged token acting as the root itself. */
  readonly chain: readonly Actor[];
  /** Its own scope list (null: not narrowed beyond its ancestors). */
  readonly scope: readonly ScopeGrant[] | null;
  readonly depth: number;
  /** An exchanged token (no new actor): the identity it acts as. */
  readonly acting?: RootIdentity;
  /** The parent's identity, for the `token.delegated` event. */
  readonly parentSubject: string;
}

/** What `TokenService.create` needs. */
export interface CreateTokenRequest {
  readonly name: string;
  readonly groups: readonly string[];
  readonly kind: IdentityKind;
  /** Lifetime in ms (see identity/duration.ts for `8h`-style input). */
  readonly ttlMs: number;
  /** Who issues it; recorded as `created_by` and as the audit event's actor. */
  readonly actor: Identity;
  /** Set for delegates and exchanged tokens (src/identity/exchange.ts). */
  readonly delegation?: TokenDelegation;
}

/** Dependencies of `TokenService`. */
export interface TokenServiceDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * ERR_TOKEN_REVOKED for the token `name`, naming the ancestor whose revocation took it along (a
 * delegate otherwise learns only that its own token stopped working, not whom to ask).
 */
export function tokenRevoked(name: string, ancestor?: string): AirlockError {
  const userMessage = ancestor
    ? `token "${ancestor}" (an ancestor of "${name}") was revoked`
    : `token "${name}" was revoked`;
  return new AirlockError('ERR_TOKEN_REVOKED', userMessage, { userMessage });
}

/** Change-feed kind recorded per revoked token, with the token id as ref (server/start.ts). */
export const TOKEN_ID_REVOKED = 'token.revoked.id';

/** Every token starts with this; engines use it to tell Airlock tokens from OIDC JWTs. */
export const TOKEN_PREFIX = 'alk_';
const ID_LENGTH = 10;
const SECRET_LENGTH = 24;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_SHAPE = /^alk_([0-9A-Za-z]{10})_([0-9A-Za-z]{24})$/;
/** The name rule, stated in the error message as written here. */
const NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;
const GROUP_RULE = /^[^\s,]{1,128}$/;
const KINDS: readonly IdentityKind[] = ['human', 'agent', 'service'];
/** `last_used_at` is written at most this often per token, not on every connect. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** `length` characters of base62, without modulo bias (bytes >= 248 are redrawn). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toInfo(row: TokensTable): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as IdentityKind,
    groups: JSON.parse(row.groups) as string[],
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    rootSubject: row.root_subject,
    depth: Number(row.depth ?? 0),
    scope: row.scope === null ? null : (JSON.parse(row.scope) as ScopeGrant[]).map(formatScope),
  };
}

function formatScope(grant: ScopeGrant): string {
  return `${grant.connection}:${grant.scope === 'custom' ? grant.actions.join(',') : grant.scope}`;
}

/** Unique-constraint violations of SQLite and PostgreSQL. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

function checkRequest(request: CreateTokenRequest): void {
  if (!NAME_RULE.test(request.name)) {
    throw new AirlockError('ERR_BAD_REQUEST', `token name "${request.name}" is not allowed`, {
      userMessage: `token name "${request.name}" must match ${NAME_RULE.source} (a letter or digit, then up to 62 letters, digits, ".", "_" or "-")`,
    });
  }
  if (!KINDS.includes(request.kind)) {
    throw new AirlockError('ERR_BAD_REQUEST', `token kind "${request.kind}" is unknown`, {
      userMessage: `token kind must be one of ${KINDS.join(', ')}, got "${request.kind}"`,
    });
  }
  for (const group of request.groups) {
    if (!GROUP_RULE.test(group)) {
      throw new AirlockError('ERR_BAD_REQUEST', `group "${group}" is not allowed`, {
        userMessage: `group names must be 1 to 128 characters without spaces or commas, got "${group}"`,
      });
    }
  }
  if (!Number.isSafeInteger(request.ttlMs) || request.ttlMs <= 0) {
    throw new AirlockError('ERR_BAD_REQUEST', `token ttl ${request.ttlMs} is not a positive number of ms`, {
      userMessage: 'the token lifetime must be a positive duration, e.g. 8h or 30d',
    });
  }
}

/** Issues, lists, revokes and authenticates Airlock tokens. */
export class TokenService {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  /** When this process last wrote `last_used_at`, per token id. */
  readonly #lastUsedWrites = new Map<string, number>();

  constructor(deps: TokenServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /**
   * Issues a token. The returned `token` is the only copy of the secret. Throws ERR_BAD_REQUEST
   * for an invalid name, kind, group or ttl and ERR_CONFLICT when a live token has the name.
   * The row, its change-feed entry and its `token.created` event commit together: if the journal
   * cannot take the event, no token is issued.
   */
  async create(request: CreateTokenRequest): Promise<{ token: string; info: TokenInfo }> {
    checkRequest(request);
    const now = this.#clock.nowMs();
    const id = randomBase62(ID_LENGTH);
    const secret = randomBase62(SECRET_LENGTH);
    const groups = [...new Set(request.groups)];
    const row: TokensTable = {
      id,
      name: request.name,
      secret_hash: sha256Hex(secret),
      kind: request.kind,
      groups: JSON.stringify(groups),
      created_at: new Date(now).toISOString(),
      created_by: request.actor.subject,
      expires_at: new Date(now + request.ttlMs).toISOString(),
      revoked_at: null,
      revoked_by: null,
      last_used_at: null,
      parent_id: request.delegation?.parentId ?? null,
      root_subject: request.delegation?.root.subject ?? null,
      root: request.delegation ? JSON.stringify(request.delegation.root) : null,
      acting: request.delegation?.acting ? JSON.stringify(request.delegation.acting) : null,
      chain: request.delegation ? JSON.stringify(request.delegation.chain) : null,
      scope: request.delegation?.scope ? JSON.stringify(request.delegation.scope) : null,
      depth: request.delegation?.depth ?? 0,
    };
    const delegation = request.delegation;
    try {
      await this.#db.transaction().execute(async (trx) => {
        const live = await trx
          .selectFrom('tokens')
          .select('id')
          .where('name', '=', request.name)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (live) throw conflict(request.name);
        await trx.insertInto('tokens').values(row).execute();
        await recordChange(trx, 'token.created', request.name, this.#clock);
        this.#audit.append(
          delegation
            ? {
                type: 'token.delegated',
                actor: toIdentityRef(request.actor),
                name: request.name,
                kind: request.kind,
                parent: delegation.parentSubject,
                rootSubject: delegation.root.subject,
                chain: delegation.chain,
                depth: delegation.depth,
                scope: delegation.scope ? delegation.scope.map(formatScope) : null,
                expiresAt: row.expires_at,
              }
            : {
                type: 'token.created',
                actor: toIdentityRef(request.actor),
                name: request.name,
                kind: request.kind,
                groups,
                expiresAt: row.expires_at,
              },
        );
      });
    } catch (err) {
      // Two creators racing past the check meet the partial unique index instead.
      if (isUniqueViolation(err)) throw conflict(request.name);
      throw err;
    }
    return { token: `${TOKEN_PREFIX}${id}_${secret}`, info: toInfo(row) };
  }

  /** Every token, live and revoked, oldest first. */
  async list(): Promise<TokenInfo[]> {
    const rows = await this.#db
      .selectFrom('tokens')
      .selectAll()
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map(toInfo);
  }

  /**
   * Revokes the live token called `name`: it stops working at once here and, through the change
   * feed, on every other server within a second. Revoking a name whose tokens are all revoked
   * already returns the latest one unchanged (idempotent); an unknown name is ERR_NOT_FOUND.
   */
  async revoke(name: string, actor: Identity, reason?: string): Promise<TokenInfo> {
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('tokens')
        .selectAll()
        .where('name', '=', name)
        .orderBy('created_at', 'desc')
        .execute();
      const live = rows.find((row) => row.revoked_at === null);
      if (!live) {
        if (rows[0]) return toInfo(rows[0]);
        throw new AirlockError('ERR_NOT_FOUND', `no token named ${name}`, {
          userMessage: `there is no token named "${name}"`,
        });
      }
      const revokedAt = this.#clock.now().toISOString();
      // The token and every live descendant go together: a delegate never outlives its parent.
      const revoked = [live];
      for (let parents = [live.id]; parents.length > 0; ) {
        const children = await trx
          .selectFrom('tokens')
          .selectAll()
          .where('parent_id', 'in', parents)
          .where('revoked_at', 'is', null)
          .execute();
        revoked.push(...children);
        parents = children.map((child) => child.id);
      }
      await trx
        .updateTable('tokens')
        .set({ revoked_at: revokedAt, revoked_by: actor.subject })
        .where(
          'id',
          'in',
          revoked.map((row) => row.id),
        )
        .execute();
      for (const row of revoked) {
        // An exchanged token's sessions carry the subject it acts as, not its name: by id for those.
        if (row.acting !== null) await recordChange(trx, TOKEN_ID_REVOKED, row.id, this.#clock);
        await recordChange(trx, 'token.revoked', row.name, this.#clock);
        this.#audit.append({
          type: 'token.revoked',
          actor: toIdentityRef(actor),
          name: row.name,
          ...(row === live ? {} : { cascadedFrom: name }),
          ...(reason ? { reason } : {}),
        });
      }
      return toInfo({ ...live, revoked_at: revokedAt, revoked_by: actor.subject });
    });
  }

  /**
   * For the most recently revoked token called `name`: the ancestor whose revocation cascaded to it,
   * or undefined when it was revoked itself (or is not revoked).
   */
  async revokedWith(name: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('tokens')
      .selectAll()
      .where('name', '=', name)
      .where('revoked_at', 'is not', null)
      .orderBy('revoked_at', 'desc')
      .executeTakeFirst();
    return row && this.#cascadeSource(row);
  }

  /**
   * The topmost ancestor revoked in the same write as `row` (`revoke` marks a token and all its
   * descendants with one timestamp), or undefined when `row` was revoked on its own.
   */
  async #cascadeSource(row: TokensTable): Promise<string | undefined> {
    let source: string | undefined;
    for (let parentId = row.parent_id, hops = 0; parentId !== null && hops <= 32; hops++) {
      const parent = await this.#db
        .selectFrom('tokens')
        .selectAll()
        .where('id', '=', parentId)
        .executeTakeFirst();
      if (!parent || parent.revoked_at !== row.revoked_at) break;
      source = parent.name;
      parentId = parent.parent_id;
    }
    return source;
  }

  /** True when `secret` has the Airlock token prefix (the rest is checked by `authenticate`). */
  isAirlockToken(secret: string): boolean {
    return secret.startsWith(TOKEN_PREFIX);
  }

  /**
   * The identity of an Airlock token. Throws ERR_TOKEN_INVALID (malformed, unknown, wrong secret),
   * ERR_TOKEN_REVOKED or ERR_TOKEN_EXPIRED. Revocation and expiry are reported only to a caller
   * who holds the right secret, so guessing ids reveals nothing.
   */
  async authenticate(secret: string): Promise<Identity> {
    const match = TOKEN_SHAPE.exec(secret);
    if (!match) throw new AirlockError('ERR_TOKEN_INVALID', 'malformed Airlock token');
    const [, id, given] = match as unknown as [string, string, string];
    const row = await this.#db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    const expected = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
    const presented = createHash('sha256').update(given).digest();
    // Compared even for unknown ids, so both paths take the same time.
    const equal = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (!row || !equal)
      throw new AirlockError('ERR_TOKEN_INVALID', `unknown token id or wrong secret (${id})`);
    if (row.revoked_at !== null) throw tokenRevoked(row.name, await this.#cascadeSource(row));
    const now = this.#clock.nowMs();
    const expiresMs = Date.parse(row.expires_at);
    if (now >= expiresMs)
      throw new AirlockError('ERR_TOKEN_EXPIRED', `token ${row.name} expired ${row.expires_at}`);
    await this.#touch(row, now);
    if (row.root !== null) return this.#delegateIdentity(row, expiresMs, now);
    return {
      subject: row.name,
      displayName: row.name,
      kind: row.kind as IdentityKind,
      groups: JSON.parse(row.groups) as string[],
      issuer: 'airlock',
      tokenId: row.id,
      expiresAt: new Date(expiresMs),
      chain: [],
    };
  }

  /**
   * The identity of a delegated or exchanged token: every ancestor must still be live (revocation
   * cascades, this is defence in depth) and each one's scope narrows it.
   */
  async #delegateIdentity(row: TokensTable, expiresMs: number, now: number): Promise<Identity> {
    const root = JSON.parse(row.root ?? '{}') as RootIdentity;
    const scopes: ScopeGrant[][] = [];
    if (row.scope !== null) scopes.push(JSON.parse(row.scope) as ScopeGrant[]);
    let expires = expiresMs;
    for (let parentId = row.parent_id, hops = 0; parentId !== null; hops++) {
      const parent = await this.#db
        .selectFrom('tokens')
        .selectAll()
        .where('id', '=', parentId)
        .executeTakeFirst();
      if (!parent || hops > 32)
        throw new AirlockError('ERR_TOKEN_INVALID', `token ${row.name}: broken delegation chain`);
      if (parent.revoked_at !== null) throw tokenRevoked(row.name, parent.name);
      expires = Math.min(expires, Date.parse(parent.expires_at));
      if (now >= expires)
        throw new AirlockError('ERR_TOKEN_EXPIRED', `token ${row.name}: ancestor ${parent.name} expired`);
      if (parent.scope !== null) scopes.push(JSON.parse(parent.scope) as ScopeGrant[]);
      parentId = parent.parent_id;
    }
    const chain = JSON.parse(row.chain ?? '[]') as Actor[];
    // An exchanged credential acts as the identity it was exchanged for (an OIDC login).
    const acting = row.acting === null ? undefined : (JSON.parse(row.acting) as RootIdentity);
    const self = acting
      ? { subject: acting.subject, kind: acting.kind, groups: acting.groups }
      : { subject: row.name, kind: row.kind as IdentityKind, groups: [] as string[] };
    return {
      ...self,
      displayName: self.subject,
      issuer: 'airlock',
      tokenId: row.id,
      expiresAt: new Date(expires),
      chain,
      delegation: { root, scopes },
    };
  }

  /** Writes `last_used_at` when the stored value is a minute old or more. */
  async #touch(row: TokensTable, now: number): Promise<void> {
    const stored = row.last_used_at ? Date.parse(row.last_used_at) : Number.NEGATIVE_INFINITY;
    const written = this.#lastUsedWrites.get(row.id) ?? Number.NEGATIVE_INFINITY;
    if (now - Math.max(stored, written) < LAST_USED_GRANULARITY_MS) return;
    this.#lastUsedWrites.set(row.id, now);
    try {
      await this.#db
        .updateTable('tokens')
        .set({ last_used_at: new Date(now).toISOString() })
        .where('id', '=', row.id)
        .execute();
    } catch {
      // Usage bookkeeping must never refuse a valid token; the next connect a minute on retries.
    }
  }
}

function conflict(name: string): AirlockError {
  return new AirlockError('ERR_CONFLICT', `a live token named ${name} exists`, {
    userMessage: `a token named "${name}" already exists; revoke it first or pick another name`,
  });
}
