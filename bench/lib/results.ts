/**
 * @module Bench results: one record per pgbench run, the per-target summaries (medians over
 * rounds) and the comparisons between targets, all computed from the same bench invocation.
 */
import type { TargetName } from './scenarios.js';
import { median, range } from './stats.js';

/** One pgbench run against one target. */
export interface RunResult {
  readonly scenario: string;
  readonly clients: number;
  readonly target: TargetName;
  /** 1-based round number. */
  readonly round: number;
  readonly tps: number;
  readonly transactions: number;
  /** Transactions pgbench counted as failed, plus log lines marked skipped/failed. */
  readonly failed: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly initialConnectionMs: number | undefined;
  /**
   * CPU time (user + system, all threads) the proxy process (pgbouncer or Airlock) used from the end
   * of the warm-up until pgbench exited, in µs.
   */
  readonly proxyCpuUs: number | undefined;
  /** `proxyCpuUs` per transaction completed in that window. */
  readonly proxyCpuUsPerTx: number | undefined;
  /** Set when the run did not complete; the figures are then NaN. */
  readonly error?: string;
}

/** Medians over the rounds of one (scenario, clients, target). */
export interface TargetSummary {
  readonly target: TargetName;
  readonly rounds: number;
  readonly okRounds: number;
  readonly tps: number;
  readonly tpsMin: number;
  readonly tpsMax: number;
  readonly avgMs: number;
  readonly p99Ms: number;
  readonly proxyCpuUsPerTx: number | undefined;
  readonly errors: readonly string[];
}

/** How the proxies compare with each other and with direct, for one (scenario, clients). */
export interface Comparison {
  /** Airlock tps / pgbouncer tps. */
  readonly airlockVsPgbouncer: number;
  /** Airlock tps / direct tps. */
  readonly airlockVsDirect: number;
  /** pgbouncer tps / direct tps, for context. */
  readonly pgbouncerVsDirect: number;
  /** Airlock p99 - direct p99, in ms. */
  readonly airlockAddedP99Ms: number;
  /** pgbouncer p99 - direct p99, in ms. */
  readonly pgbouncerAddedP99Ms: number;
  /** Airlock with guardrails (classify + decide every statement) tps / Airlock without. */
  readonly guardedVsAirlock: number;
  /** Airlock with masking (two masked columns, content detection) tps / Airlock without. */
  readonly maskedVsAirlock: number;
}

/** All targets of one (scenario, clients) pair. */
export interface Group {
  readonly scenario: string;
  readonly clients: number;
  readonly targets: readonly TargetSummary[];
  readonly comparison: Comparison;
}

/** Summarises the rounds of one target. Failed runs count in `rounds`, not in the medians. */
export function summarizeTarget(target: TargetName, runs: readonly RunResult[]): TargetSummary {
  const ok = runs.filter((r) => r.error === undefined);
  const tps = ok.map((r) => r.tps);
  const spread = range(tps);
  const cpu = ok.map((r) => r.proxyCpuUsPerTx).filter((v): v is number => v !== undefined);
  return {
    target,
    rounds: runs.length,
    okRounds: ok.length,
    tps: median(tps),
    tpsMin: spread?.min ?? Number.NaN,
    tpsMax: spread?.max ?? Number.NaN,
    avgMs: median(ok.map((r) => r.avgMs)),
    p99Ms: median(ok.map((r) => r.p99Ms)),
    proxyCpuUsPerTx: cpu.length > 0 ? median(cpu) : undefined,
    errors: runs.flatMap((r) => (r.error === undefined ? [] : [r.error])),
  };
}

/** Groups runs by (scenario, clients) in first-seen order and compares the targets of each. */
export function summarize(runs: readonly RunResult[]): Group[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = `${run.scenario}\u0000${run.clients}`;
    const list = groups.get(key);
    if (list) list.push(run);
    else groups.set(key, [run]);
  }
  return [...groups.values()].map((list) => {
    const targetNames = [...new Set(list.map((r) => r.target))];
    const targets = targetNames.map((t) =>
      summarizeTarget(
        t,
        list.filter((r) => r.target === t),
      ),
    );
    return { scenario: list[0]!.scenario, clients: list[0]!.clients, targets, comparison: compare(targets) };
  });
}

/** Ratios and added latency; NaN where a target is missing or failed. */
export function compare(targets: readonly TargetSummary[]): Comparison {
  const by = (name: TargetName) => targets.find((t) => t.target === name);
  const direct = by('direct');
  const pgbouncer = by('pgbouncer');
  const airlock = by('airlock');
  const ratio = (a: TargetSummary | undefined, b: TargetSummary | undefined) =>
    a && b ? a.tps / b.tps : Number.NaN;
  const added = (a: TargetSummary | undefined) => (a && direct ? a.p99Ms - direct.p99Ms : Number.NaN);
  return {
    airlockVsPgbouncer: ratio(airlock, pgbouncer),
    airlockVsDirect: ratio(airlock, direct),
    pgbouncerVsDirect: ratio(pgbouncer, direct),
    airlockAddedP99Ms: added(airlock),
    pgbouncerAddedP99Ms: added(pgbouncer),
    guardedVsAirlock: ratio(by('airlock-guarded'), airlock),
    maskedVsAirlock: ratio(by('airlock-masked'), airlock),
  };
}
