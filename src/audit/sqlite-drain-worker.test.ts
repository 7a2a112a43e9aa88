import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AirlockError } from '../core/errors.js';
import { openStore, type Store } from '../store/db.js';
import { GENESIS_HASH, sealEventLine, signAnchor } from './chain.js';
import { SqliteDrainWorker } from './sqlite-drain-worker.js';

const key = Buffer.alloc(32, 5);
const actor = { subject: 'op', kind: 'human' as const, groups: [], issuer: 'local', chain: [] };

/** Journal lines of `count` chained records of node-a, and the signed anchor at the last. */
function lines(count: number) {
  const out: string[] = [];
  let prevHash = GENESIS_HASH;
  let last = { seq: 0, hash: GENESIS_HASH };
  for (let seq = 1; seq <= count; seq++) {
    const sealed = sealEventLine(
      { type: 'token.revoked', name: `t${seq}`, actor },
      { node: 'node-a', seq, time: '2026-01-01T00:00:00.000Z', prevHash },
    );
    out.push(sealed.json);
    prevHash = sealed.record.hash;
    last = { seq, hash: prevHash };
  }
  const anchor = {
    node: 'node-a',
    seq: last.seq,
    hash: last.hash,
    signature: signAnchor(key, 'node-a', last.seq, last.hash),
    updated_at: '2026-01-01T00:00:00.000Z',
  };
  return { lines: out, anchor };
}

describe('SqliteDrainWorker', () => {
  let dir: string;
  let store: Store;
  let path: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-drain-worker-'));
    path = join(dir, 'store.db');
    store = await openStore(`sqlite:${path}`);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a batch through its own connection, seen at once by the main one', async () => {
    const worker = new SqliteDrainWorker(path);
    try {
      const batch = lines(3);
      assert.equal(await worker.write(batch.lines, batch.anchor), 'stored');
      const rows = await store.db.selectFrom('audit_events').select('record').orderBy('seq').execute();
      assert.deepEqual(
        rows.map((r) => r.record),
        batch.lines,
      );
      const anchor = await store.db.selectFrom('audit_anchors').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual(anchor, batch.anchor);
    } finally {
      await worker.close();
    }
  });

  it('rejects, and stores nothing, when the store refuses part of a batch', async () => {
    const worker = new SqliteDrainWorker(path);
    try {
      const batch = lines(3);
      assert.equal(await worker.write(batch.lines.slice(0, 1), batch.anchor), 'stored');
      await assert.rejects(worker.write(batch.lines, batch.anchor), (err: AirlockError) => {
        assert.equal(err.code, 'ERR_AUDIT_UNAVAILABLE');
        assert.match(err.message, /UNIQUE constraint/);
        return true;
      });
      assert.equal((await store.db.selectFrom('audit_events').select('seq').execute()).length, 1);
      assert.ok(worker.usable, 'a refused write is not a dead worker');
    } finally {
      await worker.close();
    }
  });

  it('reports a worker that dies as lost, starts a new one, and gives up after three deaths in a row', async () => {
    const worker = new SqliteDrainWorker(path, { source: 'process.exit(3)', eval: true });
    const batch = lines(1);
    for (let death = 1; death <= 3; death++) {
      assert.equal(worker.usable, true);
      assert.equal(await worker.write(batch.lines, batch.anchor), 'lost');
      assert.match(worker.lastDeath, /exited with code 3/);
    }
    assert.equal(worker.usable, false);
    assert.equal((await store.db.selectFrom('audit_events').select('seq').execute()).length, 0);
    await worker.close();
  });
});
