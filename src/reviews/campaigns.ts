/**
 * @module Recertification campaigns: one item per grant or standing `access:` entry per root
 * identity seen using it, with usage evidence from the audit trail (the root's and each delegate's
 * own), and a narrowing suggestion when the access is wider than its use. Reviewers in the
 * campaign's set certify, narrow or revoke; nobody reviews their own access or a chain they are in.
 * `upkeep` (scheduled with expiry) sends reminders before the due time and, `grace` after it,
 * applies the connection's `onStale` to items nobody decided.
 *
 * An entry that names the identity itself (a `user:` grant) is changed itself; an entry shared by
 * a group (a group grant, an `access:` entry) is changed for that identity only: a suspension of
 * that route, plus a personal grant of the narrower scope when narrowing.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { Connection, ScopeName } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, matchesPrincipal, type PrincipalRef, toIdentityRef } from '../core/identity.js';
import type { CampaignItemsTable, CampaignsTable, Database } from '../store/schema.js';
import { gatherEvidence } from './evidence.js';
import { EXPIRY_ACTOR, suspensionCovers } from './expiry.js';
import { parseScope, READ_ACTIONS, type ResolvedScope, scopeActions, WRITE_ACTIONS } from './scopes.js';
import type { ReviewService } from './service.js';
import type { Evidence } from './types.js';

/** Evidence looks this far back for campaigns (a quarter: what recertification usually covers). */
export const CAMPAIGN_WINDOW_DAYS = 90;
/** Reminders go out this long before the due time (or halfway, for shorter campaigns). */
const REMIND_BEFORE_MS = 2 * 86_400_000;

/** One delegate's own use, grouped under its root. */
export interface DelegateUse {
  readonly name: string;
  readonly evidence: Evidence;
}

/** What a reviewer sees for an item. */
export interface ItemEvidence {
  /** The root identity's own sessions and statements. */
  readonly root: Evidence;
  readonly delegates: readonly DelegateUse[];
  /** Every action used by the root or a delegate in the window, sorted. */
  readonly usedActions: readonly string[];
  /** When this identity last opened a session through this entry (null: never seen). */
  readonly lastUsedAt: string | null;
}

/** An item as shown. */
export interface CampaignItemView {
  readonly id: number;
  readonly campaign: number;
  readonly connection: string;
  /** `grant:ID` or `access:REF`. */
  readonly entry: string;
  readonly subject: string;
  readonly scope: string;
  readonly evidence: ItemEvidence;
  /** `read`, `write`, `revoke`, or null when the use matches the scope. */
  readonly suggestion: string | null;
  readonly status: 'pending' | 'certified' | 'narrowed' | 'revoked' | 'overdue';
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly reason: string | null;
  readonly newScope: string | null;
}

/** A campaign as shown. */
export interface CampaignView {
  readonly id: number;
  readonly connections: readonly string[];
  readonly reviewers: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly dueAt: string;
  readonly remindedAt: string | null;
  /** Counts by status. */
  readonly counts: Readonly<Record<string, number>>;
  readonly items?: readonly CampaignItemView[];
}

/** What creating a campaign takes. */
export interface NewCampaign {
  readonly connections: readonly string[];
  readonly reviewers: readonly PrincipalRef[];
  readonly dueMs: number;
}

/** A decision on an item. */
export type ItemDecision =
  | { readonly decision: 'certify'; readonly reason: string }
  | { readonly decision: 'narrow'; readonly scope: string; readonly reason: string }
  | { readonly decision: 'revoke'; readonly reason: string };

/** Called once per campaign when its reminder is due: the pending items and who should decide. */
export type CampaignReminder = (campaign: CampaignView, pending: readonly CampaignItemView[]) => void;

/** Pure: a narrower scope the use supports, `revoke` when no statement was run in the window, else null. */
export function suggestScope(granted: ResolvedScope, used: readonly string[]): string | null {
  if (used.length === 0) return 'revoke';
  const within = (allowed: readonly string[]) => used.every((a) => allowed.includes(a));
  const admin = granted.actions.length === 0;
  const readOnly = !admin && granted.actions.every((a) => READ_ACTIONS.includes(a));
  if (!readOnly && within(READ_ACTIONS)) return 'read';
  if (admin && within(WRITE_ACTIONS)) return 'write';
  return null;
}

/** Pure: true when `next` allows strictly less than `current`. */
export function isNarrower(current: ResolvedScope, next: ResolvedScope): boolean {
  if (next.actions.length === 0) return false;
  if (current.actions.length === 0) return true;
  return (
    next.actions.every((a) => current.actions.includes(a)) && next.actions.length < current.actions.length
  );
}

function namedScope(name: string, actions: readonly string[]): ResolvedScope {
  if (name === 'read' || name === 'write' || name === 'admin')
    return { scope: name, actions: scopeActions(name) };
  return { scope: name, actions };
}

function toItem(row: Selectable<CampaignItemsTable>): CampaignItemView {
  return {
    id: Number(row.id),
    campaign: Number(row.campaign_id),
    connection: row.connection,
    entry: row.entry,
    subject: row.subject,
    scope: row.scope,
    evidence: JSON.parse(row.evidence) as ItemEvidence,
    suggestion: row.suggestion,
    status: row.status as CampaignItemView['status'],
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
    newScope: row.new_scope,
  };
}

function toCampaign(
  row: Selectable<CampaignsTable>,
  items: readonly CampaignItemView[],
  withItems: boolean,
): CampaignView {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return {
    id: Number(row.id),
    connections: JSON.parse(row.connections) as string[],
    reviewers: JSON.parse(row.reviewers) as string[],
    createdBy: row.created_by,
    createdAt: row.created_at,
    dueAt: row.due_at,
    remindedAt: row.reminded_at,
    counts,
    ...(withItems ? { items } : {}),
  };
}

/** One line of an auditor's report: who reviewed what, when, with what evidence, and the outcome. */
export interface ReportLine {
  readonly item: number;
  readonly connection: string;
  readonly entry: string;
  readonly subject: string;
  readonly scope: string;
  readonly evidence: {
    readonly windowDays: number;
    readonly sessions: number;
    readonly statements: number;
    readonly usedActions: readonly string[];
    readonly tables: readonly string[];
    readonly lastUsedAt: string | null;
    readonly delegates: readonly { name: string; actions: readonly string[]; statements: number }[];
  };
  readonly suggestion: string | null;
  readonly status: CampaignItemView['status'];
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly reason: string | null;
  readonly newScope: string | null;
}

/** A campaign's auditor evidence. */
export interface CampaignReport {
  readonly campaign: CampaignView;
  readonly generatedAt: string;
  readonly lines: readonly ReportLine[];
}

const statementCount = (e: Evidence): number =>
  Object.values(e.statementsByAction).reduce((a, b) => a + b, 0);

/** Pure: the report line of an item. */
export function reportLine(item: CampaignItemView): ReportLine {
  const { root, delegates } = item.evidence;
  return {
    item: item.id,
    connection: item.connection,
    entry: item.entry,
    subject: item.subject,
    scope: item.scope,
    evidence: {
      windowDays: root.windowDays,
      sessions: root.sessions + delegates.reduce((a, d) => a + d.evidence.sessions, 0),
      statements: statementCount(root) + delegates.reduce((a, d) => a + statementCount(d.evidence), 0),
      usedActions: item.evidence.usedActions,
      tables: [...new Set([...root.tables, ...delegates.flatMap((d) => d.evidence.tables)])].sort(),
      lastUsedAt: item.evidence.lastUsedAt,
      delegates: delegates.map((d) => ({
        name: d.name,
        actions: Object.keys(d.evidence.statementsByAction).sort(),
        statements: statementCount(d.evidence),
      })),
    },
    suggestion: item.suggestion,
    status: item.status,
    decidedBy: item.decidedBy,
    decidedAt: item.decidedAt,
    reason: item.reason,
    newScope: item.newScope,
  };
}

/** Campaigns over the review service's stores. */
export class CampaignService {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #reviews: ReviewService;

  constructor(deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog; reviews: ReviewService }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#reviews = deps.reviews;
  }

  /** Creates a campaign and its items; journals `campaign.created`. */
  async create(input: NewCampaign, actor: Identity): Promise<CampaignView> {
    if (input.connections.length === 0 || input.reviewers.length === 0) {
      throw new AirlockError('ERR_BAD_REQUEST', 'campaign without connections or reviewers', {
        userMessage: 'a campaign needs --connections and --reviewers',
      });
    }
    const connections = input.connections.map((name) => {
      const connection = this.#reviews.connection(name);
      if (!connection.reviews) {
        throw new AirlockError('ERR_BAD_REQUEST', `connection ${name} has no reviews block`, {
          userMessage: `connection "${name}" has no reviews: block (maxAge, onStale, grace): campaigns certify against it`,
        });
      }
      return connection;
    });
    const now = this.#clock.now();
    const items: Omit<CampaignItemsTable, 'id' | 'campaign_id'>[] = [];
    for (const connection of connections) items.push(...(await this.#itemsFor(connection)));
    const id = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('campaigns')
        .values({
          connections: JSON.stringify(input.connections),
          reviewers: JSON.stringify(input.reviewers),
          created_by: actor.subject,
          created_at: now.toISOString(),
          due_at: new Date(now.getTime() + input.dueMs).toISOString(),
          reminded_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const campaign = Number(row.id);
      for (const item of items)
        await trx
          .insertInto('campaign_items')
          .values({ ...item, campaign_id: campaign })
          .execute();
      return campaign;
    });
    const view = await this.show(id);
    this.#audit.append({
      type: 'campaign.created',
      actor: toIdentityRef(actor),
      campaign: id,
      connections: view.connections,
      reviewers: view.reviewers,
      dueAt: view.dueAt,
      items: items.length,
    });
    return view;
  }

  /** Items of one connection: live grants and standing entries, per root identity seen using them. */
  async #itemsFor(connection: Connection): Promise<Omit<CampaignItemsTable, 'id' | 'campaign_id'>[]> {
    const routes: { entry: string; scope: ResolvedScope; principal: string }[] = [];
    for (const ref of connection.access) {
      const name: ScopeName = connection.accessScopes?.[ref] ?? 'admin';
      routes.push({
        entry: `access:${ref}`,
        scope: { scope: name, actions: scopeActions(name) },
        principal: ref,
      });
    }
    for (const grant of await this.#reviews.grants.list({ connection: connection.name })) {
      routes.push({
        entry: `grant:${grant.id}`,
        scope: namedScope(grant.scope, grant.actions),
        principal: grant.principal,
      });
    }
    const items: Omit<CampaignItemsTable, 'id' | 'campaign_id'>[] = [];
    for (const route of routes) {
      const seen = await this.#reviews.usage.users(connection.name, route.entry);
      const subjects = new Map<string, string | null>();
      for (const u of seen) {
        // Already cut off from this route (suspended): nothing to certify until restored.
        const suspended = await this.#reviews.suspensions.active(connection.name, u.subject);
        if (!suspended.some((x) => suspensionCovers(x, route.entry))) subjects.set(u.subject, u.lastUsedAt);
      }
      if (route.principal.startsWith('user:') && subjects.size === 0)
        subjects.set(route.principal.slice(5), null);
      // A group route nobody used: one item for the group, so the reviewer sees it and can drop it.
      if (subjects.size === 0) subjects.set(route.principal, null);
      for (const [subject, lastUsedAt] of subjects) {
        const evidence = await this.#evidence(subject, connection.name, lastUsedAt);
        items.push({
          connection: connection.name,
          entry: route.entry,
          subject,
          scope: route.scope.scope,
          evidence: JSON.stringify(evidence),
          suggestion: suggestScope(route.scope, evidence.usedActions),
          status: 'pending',
          decided_by: null,
          decided_at: null,
          reason: null,
          new_scope: null,
        });
      }
    }
    return items;
  }

  async #evidence(subject: string, connection: string, lastUsedAt: string | null): Promise<ItemEvidence> {
    const gather = (who: string) =>
      gatherEvidence(this.#db, this.#clock, who, connection, CAMPAIGN_WINDOW_DAYS);
    const root = await gather(subject);
    const since = new Date(this.#clock.nowMs() - CAMPAIGN_WINDOW_DAYS * 86_400_000).toISOString();
    const tokens = await this.#db
      .selectFrom('tokens')
      .select(['name', 'last_used_at', 'revoked_at'])
      .where('root_subject', '=', subject)
      .where('acting', 'is', null)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('last_used_at', '>=', since)]))
      .orderBy('created_at')
      .limit(50)
      .execute();
    const delegates: DelegateUse[] = [];
    for (const name of new Set(tokens.map((t) => t.name)))
      delegates.push({ name, evidence: await gather(name) });
    const used = new Set(Object.keys(root.statementsByAction));
    for (const d of delegates) for (const a of Object.keys(d.evidence.statementsByAction)) used.add(a);
    used.delete('sql.unclassified');
    return { root, delegates, usedActions: [...used].sort(), lastUsedAt };
  }

  /** Auditor evidence for campaign `id`. */
  async report(id: number): Promise<CampaignReport> {
    const { items = [], ...campaign } = await this.show(id);
    return { campaign, generatedAt: this.#clock.now().toISOString(), lines: items.map(reportLine) };
  }

  /** Every campaign, newest first, with counts. */
  async list(): Promise<CampaignView[]> {
    const rows = await this.#db.selectFrom('campaigns').selectAll().orderBy('id', 'desc').execute();
    const out: CampaignView[] = [];
    for (const row of rows) out.push(toCampaign(row, await this.#items(Number(row.id)), false));
    return out;
  }

  /** One campaign with its items. */
  async show(id: number): Promise<CampaignView> {
    const row = await this.#db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row)
      throw new AirlockError('ERR_NOT_FOUND', `campaign ${id}`, {
        userMessage: `there is no campaign ${id}`,
      });
    return toCampaign(row, await this.#items(id), true);
  }

  async #items(campaign: number): Promise<CampaignItemView[]> {
    const rows = await this.#db
      .selectFrom('campaign_items')
      .selectAll()
      .where('campaign_id', '=', campaign)
      .orderBy('id')
      .execute();
    return rows.map(toItem);
  }

  async item(id: number): Promise<CampaignItemView> {
    const row = await this.#db
      .selectFrom('campaign_items')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw new AirlockError('ERR_NOT_FOUND', `campaign item ${id}`, {
        userMessage: `there is no campaign item ${id}`,
      });
    return toItem(row);
  }

  /**
   * `reviewer` decides item `id`. Refused unless the reviewer is a human in the campaign's reviewer
   * set who is neither the item's identity nor in its chain (a delegate of it, or acting for it).
   * Pending and overdue items may be decided; a decided one may not be decided again.
   */
  async decide(id: number, reviewer: Identity, decision: ItemDecision): Promise<CampaignItemView> {
    if (!decision.reason.trim()) {
      throw new AirlockError('ERR_BAD_REQUEST', 'decision without reason', {
        userMessage: 'a campaign decision needs a reason (--reason)',
      });
    }
    const item = await this.item(id);
    const campaign = await this.show(item.campaign);
    this.#checkReviewer(item, campaign, reviewer);
    if (item.status !== 'pending' && item.status !== 'overdue') {
      throw new AirlockError('ERR_APPROVAL_CLOSED', `item ${id} is ${item.status}`, {
        userMessage: `campaign item ${id} was already decided (${item.status} by ${item.decidedBy})`,
      });
    }
    const connection = this.#reviews.connection(item.connection);
    const shared = !item.entry.startsWith('grant:') || !(await this.#namesSubject(item));
    if (item.subject.startsWith('group:') && decision.decision !== 'certify') {
      throw new AirlockError('ERR_BAD_REQUEST', `item ${id} is an unused group entry`, {
        userMessage: `nobody in ${item.subject} used ${item.entry}: ${item.entry.startsWith('grant:') ? `airlock grant revoke ${item.entry.slice(6)}` : "remove it from the connection's access: list"}`,
      });
    }
    const certify = async (scope: string) => {
      if (!connection.reviews || item.subject.startsWith('group:')) return;
      await this.#reviews.certifications.record({
        actor: toIdentityRef(reviewer),
        rootSubject: item.subject,
        connection: item.connection,
        scope,
        reviewers: [reviewer.subject],
        reason: decision.reason,
        evidence: item.evidence.root,
        request: null,
        sessionId: null,
        maxAgeMs: connection.reviews.maxAgeMs,
      });
    };
    let status: CampaignItemView['status'];
    let newScope: string | null = null;
    if (decision.decision === 'certify') {
      await certify(item.scope);
      await this.#reviews.suspensions.lift(
        item.connection,
        item.subject,
        reviewer,
        `campaign ${item.campaign} item ${id} certified`,
      );
      status = 'certified';
    } else if (decision.decision === 'narrow') {
      const next = parseScope(decision.scope);
      if (!isNarrower(await this.#currentScope(item), next)) {
        throw new AirlockError(
          'ERR_BAD_REQUEST',
          `scope ${decision.scope} is not narrower than ${item.scope}`,
          {
            userMessage: `--scope ${decision.scope} is not narrower than the current scope ${item.scope}`,
          },
        );
      }
      if (shared) {
        await this.#reviews.grants.create(
          {
            connection: item.connection,
            principal: `user:${item.subject}`,
            scope: next,
            reason: `campaign ${item.campaign}: ${decision.reason}`,
            source: 'campaign',
          },
          reviewer,
        );
        await this.#reviews.suspensions.suspend(
          {
            connection: item.connection,
            subject: item.subject,
            entry: item.entry,
            reason: 'campaign-narrowed',
            campaign: item.campaign,
          },
          reviewer,
        );
      } else {
        await this.#reviews.grants.narrow(item.entry.slice(6), next, reviewer, decision.reason);
      }
      await certify(next.scope);
      status = 'narrowed';
      newScope = next.scope === 'custom' ? next.actions.join(',') : next.scope;
    } else {
      if (shared) {
        await this.#reviews.suspensions.suspend(
          {
            connection: item.connection,
            subject: item.subject,
            entry: item.entry,
            reason: 'campaign-revoked',
            campaign: item.campaign,
          },
          reviewer,
        );
      } else {
        await this.#reviews.grants.revoke(item.entry.slice(6), reviewer, 'campaign');
      }
      status = 'revoked';
    }
    await this.#close(item, status, reviewer, decision.reason, newScope);
    return this.item(id);
  }

  #checkReviewer(item: CampaignItemView, campaign: CampaignView, reviewer: Identity): void {
    if (reviewer.kind !== 'human' || !matchesPrincipal(reviewer, campaign.reviewers as PrincipalRef[])) {
      throw new AirlockError(
        'ERR_APPROVAL_NOT_ALLOWED',
        `${reviewer.subject} is not a reviewer of campaign ${campaign.id}`,
        {
          userMessage: `"${reviewer.subject}" is not a reviewer of campaign ${campaign.id} (reviewers: ${campaign.reviewers.join(', ')}; agents and services never review)`,
        },
      );
    }
    const parties = new Set([item.subject, ...item.evidence.delegates.map((d) => d.name)]);
    const own = [
      reviewer.subject,
      ...reviewer.chain.map((a) => a.subject),
      reviewer.delegation?.root.subject,
    ];
    if (own.some((s) => s !== undefined && parties.has(s))) {
      throw new AirlockError('ERR_APPROVAL_SELF', `${reviewer.subject} reviewing own access`, {
        userMessage: `"${reviewer.subject}" cannot review the access of "${item.subject}": it is their own or in their chain`,
      });
    }
  }

  /** True when the item's grant names its subject itself (`user:SUBJECT`). */
  async #namesSubject(item: CampaignItemView): Promise<boolean> {
    const grant = await this.#reviews.grants.get(item.entry.slice(6));
    return grant?.principal === `user:${item.subject}`;
  }

  async #currentScope(item: CampaignItemView): Promise<ResolvedScope> {
    if (item.entry.startsWith('grant:')) {
      const grant = await this.#reviews.grants.get(item.entry.slice(6));
      if (grant && !grant.revokedAt) return namedScope(grant.scope, grant.actions);
    }
    return namedScope(item.scope, item.scope === 'custom' ? [] : scopeActions(item.scope as ScopeName));
  }

  async #close(
    item: CampaignItemView,
    status: CampaignItemView['status'],
    actor: Identity,
    reason: string,
    newScope: string | null,
  ): Promise<void> {
    await this.#db
      .updateTable('campaign_items')
      .set({
        status,
        decided_by: actor.subject,
        decided_at: this.#clock.now().toISOString(),
        reason,
        new_scope: newScope,
      })
      .where('id', '=', item.id)
      .execute();
    const decision =
      status === 'certified'
        ? 'certify'
        : status === 'narrowed'
          ? 'narrow'
          : status === 'revoked'
            ? 'revoke'
            : reason;
    this.#audit.append({
      type: 'campaign.decided',
      actor: toIdentityRef(actor),
      campaign: item.campaign,
      item: item.id,
      connection: item.connection,
      subject: item.subject,
      entry: item.entry,
      decision,
      ...(newScope ? { scope: newScope } : {}),
      reason,
    });
  }

  /**
   * Reminders and overdue items: a campaign with pending items is reminded once, two days (or half
   * its length) before it is due; an item still pending `grace` after the due time gets its
   * connection's `onStale`: `hold` voids the certifications recorded before the campaign (the next
   * session is held for a review), `deny` suspends the identity on the connection. `clock`: tests
   * pass one set ahead. Returns what it did.
   */
  async upkeep(
    remind: CampaignReminder,
    clock: Clock = this.#clock,
  ): Promise<{ reminded: number[]; overdue: number[] }> {
    const now = clock.nowMs();
    const reminded: number[] = [];
    const overdue: number[] = [];
    const open = await this.#db
      .selectFrom('campaigns')
      .selectAll()
      .where('id', 'in', (eb) =>
        eb.selectFrom('campaign_items').select('campaign_id').where('status', '=', 'pending'),
      )
      .execute();
    for (const row of open) {
      const campaign = toCampaign(row, await this.#items(Number(row.id)), true);
      const pending = (campaign.items ?? []).filter((i) => i.status === 'pending');
      const due = Date.parse(campaign.dueAt);
      const lead = Math.min(REMIND_BEFORE_MS, (due - Date.parse(campaign.createdAt)) / 2);
      if (campaign.remindedAt === null && now >= due - lead && pending.length > 0) {
        remind(campaign, pending);
        await this.#db
          .updateTable('campaigns')
          .set({ reminded_at: new Date(now).toISOString() })
          .where('id', '=', campaign.id)
          .execute();
        reminded.push(campaign.id);
      }
      for (const item of pending) {
        const reviews = this.#reviews.reviewsOf(item.connection);
        if (!reviews || now < due + reviews.graceMs) continue;
        if (!item.subject.startsWith('group:')) {
          if (reviews.onStale === 'deny') {
            await this.#reviews.suspensions.suspend(
              {
                connection: item.connection,
                subject: item.subject,
                entry: '*',
                reason: 'campaign-overdue',
                campaign: item.campaign,
              },
              EXPIRY_ACTOR,
            );
          } else {
            // The certification the campaign was to renew is void: every one recorded before the
            // campaign ends (past grace) before it started, so the next session is held for a review.
            const cut = new Date(Date.parse(campaign.createdAt) - reviews.graceMs - 1).toISOString();
            await this.#db
              .updateTable('certifications')
              .set({ valid_until: cut })
              .where('root_subject', '=', item.subject)
              .where('connection', '=', item.connection)
              .where('created_at', '<=', campaign.createdAt)
              .where('valid_until', '>', cut)
              .execute();
          }
        }
        await this.#close(item, 'overdue', EXPIRY_ACTOR, `overdue-${reviews.onStale}`, null);
        overdue.push(item.id);
      }
    }
    return { reminded, overdue };
  }
}
