import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { changesSince, latestChangeId, recordChange } from './changes.js';
import { openStore, type Store } from './db.js';

describe('change feed', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-changes-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts empty', async () => {
    assert.equal(await latestChangeId(store.db), 0);
    assert.deepEqual(await changesSince(store.db, 0), []);
  });

  it('numbers changes upward and returns those after an id, oldest first', async () => {
    const first = await recordChange(store.db, 'token.created', 'bot', clock);
    clock.advance(1000);
    const second = await recordChange(store.db, 'token.revoked', 'bot', clock);
    assert.ok(second > first);
    assert.equal(await latestChangeId(store.db), second);
    assert.deepEqual(await changesSince(store.db, first), [
      { id: second, kind: 'token.revoked', ref: 'bot', at: '2026-01-01T00:00:01.000Z' },
    ]);
    assert.equal((await changesSince(store.db, 0)).length, 2);
    assert.equal((await changesSince(store.db, 0, 1)).length, 1);
  });

  it('commits with the transaction it is recorded in, or not at all', async () => {
    const before = await latestChangeId(store.db);
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await recordChange(trx, 'grant.approved', 'g1', clock);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(await latestChangeId(store.db), before);
  });
});
