import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RunResult, summarize } from './results.js';
import type { TargetName } from './scenarios.js';

function run(
  target: TargetName,
  round: number,
  tps: number,
  p99Ms: number,
  extra: Partial<RunResult> = {},
): RunResult {
  return {
    scenario: 'select-simple',
    clients: 8,
    target,
    round,
    tps,
    transactions: tps * 10,
    failed: 0,
    avgMs: 1000 / tps,
    p99Ms,
    initialConnectionMs: 5,
    proxyCpuUs: target === 'direct' ? undefined : tps * 10 * 20,
    proxyCpuUsPerTx: target === 'direct' ? undefined : 20,
    ...extra,
  };
}

test('medians over rounds and ratios from the same runs', () => {
  const runs = [
    run('direct', 1, 10_000, 0.5),
    run('pgbouncer', 1, 8_000, 0.7),
    run('airlock', 1, 6_000, 0.9),
    run('direct', 2, 12_000, 0.4),
    run('pgbouncer', 2, 7_000, 0.8),
    run('airlock', 2, 5_000, 1.1),
    run('direct', 3, 11_000, 0.6),
    run('pgbouncer', 3, 9_000, 0.6),
    run('airlock', 3, 5_500, 1.0),
  ];
  const [group, ...rest] = summarize(runs);
  assert.equal(rest.length, 0);
  assert.equal(group!.scenario, 'select-simple');
  assert.equal(group!.clients, 8);
  assert.deepEqual(
    group!.targets.map((t) => [t.target, t.tps, t.tpsMin, t.tpsMax, t.p99Ms, t.okRounds]),
    [
      ['direct', 11_000, 10_000, 12_000, 0.5, 3],
      ['pgbouncer', 8_000, 7_000, 9_000, 0.7, 3],
      ['airlock', 5_500, 5_000, 6_000, 1.0, 3],
    ],
  );
  assert.equal(group!.targets[2]!.proxyCpuUsPerTx, 20);
  assert.equal(group!.targets[0]!.proxyCpuUsPerTx, undefined);
  const c = group!.comparison;
  assert.equal(c.airlockVsPgbouncer, 5_500 / 8_000);
  assert.equal(c.airlockVsDirect, 0.5);
  assert.equal(c.pgbouncerVsDirect, 8_000 / 11_000);
  assert.ok(Math.abs(c.airlockAddedP99Ms - 0.5) < 1e-12);
  assert.ok(Math.abs(c.pgbouncerAddedP99Ms - 0.2) < 1e-12);
});

test('failed runs are reported and left out of the medians', () => {
  const runs = [
    run('direct', 1, 10_000, 0.5),
    run('airlock', 1, Number.NaN, Number.NaN, { error: 'pgbench exited with status 2' }),
    run('direct', 2, 12_000, 0.5),
    run('airlock', 2, 6_000, 0.9),
  ];
  const [group] = summarize(runs);
  const airlock = group!.targets.find((t) => t.target === 'airlock')!;
  assert.equal(airlock.tps, 6_000);
  assert.equal(airlock.okRounds, 1);
  assert.equal(airlock.rounds, 2);
  assert.deepEqual(airlock.errors, ['pgbench exited with status 2']);
  assert.equal(group!.comparison.airlockVsDirect, 6_000 / 11_000);
  // No pgbouncer in this run (not installed): its ratios are unknown, not zero.
  assert.ok(Number.isNaN(group!.comparison.airlockVsPgbouncer));
});

test('groups follow first-seen order of (scenario, clients)', () => {
  const runs = [
    run('direct', 1, 1, 1, { clients: 8 }),
    run('direct', 1, 1, 1, { clients: 64 }),
    run('direct', 1, 1, 1, { scenario: 'tpcb', clients: 8 }),
    run('direct', 2, 1, 1, { clients: 8 }),
  ];
  assert.deepEqual(
    summarize(runs).map((g) => [g.scenario, g.clients, g.targets[0]!.rounds]),
    [
      ['select-simple', 8, 2],
      ['select-simple', 64, 1],
      ['tpcb', 8, 1],
    ],
  );
});

test('masking on/off is the masked Airlock target over the plain one', () => {
  const [group] = summarize([
    run('airlock', 1, 6_000, 0.9),
    run('airlock-masked', 1, 4_500, 1.2),
    run('airlock-guarded', 1, 5_400, 1.0),
  ]);
  assert.equal(group!.comparison.maskedVsAirlock, 0.75);
  assert.equal(group!.comparison.guardedVsAirlock, 0.9);
});
