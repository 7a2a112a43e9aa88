import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { verifyAudit } from '../audit/verify.js';
import { ManualClock } from '../core/clock.js';
import type { AirlockConfig } from '../core/config.js';
import { fillStore } from '../export/testing.js';
import { openStore, type Store } from '../store/db.js';
import { createServerRetention } from './schedule.js';

const key = Buffer.alloc(32, 5);
const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const config = {
  retention: { audit: { text: '2d', ms: 48 * HOUR } },
  audit: { export: [] },
} as unknown as AirlockConfig;

describe('createServerRetention on its schedule', () => {
  let dir: string;
  let store: Store;
  let written: AuditEventBody[];
  const logs: string[] = [];
  const audit: AuditLog = {
    append(body) {
      written.push(body);
      return body as AuditRecord;
    },
  };
  const retention = (clock = new ManualClock(START + 100 * HOUR)) =>
    createServerRetention({
      config,
      db: store.db,
      key,
      clock,
      audit,
      log: pino({ level: 'info' }, { write: (l: string) => void logs.push(l) }),
      firstRunMs: 10,
      intervalMs: 30,
    });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    return check();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-schedule-'));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
    written = [];
    await fillStore(store, dir, 'node-a', key, new ManualClock(START), 100, HOUR);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs by itself after start and then at each interval: deletes, records, counts; verify stays OK', async () => {
    const job = retention();
    job.start();
    assert.ok(await until(() => job.stats().runs.success >= 2), JSON.stringify(job.stats()));
    await job.stop();
    const stats = job.stats();
    assert.equal(stats.deleted, 52, 'the first scheduled run deleted what was due; later ones nothing');
    assert.equal(stats.runs.failure, 0);
    assert.equal(stats.lastSuccessMs, START + 100 * HOUR, 'by the injected clock');
    assert.deepEqual(
      written.map((e) => e.type),
      ['retention.run'],
    );
    const report = await verifyAudit(store.db, key);
    assert.equal(report.ok, true, JSON.stringify(report));
  });

  test('a failed run is counted as such and does not move the last success', async () => {
    const job = retention();
    await store.close();
    job.start();
    assert.ok(await until(() => job.stats().runs.failure >= 1));
    await job.stop();
    assert.equal(job.stats().runs.success, 0);
    assert.equal(job.stats().lastSuccessMs, undefined);
    assert.ok(logs.some((l) => l.includes('audit retention failed')));
    store = await openStore(`sqlite:${join(dir, 'store.db')}`);
  });
});
