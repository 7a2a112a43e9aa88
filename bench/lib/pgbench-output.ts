/**
 * @module Parsing what pgbench prints and logs. The summary comes from stdout ("tps = ..."), the
 * per-transaction latencies from `--log` files, where the third column is the latency in µs.
 * @see https://www.postgresql.org/docs/current/pgbench.html#PGBENCH-PER-TRANSACTION-LOGGING
 */
import { mean, percentileSorted } from './stats.js';

/** The figures pgbench prints at the end of a run. */
export interface PgbenchSummary {
  /** Transactions per second without the initial connection time. */
  readonly tps: number;
  readonly transactions: number;
  /** Failed transactions (PostgreSQL 15+ prints them; 0 when the line is absent). */
  readonly failed: number;
  /** pgbench's own average latency in ms, when printed. */
  readonly latencyAvgMs: number | undefined;
  /** Time to open all client connections in ms, when printed. */
  readonly initialConnectionMs: number | undefined;
}

function matchNumber(text: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Reads pgbench's closing summary. PostgreSQL 14+ prints one `tps = X (without initial connection
 * time)` line; older versions print "including"/"excluding connections establishing" and we take
 * the excluding one, which measures the same thing. Throws when no tps line is present.
 */
export function parsePgbenchSummary(stdout: string): PgbenchSummary {
  const tps =
    matchNumber(stdout, /^tps = ([\d.]+) \(without initial connection time\)/m) ??
    matchNumber(stdout, /^tps = ([\d.]+) \(excluding connections establishing\)/m);
  if (tps === undefined) throw new Error(`pgbench printed no tps line:\n${stdout.slice(-2000)}`);
  return {
    tps,
    transactions: matchNumber(stdout, /^number of transactions actually processed: (\d+)/m) ?? 0,
    failed: matchNumber(stdout, /^number of failed transactions: (\d+)/m) ?? 0,
    latencyAvgMs: matchNumber(stdout, /^latency average = ([\d.]+) ms/m),
    initialConnectionMs: matchNumber(stdout, /^initial connection time = ([\d.]+) ms/m),
  };
}

/** Latencies gathered from one run's `--log` files. */
export interface LatencySample {
  /** Per-transaction latencies in µs, sorted ascending. */
  readonly sortedUs: Float64Array;
  /** Lines whose latency column is not a number: `skipped` or `failed` transactions. */
  readonly notCompleted: number;
  /** Completed transactions that ended at or after `windowStartUs` (all of them when not given). */
  readonly inWindow: number;
}

/**
 * Collects the latency column of pgbench `--log` lines (`client_id transaction_no time script_no
 * time_epoch time_us [...]`: `time` is the latency in µs, `time_epoch`/`time_us` when the
 * transaction ended). Accepts the contents of several files, one per pgbench thread.
 * `windowStartUs` (µs since the epoch) counts the transactions that ended after it, to divide the
 * CPU time measured over the same window.
 */
export function parseTransactionLogs(contents: readonly string[], windowStartUs = 0): LatencySample {
  const values: number[] = [];
  let notCompleted = 0;
  let inWindow = 0;
  for (const content of contents) {
    for (const line of content.split('\n')) {
      if (line === '') continue;
      const fields = line.split(' ');
      const latency = fields[2];
      const endUs = Number(fields[4]) * 1_000_000 + Number(fields[5]);
      if (latency === undefined || !Number.isFinite(endUs)) {
        throw new Error(`malformed pgbench log line: ${line}`);
      }
      if (!/^\d+$/.test(latency)) {
        notCompleted++;
        continue;
      }
      values.push(Number(latency));
      if (endUs >= windowStartUs) inWindow++;
    }
  }
  return { sortedUs: Float64Array.from(values).sort(), notCompleted, inWindow };
}

/** Average and p99 latency in ms of one run's transactions. */
export interface LatencyFigures {
  readonly count: number;
  readonly avgMs: number;
  readonly p99Ms: number;
}

/** Average and p99 (nearest rank) of a sample, in ms. */
export function latencyFigures(sample: LatencySample): LatencyFigures {
  return {
    count: sample.sortedUs.length,
    avgMs: mean(sample.sortedUs) / 1000,
    p99Ms: percentileSorted(sample.sortedUs, 99) / 1000,
  };
}
