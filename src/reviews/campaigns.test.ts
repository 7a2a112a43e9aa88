import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { AirlockError } from '../core/errors.js';
import { type IdentityKind, OPERATOR } from '../core/identity.js';
import { MemoryAuditLog, testIdentity } from '../core/testing/doubles.js';
import type { Store } from '../store/db.js';
import { type CampaignItemView, isNarrower, suggestScope } from './campaigns.js';
import { parseScope } from './scopes.js';
import { ReviewService } from './service.js';
import { onEachStore, openTestStore, type TestStore } from './testing/stores.js';

const DAY = 86_400_000;

const identity = (subject: string, groups: string[], kind: IdentityKind = 'human') =>
  testIdentity(subject, groups, kind);

function connection(name: string, onStale: 'hold' | 'deny'): Connection {
  return {
    name,
    type: 'postgres',
    host: '127.0.0.1',
    port: 5432,
    database: 'app',
    user: 'app',
    password: { value: 'x' },
    tls: { mode: 'disable' },
    tags: {},
    access: ['group:agents', 'group:dba'],
    reviews: {
      maxAgeMs: 30 * DAY,
      approvers: ['group:dba'],
      minApprovals: 1,
      waitMs: 60_000,
      onStale,
      fallback: [],
      onTimeout: 'deny',
      graceMs: DAY,
    },
  };
}

const held = connection('held', 'hold');
const denied = connection('denied', 'deny');
const catalog = new Map([
  [held.name, held],
  [denied.name, denied],
]);
/** The whole suite against one store kind: SQLite always, PostgreSQL when its binaries are installed. */
function suite(kind: 'sqlite' | 'postgres'): void {
  let testStore: TestStore | undefined;
  let store: Store;
  let clock: ManualClock;
  let audit: MemoryAuditLog;
  let service: ReviewService;
  const dana = identity('dana', ['dba']);
  const bot = identity('dba-bot', ['dba'], 'agent');
  let seq = 0;

  before(async () => {
    testStore = await openTestStore(kind, 'campaigns-');
    store = testStore.store;
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    audit = new MemoryAuditLog();
    service = new ReviewService({
      db: store.db,
      clock,
      audit,
      connections: () => catalog,
      admins: () => ['group:platform'],
    });
  });
  after(async () => {
    await testStore?.close();
  });

  /** A stored `command` audit event, as the drainer writes it. */
  async function used(subject: string, conn: string, action: string, table: string): Promise<void> {
    seq++;
    await store.db
      .insertInto('audit_events')
      .values({
        node: 't',
        seq,
        time: clock.now().toISOString(),
        type: 'command',
        session_id: 's1',
        subject,
        groups: '[]',
        chain: '[]',
        connection: conn,
        protocol: 'postgres',
        record: JSON.stringify({ type: 'command', action, objects: [table], decision: 'allow' }),
        prev_hash: '',
        hash: '',
      })
      .execute();
  }

  test('pure: suggestions follow use; narrower means strictly fewer actions', () => {
    const write = parseScope('write');
    const admin = parseScope('admin');
    assert.equal(suggestScope(write, ['sql.select']), 'read');
    assert.equal(suggestScope(write, ['sql.select', 'sql.insert']), null);
    assert.equal(suggestScope(admin, ['sql.insert']), 'write');
    assert.equal(suggestScope(admin, ['sql.select']), 'read');
    assert.equal(suggestScope(admin, ['sql.ddl']), null);
    assert.equal(suggestScope(parseScope('read'), ['sql.select']), null);
    assert.equal(suggestScope(write, []), 'revoke');
    assert.equal(isNarrower(write, parseScope('read')), true);
    assert.equal(isNarrower(admin, write), true);
    assert.equal(isNarrower(parseScope('read'), write), false);
    assert.equal(isNarrower(write, write), false);
    assert.equal(isNarrower(write, admin), false);
  });

  test('a campaign: evidence and suggestions, reviewer rules, certify, narrow, revoke, report', async () => {
    const grant = await service.grants.create(
      {
        connection: 'held',
        principal: 'user:planner',
        scope: parseScope('write'),
        reason: 'etl',
        source: 'grant',
      },
      OPERATOR,
    );
    await service.admit(identity('planner', []), held);
    await service.admit(identity('ranger', ['agents']), held);
    await service.admit(dana, held);
    await used('planner', 'held', 'sql.select', 'public.orders');
    await used('ranger', 'held', 'sql.insert', 'public.items');
    const campaign = await service.campaigns.create(
      { connections: ['held'], reviewers: ['group:dba'], dueMs: 14 * DAY },
      OPERATOR,
    );
    const items = campaign.items ?? [];
    const find = (entry: string, subject: string) =>
      items.find((i) => i.entry === entry && i.subject === subject) as CampaignItemView;
    const planner = find(`grant:${grant.id}`, 'planner');
    assert.equal(planner.suggestion, 'read');
    assert.deepEqual(planner.evidence.usedActions, ['sql.select']);
    assert.deepEqual(planner.evidence.root.tables, ['public.orders']);
    const ranger = find('access:group:agents', 'ranger');
    assert.equal(ranger.suggestion, 'write');
    const own = find('access:group:dba', 'dana');
    assert.equal(own.suggestion, 'revoke');

    await assert.rejects(
      service.campaigns.decide(own.id, dana, { decision: 'certify', reason: 'mine' }),
      (err: AirlockError) => err.code === 'ERR_APPROVAL_SELF',
    );
    await assert.rejects(
      service.campaigns.decide(planner.id, bot, { decision: 'certify', reason: 'x' }),
      (err: AirlockError) => err.code === 'ERR_APPROVAL_NOT_ALLOWED',
    );
    await assert.rejects(
      service.campaigns.decide(planner.id, identity('sam', ['sre']), { decision: 'certify', reason: 'x' }),
      (err: AirlockError) => err.code === 'ERR_APPROVAL_NOT_ALLOWED',
    );
    await assert.rejects(
      service.campaigns.decide(planner.id, dana, { decision: 'narrow', scope: 'admin', reason: 'x' }),
      /not narrower/,
    );

    const narrowed = await service.campaigns.decide(planner.id, dana, {
      decision: 'narrow',
      scope: 'read',
      reason: 'reads only',
    });
    assert.equal(narrowed.status, 'narrowed');
    assert.equal(
      (await service.grants.get(grant.id))?.scope,
      'read',
      'a grant naming the identity is narrowed itself',
    );
    assert.equal((await service.certifications.freshness('planner', 'held', held.reviews!)).state, 'fresh');
    await assert.rejects(
      service.campaigns.decide(planner.id, dana, { decision: 'revoke', reason: 'again' }),
      (err: AirlockError) => /already decided \(narrowed by dana\)/.test(err.userMessage),
    );

    // A shared entry is changed for that identity only: a suspension plus a personal grant.
    await service.campaigns.decide(ranger.id, dana, {
      decision: 'narrow',
      scope: 'read',
      reason: 'no writes',
    });
    const access = await service.admit(identity('ranger', ['agents']), held);
    assert.equal(access?.scope, 'read');
    assert.ok(access?.grantId);
    assert.equal((await service.admit(identity('other', ['agents']), held))?.scope, 'admin');

    const report = await service.campaigns.report(campaign.id);
    const line = report.lines.find((l) => l.item === planner.id);
    assert.deepEqual(
      line && {
        by: line.decidedBy,
        status: line.status,
        scope: line.newScope,
        reason: line.reason,
        actions: line.evidence.usedActions,
      },
      { by: 'dana', status: 'narrowed', scope: 'read', reason: 'reads only', actions: ['sql.select'] },
    );
    assert.ok(
      audit.records.some(
        (e) => e.type === 'campaign.decided' && e.item === planner.id && e.decision === 'narrow',
      ),
    );
  });

  test('upkeep: one reminder before due; overdue items get onStale after grace (hold: certification void, deny: suspended)', async () => {
    for (const [subject, conn] of [
      ['hold-me', 'held'],
      ['deny-me', 'denied'],
    ] as const) {
      await service.certifications.record({
        actor: { subject: 'dana', kind: 'human', groups: [], issuer: 'airlock', chain: [] },
        rootSubject: subject,
        connection: conn,
        scope: 'admin',
        reviewers: ['dana'],
        reason: null,
        evidence: null,
        request: null,
        sessionId: null,
        maxAgeMs: 30 * DAY,
      });
    }
    await service.admit(identity('hold-me', ['agents']), held);
    await service.admit(identity('deny-me', ['agents']), denied);
    const campaign = await service.campaigns.create(
      { connections: ['held', 'denied'], reviewers: ['group:dba'], dueMs: 10 * DAY },
      OPERATOR,
    );
    const reminders: number[] = [];
    const remind = (c: { id: number }) => reminders.push(c.id);
    clock.advance(7 * DAY);
    assert.deepEqual((await service.campaigns.upkeep(remind)).reminded, []);
    clock.advance(DAY + 1);
    assert.deepEqual((await service.campaigns.upkeep(remind)).reminded, [campaign.id]);
    assert.deepEqual((await service.campaigns.upkeep(remind)).reminded, [], 'once');
    clock.advance(2 * DAY);
    assert.deepEqual((await service.campaigns.upkeep(remind)).overdue, [], 'within grace');
    assert.equal((await service.certifications.freshness('hold-me', 'held', held.reviews!)).state, 'fresh');
    clock.advance(DAY);
    const { overdue } = await service.campaigns.upkeep(remind);
    assert.ok(overdue.length > 0);
    assert.equal((await service.certifications.freshness('hold-me', 'held', held.reviews!)).state, 'stale');
    assert.equal((await service.admit(identity('hold-me', ['agents']), held))?.freshness, 'stale');
    await assert.rejects(
      service.admit(identity('deny-me', ['agents']), denied),
      /suspended \(campaign-overdue/,
    );
    const shown = await service.campaigns.show(campaign.id);
    const item = shown.items?.find((i) => i.subject === 'deny-me') as CampaignItemView;
    assert.equal(item.status, 'overdue');
    // A reviewer may still certify an overdue item: the suspension lifts and the review is fresh.
    await service.campaigns.decide(item.id, dana, { decision: 'certify', reason: 'late but fine' });
    assert.equal((await service.admit(identity('deny-me', ['agents']), denied))?.freshness, 'fresh');
  });
}

onEachStore(suite);
