/**
 * Two replicas on one store (two ReviewServices, each with its own in-process dedupe) holding the
 * same root identity on the same connection at the same moment share one review request: the
 * store's partial unique index decides, on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { Identity } from '../core/identity.js';
import type { Session } from '../core/session.js';
import { MemoryAuditLog } from '../core/testing/doubles.js';
import type { Store } from '../store/db.js';
import type { ApprovalNotifier } from './notifier.js';
import { ReviewService } from './service.js';
import { onEachStore, openTestStore, type TestStore } from './testing/stores.js';

const DAY = 86_400_000;

const agent: Identity = {
  subject: 'bot',
  displayName: 'bot',
  kind: 'agent',
  groups: ['agents'],
  issuer: 'airlock',
  tokenId: undefined,
  expiresAt: undefined,
  chain: [],
};

const appdb: Connection = {
  name: 'appdb',
  type: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  database: 'app',
  user: 'app',
  password: { value: 'x' },
  tls: { mode: 'disable' },
  tags: {},
  access: ['group:agents'],
  reviews: {
    maxAgeMs: 30 * DAY,
    approvers: ['group:dba'],
    minApprovals: 1,
    waitMs: 60_000,
    onStale: 'hold',
    fallback: [],
    onTimeout: 'deny',
    graceMs: 0,
  },
};

function sessionOf(id: string): Session {
  return {
    id,
    protocol: 'postgres',
    identity: agent,
    connection: appdb,
    client: { address: '127.0.0.1', port: 1, tls: false },
    startedAt: new Date(Date.UTC(2026, 0, 1)),
    access: { scope: 'read', readOnly: true, source: 'access:group:agents', freshness: 'stale' },
  };
}

function suite(kind: 'sqlite' | 'postgres'): void {
  let testStore: TestStore | undefined;
  let store: Store;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const audit = new MemoryAuditLog();
  const requested: number[] = [];
  const notifier = { requested: (r: { id: number }) => requested.push(r.id) } as unknown as ApprovalNotifier;
  const replica = () =>
    new ReviewService({
      db: store.db,
      clock,
      audit,
      connections: () => new Map([[appdb.name, appdb]]),
      admins: () => ['group:platform'],
      notifier: new Proxy(notifier, { get: (t, k) => (t as never)[k] ?? (() => {}) }),
    });

  before(async () => {
    testStore = await openTestStore(kind, 'dedupe-');
    store = testStore.store;
  });
  after(async () => {
    await testStore?.close();
  });

  test('replicas holding the same identity at once share one pending review request', async () => {
    const [a, b] = [replica(), replica()];
    const notices: string[] = [];
    const abort = new AbortController();
    const held = [a, b, a, b].map((service, i) =>
      service.reviewSession(sessionOf(`s${i}`), (t) => notices.push(t), abort.signal).catch((e: Error) => e),
    );
    const deadline = Date.now() + 5000;
    while (notices.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await Promise.all(held);
    assert.equal(notices.length, 4, 'every held session was told about a request');
    const ids = new Set(notices.map((t) => /request (\d+)/.exec(t)?.[1]));
    assert.equal(ids.size, 1, `one request for all: ${notices.join(' | ')}`);
    const pending = await store.db
      .selectFrom('approval_requests')
      .select('id')
      .where('kind', '=', 'review')
      .where('status', '=', 'pending')
      .execute();
    assert.equal(pending.length, 1);
    assert.equal(audit.records.filter((e) => e.type === 'approval.requested').length, 1);
    assert.deepEqual(requested, [pending[0]!.id], 'approvers are notified once');
  });

  test('a sequential second create reuses the pending review; a decided one frees the slot', async () => {
    const service = replica();
    const input = { kind: 'review' as const, requester: agent, connection: appdb.name, scope: 'read' };
    const first = await service.approvals.createUnlessPending(input);
    assert.equal(first.created, false, 'the first test left one pending');
    await service.decide(
      first.request.id,
      { ...agent, subject: 'dba-1', kind: 'human', groups: ['dba'] },
      'deny',
      'no',
      undefined,
    );
    const fresh = await service.approvals.createUnlessPending(input);
    assert.equal(fresh.created, true);
    assert.notEqual(fresh.request.id, first.request.id);
    const again = await service.approvals.create(input);
    assert.equal(again.id, fresh.request.id);
    // Command requests are not reviews: the index leaves them alone.
    const command = { ...input, kind: 'command' as const, paramsHash: 'h' };
    const c1 = await service.approvals.create(command);
    const c2 = await service.approvals.create(command);
    assert.notEqual(c1.id, c2.id);
  });
}

onEachStore(suite);
