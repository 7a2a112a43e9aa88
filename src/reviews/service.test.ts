import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { Connection, ConnectionReviews } from '../core/connection.js';
import type { AirlockError } from '../core/errors.js';
import type { Identity, IdentityKind } from '../core/identity.js';
import type { Session } from '../core/session.js';
import { MemoryAuditLog, testIdentity } from '../core/testing/doubles.js';
import { openStore, type Store } from '../store/db.js';
import { ReviewService } from './service.js';

const identity = (subject: string, groups: string[], kind: IdentityKind = 'human') =>
  testIdentity(subject, groups, kind);

const reviews: ConnectionReviews = {
  maxAgeMs: 30 * 86_400_000,
  approvers: ['group:dba'],
  minApprovals: 1,
  waitMs: 60_000,
  onStale: 'hold',
  fallback: [{ afterMs: 30_000, approvers: ['group:sre'] }],
  onTimeout: 'deny',
  graceMs: 3 * 86_400_000,
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
  access: ['group:agents', 'group:readers'],
  accessScopes: { 'group:readers': 'read' },
  reviews,
};

let dir: string;
let store: Store;
let clock: ManualClock;
let audit: MemoryAuditLog;
let service: ReviewService;
const agent = identity('agent-1', ['agents'], 'agent');
const dana = identity('dana', ['dba']);
const sam = identity('sam', ['sre']);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reviews-'));
  store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  audit = new MemoryAuditLog();
  const catalog = new Map([[appdb.name, appdb]]);
  service = new ReviewService({
    db: store.db,
    clock,
    audit,
    connections: () => catalog,
    admins: () => ['group:platform'],
  });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function sessionOf(who: Identity): Session {
  return {
    id: `s-${who.subject}`,
    protocol: 'postgres',
    identity: who,
    connection: appdb,
    client: { address: '127.0.0.1', port: 1, tls: false },
    startedAt: clock.now(),
    access: { scope: 'admin', readOnly: false, source: 'access', freshness: 'stale' },
  };
}

test('admit: access entries carry their scope; no grant and no entry is no access', async () => {
  const reader = await service.admit(identity('r', ['readers'], 'agent'), appdb);
  assert.equal(reader?.scope, 'read');
  assert.equal(reader?.readOnly, true);
  assert.ok(reader?.actions?.has('sql.select'));
  assert.equal(reader?.freshness, 'stale');
  assert.equal(await service.admit(identity('nobody', []), appdb), undefined);
});

test('a stale review holds; a fallback approver decides after the step starts; certification makes it fresh', async () => {
  const notices: string[] = [];
  const held = service.reviewSession(sessionOf(agent), (t) => notices.push(t), new AbortController().signal);
  while (notices.length === 0) await new Promise((r) => setTimeout(r, 5));
  const id = Number(/request (\d+)/.exec(notices[0]!)?.[1]);
  assert.match(
    notices[0]!,
    /access review required: request \d+ is waiting for group:dba \(approve: airlock approvals approve \d+\)/,
  );
  const request = await service.approvals.require(id);
  assert.equal(request.kind, 'review');
  assert.ok(request.evidence, 'evidence attached');
  await assert.rejects(service.decide(id, sam, 'approve', 'ok', undefined), {
    code: 'ERR_APPROVAL_NOT_ALLOWED',
  });
  await assert.rejects(service.decide(id, identity('agent-1', ['dba']), 'approve', 'me', undefined), {
    code: 'ERR_APPROVAL_SELF',
  });
  clock.advance(30_000);
  await service.decide(id, sam, 'approve', 'on call', undefined);
  assert.deepEqual(await held, { request: id, reviewers: ['sam'] });
  const access = await service.admit(agent, appdb);
  assert.equal(access?.freshness, 'fresh');
  const cert = audit.records.find((e) => e.type === 'certification.recorded');
  assert.ok(cert && cert.type === 'certification.recorded' && cert.reviewers[0] === 'sam');
  // Past maxAge: within grace, then stale again.
  clock.advance(reviews.maxAgeMs + 1000);
  assert.equal((await service.admit(agent, appdb))?.freshness, 'grace');
  clock.advance(reviews.graceMs);
  assert.equal((await service.admit(agent, appdb))?.freshness, 'stale');
});

test('denied and timed-out holds carry the request id; a timed-out request expires after its last step', async () => {
  const other = identity('agent-2', ['agents'], 'agent');
  const notices: string[] = [];
  const held = service.reviewSession(sessionOf(other), (t) => notices.push(t), new AbortController().signal);
  while (notices.length === 0) await new Promise((r) => setTimeout(r, 5));
  const id = Number(/request (\d+)/.exec(notices[0]!)?.[1]);
  await assert.rejects(service.decide(id, dana, 'deny', '', undefined), { code: 'ERR_BAD_REQUEST' });
  await service.decide(id, dana, 'deny', 'not needed', undefined);
  await assert.rejects(held, (err: { code: string; detail: string }) => {
    assert.equal(err.code, 'ERR_APPROVAL_DENIED');
    assert.equal(err.detail, `request: ${id}`);
    return true;
  });
  await assert.rejects(service.decide(id, dana, 'approve', 'x', undefined), { code: 'ERR_APPROVAL_CLOSED' });

  const third = identity('agent-3', ['agents'], 'agent');
  const created = await service.requestAccess(
    third,
    'appdb',
    { scope: 'read', actions: ['sql.select'] },
    'debug',
    3600_000,
  );
  clock.advance(30_000 + reviews.waitMs);
  assert.equal((await service.approvals.require(created.id)).status, 'expired');
});

test('JIT access: approval creates a time-boxed grant for the requester', async () => {
  const outsider = identity('visitor', [], 'agent');
  assert.equal(await service.admit(outsider, appdb), undefined);
  const request = await service.requestAccess(
    outsider,
    'appdb',
    { scope: 'read', actions: ['sql.select'] },
    'incident 7',
    7200_000,
  );
  await service.decide(request.id, dana, 'approve', 'ok', undefined);
  const grants = await service.grants.list({ connection: 'appdb' });
  const grant = grants.find((g) => g.principal === 'user:visitor');
  assert.ok(grant);
  assert.equal(grant.source, 'jit');
  assert.equal(grant.request, request.id);
  assert.equal(grant.grantedBy, 'dana');
  assert.equal(Date.parse(grant.expiresAt!) - clock.nowMs(), 7200_000);
  const access = await service.admit(outsider, appdb);
  assert.equal(access?.scope, 'read');
  assert.equal(access?.source, `grant:${grant.id}`);
  assert.equal(access?.freshness, 'fresh');
  clock.advance(7200_000);
  assert.equal(await service.admit(outsider, appdb), undefined, 'expired grant admits nobody');
});

test('waiting costs one shared entry per request and wakes everyone at once', async () => {
  const who = identity('agent-9', ['agents'], 'agent');
  const notices: string[] = [];
  const holds = Array.from({ length: 20 }, (_, i) =>
    service.reviewSession(
      { ...sessionOf(who), id: `s${i}` },
      (t) => notices.push(t),
      new AbortController().signal,
    ),
  );
  while (notices.length < 20) await new Promise((r) => setTimeout(r, 5));
  const ids = new Set(notices.map((t) => /request (\d+)/.exec(t)?.[1]));
  assert.equal(ids.size, 1, 'one request for one identity and connection');
  assert.equal(service.waiter.ids().length, 1);
  assert.equal(service.waiter.size, 20);
  await service.decide(Number([...ids][0]), dana, 'approve', 'ok', undefined);
  const outcomes = await Promise.all(holds);
  assert.ok(outcomes.every((o) => o.reviewers[0] === 'dana'));
  assert.equal(service.waiter.size, 0);
});

test('a JIT request for a list of actions is granted exactly those actions, not everything', async () => {
  const narrow = identity('narrow-1', [], 'agent');
  const request = await service.requestAccess(
    narrow,
    'appdb',
    { scope: 'custom', actions: ['sql.select', 'sql.insert'] },
    'load one table',
    3600_000,
  );
  assert.equal(request.scope, 'sql.select,sql.insert');
  await service.decide(request.id, dana, 'approve', 'ok', undefined);
  const grant = (await service.grants.list({ connection: 'appdb' })).find(
    (g) => g.principal === 'user:narrow-1',
  );
  assert.ok(grant);
  assert.deepEqual([grant.scope, [...grant.actions].sort()], ['custom', ['sql.insert', 'sql.select']]);
});

test("a delegate's JIT request: the chain is recorded, the grant goes to the root, within the delegate's scope only", async () => {
  const root = identity('root-1', [], 'human');
  const delegate: Identity = {
    ...identity('helper-1', [], 'agent'),
    chain: [{ subject: 'root-1', kind: 'human' }],
    delegation: {
      root: { subject: 'root-1', kind: 'human', groups: [], issuer: 'airlock' },
      scopes: [[{ connection: 'appdb', scope: 'read', actions: ['sql.select', 'sql.show'] }]],
    },
  };
  await assert.rejects(
    service.requestAccess(delegate, 'appdb', { scope: 'write', actions: ['sql.insert'] }, 'x', 60_000),
    (err: AirlockError) =>
      err.code === 'ERR_SCOPE_DENIED' && /wider than the delegated scope of "helper-1"/.test(err.userMessage),
  );
  const request = await service.requestAccess(
    delegate,
    'appdb',
    { scope: 'custom', actions: ['sql.select'] },
    'report',
    60_000,
  );
  assert.deepEqual(request.requester.chain, [{ subject: 'root-1', kind: 'human' }]);
  assert.equal(request.grantTo, 'user:root-1');
  await assert.rejects(service.decide(request.id, root, 'approve', 'mine', undefined), {
    code: 'ERR_APPROVAL_SELF',
  });
  await service.decide(request.id, dana, 'approve', 'ok', undefined);
  const grants = await service.grants.list({ connection: 'appdb' });
  assert.ok(grants.some((g) => g.request === request.id && g.principal === 'user:root-1'));
  assert.equal(
    grants.some((g) => g.principal === 'user:helper-1'),
    false,
  );
});
