import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import type { Command, CommandResult } from '../../core/command.js';
import { TransactionStatus } from './codec/codes.js';
import type { NoticeFields } from './codec/messages.js';
import { readyForQuery } from './codec/serializer.js';
import { ResultTracker, rowsFromTag } from './results.js';

function command(id: number): Command {
  return { id, channel: 'extended', text: `q${id}`, action: 'sql.unclassified', objects: [] };
}

function fields(code: string, message = 'boom'): NoticeFields {
  return { severity: 'ERROR', code, message, all: new Map() };
}

function tracker() {
  const recorded: [number, CommandResult][] = [];
  const emitted: Buffer[] = [];
  const clock = new ManualClock(1000);
  const results = new ResultTracker(
    { record: (c, r) => recorded.push([c.id, r]), emit: (b) => emitted.push(b) },
    clock,
    TransactionStatus.Idle,
  );
  return { results, recorded, emitted, clock };
}

test('rowsFromTag reads the last number of a CommandComplete tag', () => {
  assert.equal(rowsFromTag('INSERT 0 5'), 5);
  assert.equal(rowsFromTag('SELECT 12'), 12);
  assert.equal(rowsFromTag('COPY 500'), 500);
  assert.equal(rowsFromTag('BEGIN'), undefined);
});

test('executes resolve in order on CommandComplete, with durations from the clock', () => {
  const { results, recorded, clock } = tracker();
  results.push({ kind: 'execute', command: command(1), startedMs: 1000 });
  results.push({ kind: 'execute', command: command(2), startedMs: 1000 });
  results.push({ kind: 'sync' });
  clock.advance(7);
  results.onCommandComplete('UPDATE 3');
  results.onDataRow();
  results.onDataRow();
  results.onPortalSuspended();
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(recorded, [
    [1, { outcome: 'success', rows: 3, durationMs: 7 }],
    [2, { outcome: 'success', rows: 2, durationMs: 7 }],
  ]);
  assert.ok(results.isEmpty);
});

test('an error resolves its execute; the rest of the batch is skipped at ReadyForQuery', () => {
  const { results, recorded } = tracker();
  results.push({ kind: 'execute', command: command(1), startedMs: 1000 });
  results.push({ kind: 'execute', command: command(2), startedMs: 1000 });
  results.push({ kind: 'sync' });
  results.push({ kind: 'execute', command: command(3), startedMs: 1000 });
  results.push({ kind: 'sync' });
  assert.equal(results.onError(fields('23505', 'duplicate key')), true);
  results.onReady(TransactionStatus.Idle);
  results.onCommandComplete('INSERT 0 1');
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(
    recorded.map(([id, r]) => [id, r.outcome, r.errorCode]),
    [
      [1, 'error', '23505'],
      [2, 'error', '23505'],
      [3, 'success', undefined],
    ],
  );
  assert.match(recorded[1]![1].errorMessage ?? '', /not run.*duplicate key/);
});

test('a simple query resolves at ReadyForQuery with the last count, or the first error', () => {
  const { results, recorded } = tracker();
  results.push({ kind: 'simple', command: command(1), startedMs: 1000 });
  results.onCommandComplete('INSERT 0 3');
  results.onCommandComplete('SELECT 1');
  results.onReady(TransactionStatus.Idle);
  results.push({ kind: 'simple', command: command(2), startedMs: 1000 });
  results.onCommandComplete('SELECT 1');
  results.onError(fields('42P01'));
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(
    recorded.map(([id, r]) => [id, r.outcome, r.rows, r.errorCode]),
    [
      [1, 'success', 1, undefined],
      [2, 'error', undefined, '42P01'],
    ],
  );
});

test('a refusal waits for everything in flight, then carries the latest transaction status', () => {
  const { results, emitted } = tracker();
  const refusal = Buffer.from('refused');
  results.push({ kind: 'simple', command: command(1), startedMs: 1000 });
  results.refuse(refusal, true);
  assert.deepEqual(emitted, []);
  results.onReady(TransactionStatus.InTransaction);
  assert.deepEqual(emitted, [refusal, readyForQuery(TransactionStatus.InTransaction)]);
  results.refuse(refusal, false);
  assert.equal(emitted.length, 3, 'nothing in flight: emitted at once');
});

test("a probe's error is replaced by Airlock's; an unanswered probe is dropped silently", () => {
  const { results, emitted, recorded } = tracker();
  const ours = Buffer.from('ours');
  results.push({ kind: 'probe', error: ours });
  results.push({ kind: 'sync' });
  assert.equal(results.onError(fields('34000')), false);
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(emitted, [ours]);
  // The server was already skipping: the probe gets no answer of its own.
  results.push({ kind: 'execute', command: command(9), startedMs: 1000 });
  results.push({ kind: 'probe', error: ours });
  results.push({ kind: 'sync' });
  assert.equal(results.onError(fields('22012')), true);
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(emitted, [ours]);
  assert.deepEqual(
    recorded.map(([id, r]) => [id, r.errorCode]),
    [[9, '22012']],
  );
});

test('abandon records whatever is still in flight as an error', () => {
  const { results, recorded } = tracker();
  results.push({ kind: 'execute', command: command(1), startedMs: 1000 });
  results.push({ kind: 'sync' });
  results.push({ kind: 'simple', command: command(2), startedMs: 1000 });
  results.abandon('gone');
  assert.deepEqual(
    recorded.map(([id, r]) => [id, r.outcome, r.errorMessage]),
    [
      [1, 'error', 'gone'],
      [2, 'error', 'gone'],
    ],
  );
});

test("a simple query sent after an extended error without Sync is skipped, and the next Z is the Sync's", () => {
  const { results, recorded } = tracker();
  results.push({ kind: 'execute', command: command(1), startedMs: 1000 });
  results.push({ kind: 'simple', command: command(2), startedMs: 1000 });
  results.push({ kind: 'sync' });
  results.push({ kind: 'simple', command: command(3), startedMs: 1000 });
  results.onError(fields('22012'));
  results.onReady(TransactionStatus.Idle);
  results.onCommandComplete('SELECT 1');
  results.onReady(TransactionStatus.Idle);
  assert.deepEqual(
    recorded.map(([id, r]) => [id, r.outcome, r.errorCode]),
    [
      [1, 'error', '22012'],
      [2, 'error', '22012'],
      [3, 'success', undefined],
    ],
  );
  assert.ok(results.isEmpty);
});

test('awaitingReady: a ReadyForQuery is owed for each forwarded Sync and simple query, except during COPY IN', async () => {
  const { results } = tracker();
  assert.equal(results.awaitingReady, false);
  results.push({ kind: 'execute', command: command(1), startedMs: 1000 });
  assert.equal(results.awaitingReady, false, 'a flushed Execute is answered without a ReadyForQuery');
  results.push({ kind: 'sync' });
  results.push({ kind: 'simple', command: command(2), startedMs: 1000 });
  assert.equal(results.awaitingReady, true);
  let woken = false;
  const waiting = results.whenReady().then(() => {
    woken = true;
  });
  results.onCommandComplete('SELECT 1');
  results.onReady(TransactionStatus.Idle);
  await Promise.resolve();
  assert.equal(woken, false, 'the simple query still owes its ReadyForQuery');
  results.onCopyIn();
  assert.equal(results.awaitingReady, false, 'the server waits for COPY data, not for us');
  await waiting;
  results.copyEnded();
  assert.equal(results.awaitingReady, true);
  results.onCommandComplete('COPY 1');
  results.onReady(TransactionStatus.Idle);
  assert.equal(results.awaitingReady, false);
  await results.whenReady();
});

test('whenReady also resolves when the session is abandoned or its unwritten entries dropped', async () => {
  const { results } = tracker();
  results.push({ kind: 'sync' });
  const abandoned = results.whenReady();
  results.abandon('gone');
  await abandoned;
  const mark = results.mark();
  results.push({ kind: 'simple', command: command(3), startedMs: 1000 });
  const dropped = results.whenReady();
  results.dropFrom(mark);
  await dropped;
  assert.equal(results.awaitingReady, false);
});
