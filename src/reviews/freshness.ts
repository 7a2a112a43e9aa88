/**
 * @module Access review freshness per (root identity, connection): the newest certification is
 * fresh until `valid_until`, within grace for `grace` after that, then stale. Certifications are
 * recorded when an approver decides a review (or JIT access) request.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { ConnectionReviews } from '../core/connection.js';
import type { IdentityRef } from '../core/identity.js';
import type { Database } from '../store/schema.js';
import type { Evidence } from './types.js';

/** How fresh a review is. */
export type Freshness =
  | { readonly state: 'fresh'; readonly request: number | null; readonly reviewers: readonly string[] }
  | { readonly state: 'grace'; readonly staleSince: string }
  | { readonly state: 'stale' };

/** Pure: the state of a certification valid until `validUntilMs` at `nowMs`. */
export function freshnessAt(
  validUntilMs: number | undefined,
  graceMs: number,
  nowMs: number,
): Freshness['state'] {
  if (validUntilMs === undefined) return 'stale';
  if (nowMs < validUntilMs) return 'fresh';
  return nowMs < validUntilMs + graceMs ? 'grace' : 'stale';
}

/** What recording a certification takes. */
export interface NewCertification {
  readonly actor: IdentityRef;
  readonly rootSubject: string;
  readonly connection: string;
  readonly scope: string;
  readonly reviewers: readonly string[];
  readonly reason: string | null;
  readonly evidence: Evidence | null;
  readonly request: number | null;
  readonly sessionId: string | null;
  readonly maxAgeMs: number;
}

/** Certifications in the store. */
export class CertificationStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
  }

  /** The freshness of `rootSubject`'s review of `connection` now. */
  async freshness(rootSubject: string, connection: string, settings: ConnectionReviews): Promise<Freshness> {
    const row = await this.#db
      .selectFrom('certifications')
      .select(['valid_until', 'request_id', 'reviewers'])
      .where('root_subject', '=', rootSubject)
      .where('connection', '=', connection)
      .orderBy('valid_until', 'desc')
      .limit(1)
      .executeTakeFirst();
    const validUntil = row ? Date.parse(row.valid_until) : undefined;
    const state = freshnessAt(validUntil, settings.graceMs, this.#clock.nowMs());
    if (state === 'fresh' && row) {
      return {
        state,
        request: row.request_id === null ? null : Number(row.request_id),
        reviewers: JSON.parse(row.reviewers) as string[],
      };
    }
    if (state === 'grace' && row) return { state, staleSince: row.valid_until };
    return { state: 'stale' };
  }

  /** Records a certification valid for `maxAgeMs` from now; journals `certification.recorded`. */
  async record(input: NewCertification): Promise<string> {
    const now = this.#clock.now();
    const validUntil = new Date(now.getTime() + input.maxAgeMs).toISOString();
    await this.#db
      .insertInto('certifications')
      .values({
        root_subject: input.rootSubject,
        connection: input.connection,
        scope: input.scope,
        reviewers: JSON.stringify(input.reviewers),
        reason: input.reason,
        evidence: input.evidence ? JSON.stringify(input.evidence) : null,
        request_id: input.request,
        valid_until: validUntil,
        created_at: now.toISOString(),
      })
      .execute();
    this.#audit.append({
      type: 'certification.recorded',
      actor: input.actor,
      rootSubject: input.rootSubject,
      connection: input.connection,
      scope: input.scope,
      reviewers: input.reviewers,
      ...(input.request !== null ? { request: input.request } : {}),
      ...(input.sessionId ? { sessionId: input.sessionId } : {}),
      validUntil,
    });
    return validUntil;
  }
}
