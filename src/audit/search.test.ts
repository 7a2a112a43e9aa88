import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AirlockError } from '../core/errors.js';
import type { IdentityRef } from '../core/identity.js';
import { openStore, type Store } from '../store/db.js';
import { AuditDrainer } from './drain.js';
import type { AuditEventBody, AuditRecord } from './events.js';
import { Journal } from './journal.js';
import { listSessions, searchAudit } from './search.js';

const alice: IdentityRef = {
  subject: 'alice',
  kind: 'human',
  groups: ['ops', 'dba'],
  issuer: 'corp',
  chain: [],
};
const bot: IdentityRef = {
  subject: 'bot',
  kind: 'agent',
  groups: ['agents', 'a"b%_'],
  issuer: 'airlock',
  chain: [
    { subject: 'alice', kind: 'human' },
    { subject: 'orchestrator', kind: 'agent' },
  ],
};
const operator: IdentityRef = {
  subject: 'operator',
  kind: 'human',
  groups: ['platform'],
  issuer: 'local',
  chain: [],
};

function session(identity: IdentityRef, sessionId: string, connection: string) {
  const scope = { sessionId, identity, connection, protocol: 'postgres' as const };
  return {
    start: {
      ...scope,
      type: 'session.start',
      client: { address: '127.0.0.1', port: 1, tls: false },
      outcome: 'success',
    },
    command: (n: number) => ({
      ...scope,
      type: 'command',
      commandId: n,
      channel: 'simple',
      text: `select ${n}`,
      action: 'sql.select',
      objects: [],
      decision: 'allow',
      rule: 'default',
    }),
    end: (statements: number) => ({
      ...scope,
      type: 'session.end',
      durationMs: 1,
      bytesFromClient: 1,
      bytesToClient: 1,
      statements,
      outcome: 'success',
    }),
  } satisfies Record<string, AuditEventBody | ((n: number) => AuditEventBody)>;
}

const seqs = (records: AuditRecord[]) => records.map((r) => r.seq);
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

describe('searchAudit and listSessions', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-search-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    const clock = new ManualClock(at(0));
    const key = Buffer.alloc(32, 1);
    const journal = Journal.open({ dir, node: 'node-a', clock, key });
    const drainer = new AuditDrainer({ db: store.db, journal, key, clock });
    await drainer.start();
    const a = session(alice, 's1', 'appdb');
    const b = session(bot, 's2', 'warehouse');
    const events: AuditEventBody[] = [
      a.start, // 1 @0
      a.command(1), // 2 @1
      b.start, // 3 @2
      b.command(1), // 4 @3
      a.command(2), // 5 @4
      a.end(2), // 6 @5
      {
        type: 'token.created',
        actor: operator,
        name: 'bot',
        kind: 'agent',
        groups: ['agents'],
        expiresAt: 'x',
      }, // 7 @6
    ];
    for (const event of events) {
      journal.append(event);
      clock.advance(60_000);
    }
    await drainer.stop();
    journal.close();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns everything in time order without a filter', async () => {
    assert.deepEqual(seqs(await searchAudit(store.db)), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('filters by identity, connection, type and session', async () => {
    assert.deepEqual(seqs(await searchAudit(store.db, { identity: 'alice' })), [1, 2, 5, 6]);
    assert.deepEqual(seqs(await searchAudit(store.db, { identity: 'operator' })), [7]);
    assert.deepEqual(seqs(await searchAudit(store.db, { connection: 'warehouse' })), [3, 4]);
    assert.deepEqual(seqs(await searchAudit(store.db, { type: 'command' })), [2, 4, 5]);
    assert.deepEqual(seqs(await searchAudit(store.db, { sessionId: 's1', type: 'command' })), [2, 5]);
    assert.deepEqual(seqs(await searchAudit(store.db, { identity: 'nobody' })), []);
  });

  it('matches whole group names only, with any characters in them', async () => {
    assert.deepEqual(seqs(await searchAudit(store.db, { group: 'ops' })), [1, 2, 5, 6]);
    assert.deepEqual(seqs(await searchAudit(store.db, { group: 'op' })), []);
    assert.deepEqual(
      seqs(await searchAudit(store.db, { group: 'OPS' })),
      [],
      'case-sensitive, as on PostgreSQL',
    );
    assert.deepEqual(seqs(await searchAudit(store.db, { group: 'platform' })), [7]);
    assert.deepEqual(seqs(await searchAudit(store.db, { group: 'a"b%_' })), [3, 4]);
    assert.deepEqual(seqs(await searchAudit(store.db, { group: '%' })), []);
  });

  it('finds what was done on someone’s behalf: their own events and any chain that names them', async () => {
    assert.deepEqual(seqs(await searchAudit(store.db, { onBehalfOf: 'alice' })), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(seqs(await searchAudit(store.db, { onBehalfOf: 'orchestrator' })), [3, 4]);
    assert.deepEqual(
      seqs(await searchAudit(store.db, { onBehalfOf: 'alice', connection: 'warehouse' })),
      [3, 4],
    );
  });

  it('bounds by time (since inclusive, until exclusive) and keeps the latest matches under a limit', async () => {
    assert.deepEqual(seqs(await searchAudit(store.db, { since: at(2), until: at(5) })), [3, 4, 5]);
    assert.deepEqual(seqs(await searchAudit(store.db, { limit: 2 })), [6, 7]);
    await assert.rejects(
      searchAudit(store.db, { limit: 0 }),
      (err: AirlockError) => err.code === 'ERR_BAD_REQUEST',
    );
  });

  it('returns the records as stored', async () => {
    const [record] = await searchAudit(store.db, { type: 'token.created' });
    assert.equal(record?.type, 'token.created');
    assert.equal(record?.node, 'node-a');
    assert.match(record?.hash ?? '', /^[0-9a-f]{64}$/);
  });

  it('lists sessions with camelCase fields, filtered and time-bounded', async () => {
    const all = await listSessions(store.db);
    assert.deepEqual(
      all.map((s) => s.id),
      ['s1', 's2'],
    );
    assert.deepEqual(all[0], {
      id: 's1',
      node: 'node-a',
      protocol: 'postgres',
      subject: 'alice',
      identity: alice,
      connection: 'appdb',
      clientAddress: '127.0.0.1',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:05:00.000Z',
      outcome: 'success',
      errorCode: null,
      bytesFromClient: 1,
      bytesToClient: 1,
      statements: 2,
    });
    assert.equal(all[1]?.outcome, null, 'still open');
    assert.equal(all[1]?.statements, 1);
    assert.deepEqual(
      (await listSessions(store.db, { identity: 'bot' })).map((s) => s.id),
      ['s2'],
    );
    assert.deepEqual(
      (await listSessions(store.db, { connection: 'appdb' })).map((s) => s.id),
      ['s1'],
    );
    assert.deepEqual(
      (await listSessions(store.db, { since: at(1) })).map((s) => s.id),
      ['s2'],
    );
    assert.deepEqual(
      (await listSessions(store.db, { until: at(1) })).map((s) => s.id),
      ['s1'],
    );
    assert.deepEqual(
      (await listSessions(store.db, { limit: 1 })).map((s) => s.id),
      ['s2'],
    );
  });
});
