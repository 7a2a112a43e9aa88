import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRetentionResult } from './audit-retention.js';
import { RetentionJob } from './job.js';

const empty: AuditRetentionResult = { cutoff: '', deleted: 0, sessions: 0, nodes: [] };

test('runs after the first delay, then every interval, never overlapping, until stopped', async () => {
  let runs = 0;
  let active = 0;
  let overlapped = false;
  const errors: unknown[] = [];
  const job = new RetentionJob({
    firstRunMs: 10,
    intervalMs: 30,
    async run() {
      runs++;
      if (active++ > 0) overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (runs === 2) throw new Error('store down');
      return empty;
    },
    onError: (err) => errors.push(err),
  });
  job.start();
  const manual = job.runNow(); // joins or starts one run; never a second at once
  await manual;
  await new Promise((r) => setTimeout(r, 150));
  await job.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(after >= 3, `ran ${after} times`);
  assert.equal(runs, after, 'no run after stop');
  assert.equal(overlapped, false);
  assert.equal(errors.length, 1, 'a failed run is reported and the schedule goes on');
});
