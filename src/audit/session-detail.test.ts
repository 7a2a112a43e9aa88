import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { IdentityRef } from '../core/identity.js';
import { openStore, type Store } from '../store/db.js';
import { AuditDrainer } from './drain.js';
import type { AuditEventBody, AuditRecord } from './events.js';
import { Journal } from './journal.js';
import { joinStatements, readSessionDetail } from './session-detail.js';

const alice: IdentityRef = {
  subject: 'alice',
  kind: 'agent',
  groups: ['agents'],
  issuer: 'airlock',
  chain: [{ subject: 'bob', kind: 'human' }],
};
const scope = { sessionId: 's1', identity: alice, connection: 'appdb', protocol: 'postgres' as const };
const other = { ...scope, sessionId: 's2' };

function command(n: number, text: string, deny = false, where = scope): AuditEventBody {
  return {
    ...where,
    type: 'command',
    commandId: n,
    channel: n === 2 ? 'extended' : 'simple',
    text,
    ...(n === 2 ? { parameters: ['42', null] } : {}),
    action: deny ? 'sql.drop' : 'sql.select',
    objects: ['public.t'],
    decision: deny ? 'deny' : 'allow',
    rule: deny ? 'drop' : 'default',
    ...(deny
      ? { error: { code: 'ERR_POLICY_DENIED', message: 'blocked by airlock: drop: dropping objects' } }
      : {}),
  };
}

function result(n: number, rows: number | undefined, error?: string, where = scope): AuditEventBody {
  return {
    ...where,
    type: 'command.result',
    commandId: n,
    outcome: error ? 'error' : 'success',
    ...(rows !== undefined ? { rows } : {}),
    durationMs: n * 10,
    ...(error ? { error: { code: error, message: 'relation does not exist' } } : {}),
  };
}

describe('readSessionDetail', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-detail-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    const clock = new ManualClock(new Date(Date.UTC(2026, 0, 1)));
    const key = Buffer.alloc(32, 2);
    const journal = Journal.open({ dir, node: 'n1', clock, key });
    const drainer = new AuditDrainer({ db: store.db, journal, key, clock });
    await drainer.start();
    const events: AuditEventBody[] = [
      {
        ...scope,
        type: 'session.start',
        client: { address: '10.0.0.9', port: 5000, tls: true, application: 'psql' },
        reason: 'OPS-1',
        outcome: 'success',
      },
      command(1, 'select 1'),
      {
        ...other,
        type: 'session.start',
        client: { address: '::1', port: 1, tls: false },
        outcome: 'success',
      },
      command(1, 'select other', false, other),
      command(2, 'select * from t where id = $1'),
      // Pipelined: the second command is decided before the first answers.
      { ...result(1, 1), masked: { 'customers.email': 1, EMAIL: 2 } } as AuditEventBody,
      command(3, 'drop table t', true),
      result(2, undefined, '42P01'),
      command(4, 'select pending'),
      {
        ...scope,
        type: 'session.end',
        durationMs: 4242,
        bytesFromClient: 100,
        bytesToClient: 200,
        statements: 4,
        outcome: 'failure',
        error: { code: 'ERR_SESSION_TERMINATED', message: 'connection "appdb" was removed' },
      },
    ];
    for (const event of events) {
      journal.append(event);
      clock.advance(1000);
    }
    await drainer.stop();
    journal.close();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the header from the sessions row and the start and end records', async () => {
    const detail = await readSessionDetail(store.db, 's1');
    assert.ok(detail);
    const s = detail.session;
    assert.equal(s.id, 's1');
    assert.equal(s.node, 'n1');
    assert.deepEqual(s.identity, alice);
    assert.deepEqual(s.client, { address: '10.0.0.9', port: 5000, tls: true, application: 'psql' });
    assert.equal(s.reason, 'OPS-1');
    assert.equal(s.startedAt, '2026-01-01T00:00:00.000Z');
    assert.equal(s.endedAt, '2026-01-01T00:00:09.000Z');
    assert.equal(s.durationMs, 4242);
    assert.equal(s.outcome, 'failure');
    assert.deepEqual(s.error, { code: 'ERR_SESSION_TERMINATED', message: 'connection "appdb" was removed' });
    assert.deepEqual([s.bytesFromClient, s.bytesToClient, s.statements], [100, 200, 4]);
    assert.equal(detail.truncated, false);
  });

  it('joins each command to its result by commandId, in decision order, only this session', async () => {
    const detail = await readSessionDetail(store.db, 's1');
    assert.ok(detail);
    const [one, two, three, four] = detail.statements;
    assert.equal(detail.statements.length, 4);
    assert.deepEqual(one, {
      commandId: 1,
      time: '2026-01-01T00:00:01.000Z',
      channel: 'simple',
      text: 'select 1',
      action: 'sql.select',
      objects: ['public.t'],
      decision: 'allow',
      rule: 'default',
      result: { outcome: 'success', rows: 1, durationMs: 10, time: '2026-01-01T00:00:05.000Z' },
      // In the sealed record's (sorted) key order.
      masked: [
        { entity: 'EMAIL', values: 2 },
        { entity: 'customers.email', values: 1 },
      ],
    });
    assert.deepEqual(two?.parameters, ['42', null]);
    assert.deepEqual(two?.result, {
      outcome: 'error',
      durationMs: 20,
      error: { code: '42P01', message: 'relation does not exist' },
      time: '2026-01-01T00:00:07.000Z',
    });
    assert.equal(three?.decision, 'deny');
    assert.equal(three?.rule, 'drop');
    assert.equal(three?.refusal?.code, 'ERR_POLICY_DENIED');
    assert.equal(three?.result, undefined, 'a refused statement was never forwarded');
    assert.equal(four?.text, 'select pending');
    assert.equal(four?.result, undefined);
    // Fields with nothing to say are absent, not invented.
    for (const s of detail.statements) {
      assert.equal('approval' in s, false);
      if (s !== one) assert.equal('masked' in s, false);
    }
  });

  it('says when the limit cut statements off', async () => {
    const detail = await readSessionDetail(store.db, 's1', { limit: 2 });
    assert.deepEqual(
      detail?.statements.map((s) => s.commandId),
      [1, 2],
    );
    assert.equal(detail?.truncated, true);
    await assert.rejects(readSessionDetail(store.db, 's1', { limit: 0 }), { code: 'ERR_BAD_REQUEST' });
  });

  it('answers undefined for an unknown session and shows an open one without end', async () => {
    assert.equal(await readSessionDetail(store.db, 'nope'), undefined);
    const open = await readSessionDetail(store.db, 's2');
    assert.equal(open?.session.endedAt, null);
    assert.equal(open?.session.outcome, null);
    assert.equal(open?.session.durationMs, null);
    assert.deepEqual(
      open?.statements.map((s) => s.text),
      ['select other'],
    );
  });
});

describe('joinStatements', () => {
  const seal = (body: AuditEventBody, seq: number) =>
    ({ ...body, v: 1, node: 'n', seq, time: `t${seq}`, prevHash: '', hash: '' }) as AuditRecord;

  it('ignores results without a command and keeps the first of duplicate results', () => {
    const records = [
      seal(result(9, 1), 1),
      seal(command(1, 'select 1'), 2),
      seal(result(1, 5), 3),
      seal(result(1, 7), 4),
    ];
    const statements = joinStatements(records);
    assert.equal(statements.length, 1);
    assert.equal(statements[0]?.result?.rows, 5);
  });

  it('carries the approval request and its approvers when the review gate recorded them', () => {
    const held = { ...command(1, 'delete from t where id = 1'), approval: 7, approvedBy: ['carol'] };
    const [statement] = joinStatements([seal(held as AuditEventBody, 1)]);
    assert.deepEqual(statement?.approval, { request: 7, approvedBy: ['carol'] });
  });

  it('skips a command record whose commandId is not a number (edited journal)', () => {
    const bad = { ...command(1, 'x'), commandId: 'one' } as unknown as AuditEventBody;
    assert.deepEqual(joinStatements([seal(bad, 1)]), []);
  });
});
