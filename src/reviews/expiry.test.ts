import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { AirlockError } from '../core/errors.js';
import { OPERATOR } from '../core/identity.js';
import { MemoryAuditLog, testIdentity } from '../core/testing/doubles.js';
import { TokenService } from '../identity/tokens.js';
import { changesSince } from '../store/changes.js';
import type { Store } from '../store/db.js';
import { delegateLimitMs, runExpiry, suspensionCovers } from './expiry.js';
import { parseScope } from './scopes.js';
import { ReviewService } from './service.js';
import { onEachStore, openTestStore, type TestStore } from './testing/stores.js';

const DAY = 86_400_000;

const identity = (subject: string, groups: string[]) => testIdentity(subject, groups, 'agent');

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
    expireUnusedAfterMs: 30 * DAY,
  },
};
const other: Connection = {
  ...appdb,
  name: 'other',
  reviews: { ...appdb.reviews!, expireUnusedAfterMs: 10 * DAY },
};
const plain: Connection = { ...appdb, name: 'plain', reviews: undefined };

/** The whole suite against one store kind: SQLite always, PostgreSQL when its binaries are installed. */
function suite(kind: 'sqlite' | 'postgres'): void {
  let testStore: TestStore | undefined;
  let store: Store;
  let clock: ManualClock;
  let audit: MemoryAuditLog;
  let service: ReviewService;
  let tokens: TokenService;
  const catalog = new Map([
    [appdb.name, appdb],
    [other.name, other],
    [plain.name, plain],
  ]);

  before(async () => {
    testStore = await openTestStore(kind, 'expiry-');
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
    tokens = new TokenService({ db: store.db, clock, audit });
  });
  after(async () => {
    await testStore?.close();
  });

  const expire = () =>
    runExpiry({
      db: store.db,
      clock,
      connections: () => catalog,
      grants: service.grants,
      suspensions: service.suspensions,
      tokens,
    });

  test('pure: which routes a suspension covers; the smallest expireUnusedAfter a delegate may use', () => {
    const s = {
      id: 's',
      connection: 'appdb',
      subject: 'a',
      entry: 'access:group:agents',
      reason: '',
      createdBy: '',
      createdAt: '',
      campaign: null,
    };
    assert.equal(suspensionCovers(s, 'access:group:agents'), true);
    assert.equal(suspensionCovers(s, 'access:group:agents via delegation'), true);
    assert.equal(suspensionCovers(s, 'access:group:agents-2'), false);
    assert.equal(suspensionCovers(s, 'grant:g1'), false);
    assert.equal(suspensionCovers({ ...s, entry: '*' }, 'grant:g1'), true);
    assert.equal(delegateLimitMs(['appdb:read'], catalog), 30 * DAY);
    assert.equal(delegateLimitMs(null, catalog), 10 * DAY);
    assert.equal(delegateLimitMs(['plain:read'], catalog), undefined);
  });

  test('grants: unused ones and time-boxed ones past their end are revoked; used ones stay; admit stamps last use', async () => {
    const scope = parseScope('read');
    const unused = await service.grants.create(
      { connection: 'appdb', principal: 'user:u1', scope, reason: 'r', source: 'grant' },
      OPERATOR,
    );
    const boxed = await service.grants.create(
      { connection: 'plain', principal: 'user:u2', scope, reason: 'r', source: 'grant', ttlMs: DAY },
      OPERATOR,
    );
    const used = await service.grants.create(
      { connection: 'appdb', principal: 'user:u3', scope, reason: 'r', source: 'grant' },
      OPERATOR,
    );
    const noLimit = await service.grants.create(
      { connection: 'plain', principal: 'user:u4', scope, reason: 'r', source: 'grant' },
      OPERATOR,
    );
    clock.advance(20 * DAY);
    const access = await service.admit(identity('u3', []), appdb);
    assert.equal(access?.grantId, used.id);
    assert.equal((await service.grants.get(used.id))?.lastUsedAt, clock.now().toISOString());
    clock.advance(11 * DAY);
    const result = await expire();
    assert.deepEqual(
      [...result.grants].sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: unused.id, reason: 'expired-unused' as const },
        { id: boxed.id, reason: 'expired' as const },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    assert.equal((await service.grants.get(used.id))?.revokedAt, null);
    assert.equal((await service.grants.get(noLimit.id))?.revokedAt, null);
    const revoked = audit.records.filter((e) => e.type === 'grant.revoked');
    assert.deepEqual(revoked.map((e) => (e as { reason?: string }).reason).sort(), [
      'expired',
      'expired-unused',
    ]);
    const changes = await changesSince(store.db, 0);
    assert.ok(changes.some((c) => c.kind === 'grant.revoked' && c.ref === unused.id));
    assert.deepEqual((await expire()).grants, [], 'a second run finds nothing');
  });

  test('standing access: an identity unused for expireUnusedAfter is suspended, admit refuses it clearly, restore lifts it', async () => {
    const idle = identity('idle-agent', ['agents']);
    const busy = identity('busy-agent', ['agents']);
    assert.equal((await service.admit(idle, appdb))?.source, 'access:group:agents');
    assert.equal((await service.admit(busy, appdb))?.source, 'access:group:agents');
    clock.advance(29 * DAY);
    await service.admit(busy, appdb);
    clock.advance(2 * DAY);
    const result = await expire();
    assert.deepEqual(result.suspended, ['appdb idle-agent access:group:agents']);
    await assert.rejects(service.admit(idle, appdb), (err: AirlockError) => {
      assert.equal(err.code, 'ERR_ACCESS_DENIED');
      assert.match(err.userMessage, /suspended \(expired-unused/);
      assert.match(err.userMessage, /airlock reviews restore --connection appdb --identity idle-agent/);
      return true;
    });
    assert.ok(await service.admit(busy, appdb));
    const event = audit.records.find((e) => e.type === 'access.suspended');
    assert.deepEqual(event && { subject: event.subject, entry: event.entry, reason: event.reason }, {
      subject: 'idle-agent',
      entry: 'access:group:agents',
      reason: 'expired-unused',
    });
    assert.equal(await service.suspensions.lift('appdb', 'idle-agent', OPERATOR, 'back'), 1);
    assert.ok(await service.admit(idle, appdb), 'lifted: the entry admits again');
    // Restoring resets the clock: the next run does not suspend it again at once.
    clock.advance(60_001);
    assert.deepEqual((await expire()).suspended, []);
  });

  test('a grant to the identity still admits while its standing entry is suspended', async () => {
    const who = identity('both-agent', ['agents']);
    await service.admit(who, appdb);
    const grant = await service.grants.create(
      {
        connection: 'appdb',
        principal: 'user:both-agent',
        scope: parseScope('read'),
        reason: 'r',
        source: 'grant',
      },
      OPERATOR,
    );
    await service.suspensions.suspend(
      { connection: 'appdb', subject: 'both-agent', entry: 'access:group:agents', reason: 'expired-unused' },
      OPERATOR,
    );
    const access = await service.admit(who, appdb);
    assert.equal(access?.grantId, grant.id);
    await service.suspensions.suspend(
      { connection: 'appdb', subject: 'both-agent', entry: '*', reason: 'campaign-overdue' },
      OPERATOR,
    );
    await assert.rejects(service.admit(who, appdb), /suspended/);
  });

  test('delegates unused for their connection expireUnusedAfter are revoked; used ones and roots stay', async () => {
    const root = { subject: 'alice', kind: 'human' as const, groups: ['agents'], issuer: 'airlock' };
    const parent = await tokens.create({
      name: 'alice',
      groups: ['agents'],
      kind: 'human',
      ttlMs: 365 * DAY,
      actor: OPERATOR,
    });
    const delegation = (name: string) => ({
      name,
      groups: [],
      kind: 'agent' as const,
      ttlMs: 365 * DAY,
      actor: OPERATOR,
      delegation: {
        parentId: parent.info.id,
        root,
        chain: [{ subject: 'alice', kind: 'human' as const }],
        scope: [{ connection: 'appdb', scope: 'read', actions: parseScope('read').actions }],
        depth: 1,
        parentSubject: 'alice',
      },
    });
    const idle = await tokens.create(delegation('idle-sub'));
    const busy = await tokens.create(delegation('busy-sub'));
    clock.advance(29 * DAY);
    await tokens.authenticate(busy.token);
    clock.advance(2 * DAY);
    const result = await expire();
    assert.deepEqual(result.delegates, ['idle-sub']);
    await assert.rejects(tokens.authenticate(idle.token), /revoked/);
    assert.ok(await tokens.authenticate(busy.token));
    assert.ok(await tokens.authenticate(parent.token), 'roots are not delegations: they stay');
    const event = audit.records.find((e) => e.type === 'token.revoked' && e.name === 'idle-sub');
    assert.equal(event && 'reason' in event ? event.reason : undefined, 'expired-unused');
  });
}

onEachStore(suite);
