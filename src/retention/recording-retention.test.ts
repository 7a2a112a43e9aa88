import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { ManualClock } from '../core/clock.js';
import { runRecordingRetention } from './recording-retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

describe('runRecordingRetention', () => {
  let dir: string;
  let written: AuditEventBody[];
  const audit: AuditLog = {
    append(body) {
      written.push(body);
      return body as AuditRecord;
    },
  };
  /** A recording of `bytes` bytes last written `ageDays` ago. */
  const recording = (id: string, ageDays: number, bytes = 100) => {
    const path = join(dir, `${id}.jsonl`);
    writeFileSync(path, 'x'.repeat(bytes));
    const at = new Date(NOW - ageDays * DAY);
    utimesSync(path, at, at);
  };
  const run = (over: Partial<Parameters<typeof runRecordingRetention>[0]> = {}) =>
    runRecordingRetention({
      dir,
      period: { text: '90d', ms: 90 * DAY },
      clock: new ManualClock(NOW),
      audit,
      ...over,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-recordings-'));
    written = [];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('deletes recordings last written before the cutoff, keeps open and fresh ones, and records it', async () => {
    recording('old-1', 200, 300);
    recording('old-2', 91, 50);
    recording('fresh', 89);
    recording('open-long', 120);
    writeFileSync(join(dir, 'notes.txt'), 'not a recording');
    utimesSync(join(dir, 'notes.txt'), new Date(0), new Date(0));
    mkdirSync(join(dir, 'folder.jsonl'));
    utimesSync(join(dir, 'folder.jsonl'), new Date(0), new Date(0));

    const result = await run({ isOpen: (id) => id === 'open-long' });
    assert.deepEqual(
      { ...result, event: undefined },
      { cutoff: new Date(NOW - 90 * DAY).toISOString(), deleted: 2, bytes: 350, failed: 0, event: undefined },
    );
    assert.deepEqual(readdirSync(dir).sort(), [
      'folder.jsonl',
      'fresh.jsonl',
      'notes.txt',
      'open-long.jsonl',
    ]);
    assert.deepEqual(written, [
      {
        type: 'retention.recordings',
        actor: { subject: 'airlock', kind: 'service', groups: [], issuer: 'local', chain: [] },
        cutoff: result.cutoff,
        period: '90d',
        deleted: 2,
        bytes: 350,
        failed: 0,
      },
    ]);
  });

  test('nothing due, or no folder at all: no event', async () => {
    recording('fresh', 1);
    assert.equal((await run()).deleted, 0);
    assert.equal((await run({ dir: join(dir, 'missing') })).deleted, 0);
    assert.deepEqual(written, []);
  });
});
