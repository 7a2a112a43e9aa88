import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { openStore, type Store } from '../store/db.js';
import { Journal } from './journal.js';
import { AUDIT_EVENT_COLUMNS } from './rows.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import { batchFromLines, signedAnchor } from './store-batch.js';

describe('SqliteBatchWriter', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-batch-writer-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every column of each row where its name says (positional binding)', async () => {
    const key = Buffer.alloc(32, 7);
    const clock = new ManualClock(new Date('2026-11-22T06:00:00.000Z'));
    const journal = Journal.open({ dir, node: 'node-a', clock, key });
    const lines: string[] = [];
    journal.subscribe((_record, line) => lines.push(line));
    const scope = {
      sessionId: 'sess-1',
      identity: { subject: 'agent-1', kind: 'agent', groups: ['g1', 'g2'], issuer: 'airlock', chain: [] },
      connection: 'db1',
      protocol: 'postgres',
    } as const;
    journal.append({
      type: 'session.start',
      ...scope,
      client: { address: '127.0.0.1', port: 5000, tls: false },
      outcome: 'success',
    });
    const command = journal.append({
      type: 'command',
      ...scope,
      commandId: 1,
      channel: 'simple',
      text: 'select 1',
      action: 'read',
      objects: [],
      decision: 'allow',
      rule: 'default',
    });
    journal.close();
    const batch = batchFromLines(lines, signedAnchor(command, 'node-a', key, clock));
    new SqliteBatchWriter(store.sqlite!).write(batch);

    const stored = await store.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    assert.equal(stored.length, 2);
    for (const [i, row] of stored.entries()) {
      const expected = batch.events[i]!;
      for (const column of AUDIT_EVENT_COLUMNS) assert.equal(row[column], expected[column], column);
    }
    assert.equal(stored[1]!.type, 'command');
    assert.equal(stored[1]!.groups, '["g1","g2"]');
    const session = await store.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    assert.equal(session.statements, 1);
    const anchor = await store.db.selectFrom('audit_anchors').selectAll().executeTakeFirstOrThrow();
    assert.equal(anchor.seq, command.seq);
  });
});
