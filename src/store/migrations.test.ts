import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { ManualClock } from '../core/clock.js';
import { openStore, type Store } from './db.js';
import { appliedMigrations, MIGRATIONS, type Migration, migrate } from './migrations.js';
import type { Database } from './schema.js';

describe('migrate', () => {
  let dir: string;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-migrations-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every migration once and does nothing the second time', async () => {
    assert.deepEqual(
      await appliedMigrations(store.db),
      MIGRATIONS.map((m) => m.id),
    );
    assert.deepEqual(await migrate(store.db, store.kind), []);
  });

  it('applies only new migrations, in order, stamped with the given clock', async () => {
    const ran: string[] = [];
    const extra: Migration[] = [
      ...MIGRATIONS,
      { id: '9000-test-a', up: async () => void ran.push('a') },
      { id: '9001-test-b', up: async () => void ran.push('b') },
    ];
    const clock = new ManualClock(Date.UTC(2030, 0, 2));
    assert.deepEqual(await migrate(store.db, store.kind, { clock, migrations: extra }), [
      '9000-test-a',
      '9001-test-b',
    ]);
    assert.deepEqual(ran, ['a', 'b']);
    const stamped = await sql<{
      applied_at: string;
    }>`select applied_at from airlock_migrations where id = '9001-test-b'`.execute(store.db);
    assert.equal(stamped.rows[0]?.applied_at, '2030-01-02T00:00:00.000Z');
    assert.deepEqual(await migrate(store.db, store.kind, { migrations: extra }), []);
  });

  it('rolls a failing migration back and does not record it', async () => {
    const failing: Migration = {
      id: '9100-fails',
      async up(db: Kysely<Database>) {
        await sql`create table half_done (x integer)`.execute(db);
        throw new Error('boom');
      },
    };
    await assert.rejects(migrate(store.db, store.kind, { migrations: [failing] }), /boom/);
    assert.ok(!(await appliedMigrations(store.db)).includes('9100-fails'));
    const table = await sql`select name from sqlite_master where name = 'half_done'`.execute(store.db);
    assert.equal(table.rows.length, 0);
  });
});
