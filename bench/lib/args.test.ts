import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchArgs } from './args.js';

test('defaults: 3 rounds of 10 s at 8 and 64 clients, every scenario and target', () => {
  const options = parseBenchArgs([]);
  assert.equal(options.rounds, 3);
  assert.equal(options.durationS, 10);
  assert.deepEqual(options.clients, [8, 64]);
  assert.equal(options.threads, 2);
  assert.equal(options.scale, 10);
  assert.deepEqual(options.scenarios, ['select-simple', 'select-prepared', 'tpcb']);
  assert.deepEqual(options.targets, ['direct', 'pgbouncer', 'airlock', 'airlock-guarded', 'airlock-masked']);
  assert.equal(options.jsonFile, undefined);
});

test('--quick is one round of 2 s unless told otherwise', () => {
  const quick = parseBenchArgs(['--quick']);
  assert.equal(quick.rounds, 1);
  assert.equal(quick.durationS, 2);
  assert.equal(parseBenchArgs(['--quick', '--rounds', '2']).rounds, 2);
});

test('lists and numbers are parsed and checked', () => {
  const options = parseBenchArgs([
    '--clients',
    '1, 16',
    '--scenarios',
    'tpcb',
    '--targets',
    'direct,airlock',
    '--json',
    'out.json',
  ]);
  assert.deepEqual(options.clients, [1, 16]);
  assert.deepEqual(options.scenarios, ['tpcb']);
  assert.deepEqual(options.targets, ['direct', 'airlock']);
  assert.equal(options.jsonFile, 'out.json');
  assert.throws(() => parseBenchArgs(['--rounds', '0']), /--rounds expects a positive integer/);
  assert.throws(() => parseBenchArgs(['--clients', '8,x']), /--clients expects a positive integer, got "x"/);
  assert.throws(() => parseBenchArgs(['--targets', 'haproxy']), /unknown "haproxy"/);
  assert.throws(() => parseBenchArgs(['--bogus']), /bogus/);
});
