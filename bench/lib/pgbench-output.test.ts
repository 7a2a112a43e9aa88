import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyFigures, parsePgbenchSummary, parseTransactionLogs } from './pgbench-output.js';

// Captured from pgbench 15.20 (`pgbench -n -S -M prepared -c 8 -j 2 -T 2`, scale 1).
const PG15_OUTPUT = `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 1
query mode: prepared
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 2 s
number of transactions actually processed: 60307
number of failed transactions: 0 (0.000%)
latency average = 0.255 ms
initial connection time = 91.497 ms
tps = 31342.004481 (without initial connection time)
`;

// The format of PostgreSQL 13 and older (two tps lines); written from its documentation.
const PG13_OUTPUT = `transaction type: <builtin: TPC-B (sort of)>
number of transactions actually processed: 5000
latency average = 1.600 ms
tps = 4990.1 (including connections establishing)
tps = 5000.5 (excluding connections establishing)
`;

test('parses the pgbench 15 summary', () => {
  assert.deepEqual(parsePgbenchSummary(PG15_OUTPUT), {
    tps: 31342.004481,
    transactions: 60307,
    failed: 0,
    latencyAvgMs: 0.255,
    initialConnectionMs: 91.497,
  });
});

test('takes the excluding-connections tps of older pgbench', () => {
  const summary = parsePgbenchSummary(PG13_OUTPUT);
  assert.equal(summary.tps, 5000.5);
  assert.equal(summary.transactions, 5000);
  assert.equal(summary.initialConnectionMs, undefined);
});

test('counts failed transactions', () => {
  const out = PG15_OUTPUT.replace('failed transactions: 0 (0.000%)', 'failed transactions: 12 (0.020%)');
  assert.equal(parsePgbenchSummary(out).failed, 12);
});

test('an output without tps is an error that shows the output', () => {
  assert.throws(() => parsePgbenchSummary('pgbench: error: connection refused\n'), /connection refused/);
});

test('reads column 3 of every log file and sorts the latencies', () => {
  // Lines as pgbench 15 writes them (thread 0 in PREFIX.PID, thread 1 in PREFIX.PID.1).
  const thread0 = '0 1 250 0 1795309044 443101\n1 1 900 0 1795309044 443115\n';
  const thread1 =
    '4 1 120 0 1700000000 223456\n5 1 skipped 0 1700000000 323456\n5 2 failed 0 1700000001 3 0\n';
  const sample = parseTransactionLogs([thread0, thread1, '']);
  assert.deepEqual([...sample.sortedUs], [120, 250, 900]);
  assert.equal(sample.notCompleted, 2);
  assert.equal(sample.inWindow, 3);
});

test('counts the completed transactions that ended inside the CPU window', () => {
  const log = [
    '0 1 100 0 1795309044 999999', // ended before the window
    '0 2 100 0 1795309045 000000', // ended exactly at its start
    '1 1 100 0 1795309046 5',
    '1 2 failed 0 1795309047 0', // failed: not a completed transaction
  ].join('\n');
  assert.equal(parseTransactionLogs([log], 1795309045_000_000).inWindow, 2);
});

test('a log line without a latency column is rejected', () => {
  assert.throws(() => parseTransactionLogs(['0 1\n']), /malformed pgbench log line: 0 1/);
  assert.throws(() => parseTransactionLogs(['0 1 50 0 x 1\n']), /malformed pgbench log line/);
});

test('a last line without a newline still counts', () => {
  assert.deepEqual([...parseTransactionLogs(['0 1 77 0 1 2']).sortedUs], [77]);
});

test('average and p99 in ms', () => {
  // 1..1000 µs: mean 500.5 µs, p99 (nearest rank) 990 µs.
  const lines = Array.from({ length: 1000 }, (_, i) => `0 ${i} ${i + 1} 0 1700000000 0`).join('\n');
  const figures = latencyFigures(parseTransactionLogs([lines]));
  assert.equal(figures.count, 1000);
  assert.equal(figures.avgMs, 0.5005);
  assert.equal(figures.p99Ms, 0.99);
});
