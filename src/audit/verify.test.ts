import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { openStore, type Store } from '../store/db.js';
import { hashRecord, signAnchor } from './chain.js';
import { AuditDrainer } from './drain.js';
import type { AuditEventBody } from './events.js';
import { Journal } from './journal.js';
import { verifyAudit } from './verify.js';

const keyA = Buffer.alloc(32, 0xa);
const keyB = Buffer.alloc(32, 0xb);

function command(n: number): AuditEventBody {
  return {
    type: 'command',
    sessionId: 's1',
    identity: { subject: 'bot', kind: 'agent', groups: ['agents'], issuer: 'airlock', chain: [] },
    connection: 'appdb',
    protocol: 'postgres',
    commandId: n,
    channel: 'simple',
    text: `select ${n}`,
    action: 'sql.select',
    objects: ['t'],
    decision: 'allow',
    rule: 'default',
  };
}

describe('verifyAudit', () => {
  let dir: string;
  let store: Store;

  async function fill(node: string, key: Buffer, count: number): Promise<void> {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const journal = Journal.open({ dir: join(dir, node), node, clock, key });
    const drainer = new AuditDrainer({ db: store.db, journal, key, clock, batchSize: 10 });
    await drainer.start();
    for (let i = 1; i <= count; i++) {
      journal.append(command(i));
      clock.advance(1000);
    }
    await drainer.stop();
    journal.close();
  }

  const keys = (node: string) => (node === 'node-a' ? keyA : node === 'node-b' ? keyB : undefined);
  const row = (seq: number, node = 'node-a') =>
    store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('node', '=', node)
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-verify-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    await fill('node-a', keyA, 45);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes an untouched trail, reading it in pages', async () => {
    const report = await verifyAudit(store.db, keyA, { pageSize: 7 });
    assert.equal(report.ok, true, report.firstBad?.reason);
    assert.deepEqual(report.nodes, [
      { node: 'node-a', events: 45, lastSeq: 45, ok: true, anchorSignatureChecked: true },
    ]);
    assert.equal(report.firstBad, undefined);
  });

  it('names an edited record', async () => {
    const original = await row(17);
    await store.db
      .updateTable('audit_events')
      .set({ record: original.record.replace('select 17', 'select 99') })
      .where('seq', '=', 17)
      .execute();
    const report = await verifyAudit(store.db, keyA);
    assert.equal(report.ok, false);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 17,
      reason: 'event node-a#17: hash mismatch (edited)',
    });
    assert.deepEqual(report.nodes[0], {
      node: 'node-a',
      events: 16,
      lastSeq: 16,
      ok: false,
      anchorSignatureChecked: true,
    });
  });

  it('names an edited search column whose record is intact', async () => {
    await store.db
      .updateTable('audit_events')
      .set({ subject: 'someone-else' })
      .where('seq', '=', 20)
      .execute();
    const report = await verifyAudit(store.db, keyA);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 20,
      reason: 'event node-a#20: column subject does not match the record (edited)',
    });
  });

  it('names a re-hashed record by the broken link after it', async () => {
    const original = await row(17);
    const record = JSON.parse(original.record) as Record<string, unknown>;
    const edited: Record<string, unknown> = { ...record, text: 'select 99' };
    delete edited.hash;
    const hash = hashRecord(edited.prevHash as string, edited);
    await store.db
      .updateTable('audit_events')
      .set({ record: JSON.stringify({ ...edited, hash }), hash })
      .where('seq', '=', 17)
      .execute();
    const report = await verifyAudit(store.db, keyA);
    assert.equal(report.firstBad?.seq, 18);
    assert.match(report.firstBad?.reason ?? '', /^event node-a#18: prevHash does not link/);
  });

  it('names a deleted event in the middle', async () => {
    await store.db.deleteFrom('audit_events').where('seq', '=', 17).execute();
    const report = await verifyAudit(store.db, keyA);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 17,
      reason: 'event node-a#17 missing (deleted): #16 is followed by #18',
    });
    await store.db.deleteFrom('audit_events').where('seq', 'in', [1, 2]).execute();
    assert.equal(
      (await verifyAudit(store.db, keyA)).firstBad?.reason,
      'events node-a#1..#2 missing (deleted): the chain starts at #3',
    );
  });

  it('names a truncated tail against the anchor', async () => {
    await store.db.deleteFrom('audit_events').where('seq', '>', 40).execute();
    const report = await verifyAudit(store.db, keyA);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 41,
      reason: 'events after node-a#40 missing: anchor is at #45 (truncated)',
    });
    assert.deepEqual(report.nodes[0], {
      node: 'node-a',
      events: 40,
      lastSeq: 40,
      ok: false,
      anchorSignatureChecked: true,
    });
  });

  it('catches an anchor moved back to hide a truncation (no key, no valid signature)', async () => {
    await store.db.deleteFrom('audit_events').where('seq', '>', 40).execute();
    const last = await row(40);
    await store.db.updateTable('audit_anchors').set({ seq: 40, hash: last.hash }).execute();
    const report = await verifyAudit(store.db, keyA);
    assert.deepEqual(report.firstBad, {
      node: 'node-a',
      seq: 40,
      reason: 'anchor of node-a at #40 has an invalid signature (forged)',
    });
    // Without the node's key the signature cannot be checked, and the report says so.
    const unchecked = await verifyAudit(store.db, () => undefined);
    assert.equal(unchecked.ok, true);
    assert.equal(unchecked.nodes[0]?.anchorSignatureChecked, false);
  });

  it('catches a deleted anchor and events appended beyond the anchor', async () => {
    const behind = await row(44);
    await store.db
      .updateTable('audit_anchors')
      .set({ seq: 44, hash: behind.hash, signature: signAnchor(keyA, 'node-a', 44, behind.hash) })
      .execute();
    assert.deepEqual((await verifyAudit(store.db, keyA)).firstBad, {
      node: 'node-a',
      seq: 45,
      reason: 'event node-a#45 lies beyond the anchor at #44 (inserted, or anchor rolled back)',
    });
    await store.db.deleteFrom('audit_anchors').execute();
    assert.equal(
      (await verifyAudit(store.db, keyA)).firstBad?.reason,
      'node node-a has events up to #45 but no anchor (anchor deleted)',
    );
  });

  it('checks every node with its own key and reports the first problem of each', async () => {
    await fill('node-b', keyB, 5);
    assert.equal((await verifyAudit(store.db, keys)).ok, true);
    // A key for the wrong node is a forged anchor as far as verify can tell.
    assert.match(
      (await verifyAudit(store.db, keyA)).firstBad?.reason ?? '',
      /anchor of node-b at #5 has an invalid signature/,
    );
    await store.db.deleteFrom('audit_events').where('node', '=', 'node-b').where('seq', '=', 5).execute();
    const report = await verifyAudit(store.db, keys);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.nodes.map((n) => [n.node, n.ok, n.events]),
      [
        ['node-a', true, 45],
        ['node-b', false, 4],
      ],
    );
    assert.deepEqual(report.firstBad, {
      node: 'node-b',
      seq: 5,
      reason: 'events after node-b#4 missing: anchor is at #5 (truncated)',
    });
    assert.equal(report.problems.length, 1);
  });
});
