/**
 * @module Runs the bench's extra measurements (`extras.ts`) against the run's targets and prints
 * one table each: resident memory with idle sessions, and bulk read throughput with its ratio to
 * direct. Targets that share a process (airlock, airlock-guarded, airlock-masked) are measured for
 * memory once. Masked and unmasked Airlock read the same rows, but masking changes their bytes on the
 * wire, so masking on/off is the ratio of the times (rows per second), not of MB/s.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './args.js';
import { type BulkResult, type IdleResult, measureBulkRead, measureIdleSessions } from './extras.js';
import type { Endpoint } from './pgbench-run.js';
import { formatFixed } from './table.js';

/** What the extras need to know of a target. */
export interface ExtrasTarget {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly proxyPid: number | undefined;
}

/** Everything measured, for the JSON output. */
export interface ExtrasResults {
  readonly idle: Record<string, IdleResult>;
  readonly bulk: Record<string, BulkResult>;
  /** Rows per second masked / unmasked (airlock seconds / airlock-masked seconds) of the bulk read. */
  readonly bulkMaskedVsAirlock?: number;
  readonly failed: boolean;
}

/** Same rows, so the throughput ratio is the inverse ratio of the times; undefined if either failed. */
export function maskedBulkRatio(bulk: Readonly<Record<string, BulkResult>>): number | undefined {
  const plain = bulk.airlock;
  const masked = bulk['airlock-masked'];
  if (!plain || !masked || plain.error || masked.error || masked.seconds <= 0) return undefined;
  return plain.seconds / masked.seconds;
}

const MB = 1024 * 1024;
const BULK_SQL = 'select * from pgbench_accounts';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

/**
 * Runs bench/approval-wakeup.ts (its own PostgreSQL and Airlock, in-process there) as a child and
 * passes its table through: held statement → approval through the API and through the store.
 */
function runWakeup(iterations: number, out: (line?: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const script = fileURLToPath(new URL('../approval-wakeup.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, String(iterations)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) out(line);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending) out(pending);
      resolve(code ?? 1);
    });
  });
}

/** Runs what `options.extras` names and prints the tables through `out`. */
export async function runExtras(
  options: BenchOptions,
  targets: readonly ExtrasTarget[],
  out: (line?: string) => void,
): Promise<ExtrasResults> {
  const idle: Record<string, IdleResult> = {};
  const bulk: Record<string, BulkResult> = {};
  let failed = false;
  if (options.extras.includes('idle')) {
    const measured = new Set<number>();
    const widths = [16, 7, 12, 11, 14];
    out(`\nidle sessions: ${options.idleSessions} clients connected and idle, proxy resident memory (VmRSS)`);
    out(pad(['target', 'opened', 'RSS before', 'RSS after', 'KiB/session'], widths));
    for (const target of targets) {
      if (target.proxyPid === undefined || measured.has(target.proxyPid)) continue;
      measured.add(target.proxyPid);
      const r = await measureIdleSessions(target.endpoint, target.proxyPid, options.idleSessions);
      idle[target.name] = r;
      if (r.error) failed = true;
      const before = r.rssBeforeBytes;
      const after = r.rssAfterBytes;
      const perSession =
        before !== undefined && after !== undefined && r.opened > 0
          ? (after - before) / 1024 / r.opened
          : undefined;
      out(
        pad(
          [
            target.name,
            String(r.opened),
            before === undefined ? '-' : `${formatFixed(before / MB, 1)} MB`,
            after === undefined ? '-' : `${formatFixed(after / MB, 1)} MB`,
            perSession === undefined ? '-' : formatFixed(perSession, 1),
          ],
          widths,
        ) + (r.error ? `  FAILED: ${r.error}` : ''),
      );
    }
  }
  if (options.extras.includes('bulk')) {
    const widths = [16, 9, 8, 8, 9];
    out(`\nbulk read: '${BULK_SQL}' (every row), wire bytes of the result over one connection`);
    out(pad(['target', 'MB', 'seconds', 'MB/s', 'vs direct'], widths));
    let directRate: number | undefined;
    for (const target of targets) {
      const r = await measureBulkRead(target.endpoint, BULK_SQL);
      bulk[target.name] = r;
      if (r.error) failed = true;
      const rate = r.bytes / MB / r.seconds;
      if (target.name === 'direct' && !r.error) directRate = rate;
      out(
        pad(
          [
            target.name,
            formatFixed(r.bytes / MB, 1),
            formatFixed(r.seconds, 2),
            formatFixed(rate, 1),
            directRate === undefined ? '-' : `${formatFixed(rate / directRate, 2)}x`,
          ],
          widths,
        ) + (r.error ? `  FAILED: ${r.error}` : ''),
      );
    }
  }
  if (options.extras.includes('wakeup')) {
    out('');
    const code = await runWakeup(options.wakeupRuns, out);
    if (code !== 0) {
      failed = true;
      out(`approval wake-up: FAILED (bench/approval-wakeup.ts exited ${code})`);
    }
  }
  const bulkMaskedVsAirlock = maskedBulkRatio(bulk);
  if (bulkMaskedVsAirlock !== undefined) {
    out(
      `masking on/off (bulk, same rows, two masked columns + content detection): ` +
        `${formatFixed(bulkMaskedVsAirlock, 2)}x`,
    );
  }
  return { idle, bulk, ...(bulkMaskedVsAirlock !== undefined ? { bulkMaskedVsAirlock } : {}), failed };
}
