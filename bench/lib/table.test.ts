import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Group } from './results.js';
import { SCENARIOS } from './scenarios.js';
import {
  formatAddedMs,
  formatCount,
  formatFixed,
  formatGroup,
  formatRatio,
  formatRatioSummary,
  formatTable,
} from './table.js';

test('columns are padded to the widest cell and aligned', () => {
  const text = formatTable(
    [
      { header: 'target', align: 'left' },
      { header: 'tps', align: 'right' },
    ],
    [
      ['direct', '12,345'],
      ['airlock', '9'],
    ],
  );
  assert.equal(text, ['target      tps', '-------  ------', 'direct   12,345', 'airlock       9'].join('\n'));
});

test('number formats are locale-free and show unknowns as "-"', () => {
  assert.equal(formatCount(1234567.6), '1,234,568');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(Number.NaN), '-');
  assert.equal(formatFixed(0.12345, 3), '0.123');
  assert.equal(formatFixed(undefined, 1), '-');
  assert.equal(formatRatio(0.8749), '0.87x');
  assert.equal(formatRatio(Number.NaN), '-');
  assert.equal(formatAddedMs(0.4123), '+0.412 ms');
  assert.equal(formatAddedMs(-0.02), '-0.020 ms');
  assert.equal(formatAddedMs(Number.NaN), '-');
});

const GROUP: Group = {
  scenario: 'select-simple',
  clients: 64,
  targets: [
    {
      target: 'direct',
      rounds: 3,
      okRounds: 3,
      tps: 30000,
      tpsMin: 29000,
      tpsMax: 31000,
      avgMs: 2.1,
      p99Ms: 5.25,
      proxyCpuUsPerTx: undefined,
      errors: [],
    },
    {
      target: 'airlock',
      rounds: 3,
      okRounds: 2,
      tps: 15000,
      tpsMin: 14000,
      tpsMax: 16000,
      avgMs: 4.2,
      p99Ms: 9.5,
      proxyCpuUsPerTx: 31.25,
      errors: ['pgbench exited with status 2'],
    },
  ],
  comparison: {
    airlockVsPgbouncer: Number.NaN,
    airlockVsDirect: 0.5,
    pgbouncerVsDirect: Number.NaN,
    airlockAddedP99Ms: 4.25,
    pgbouncerAddedP99Ms: Number.NaN,
    guardedVsAirlock: 0.8,
    maskedVsAirlock: 0.6,
  },
};

test('a group prints its title, one row per target, the ratios and the failures', () => {
  const text = formatGroup(GROUP, SCENARIOS[0]);
  const lines = text.split('\n');
  assert.equal(lines[0], 'select-only (-S), simple query protocol - 64 clients');
  assert.match(lines[1]!, /^target +tps +tps min\.\.max +avg ms +p99 ms +proxy CPU µs\/tx +rounds ok$/);
  assert.match(lines[3]!, /^direct +30,000 +29,000\.\.31,000 +2\.100 +5\.250 +- +3\/3$/);
  assert.match(lines[4]!, /^airlock +15,000 +14,000\.\.16,000 +4\.200 +9\.500 +31\.3 +2\/3$/);
  assert.equal(
    lines[5],
    'Airlock/pgbouncer tps -, Airlock/direct tps 0.50x, Airlock p99 vs direct +4.250 ms (pgbouncer/direct tps -, p99 -); guardrails on/off tps 0.80x; masking on/off tps 0.60x',
  );
  assert.equal(lines[6], '  airlock failed: pgbench exited with status 2');
});

test('the ratio summary has one row per group', () => {
  const lines = formatRatioSummary([GROUP]).split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /^select-simple +64 +- +0\.50x +- +\+4\.250 ms +0\.80x +0\.60x$/);
});
