/**
 * @module CPU time of another process, read from `/proc/<pid>/stat` (Linux). The bench reads it for
 * the proxies (pgbouncer, the Airlock child) from outside, so measuring never runs code in them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * User plus system CPU time in µs from the text of `/proc/<pid>/stat`. Fields 14 and 15 (utime,
 * stime) count clock ticks of all the process's threads; the command name (field 2) may contain
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function parseProcStatCpuUs(stat: string, ticksPerSecond: number): number {
  const close = stat.lastIndexOf(')');
  if (close === -1) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  // After ")": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`no utime/stime in /proc/<pid>/stat: ${stat.slice(0, 200)}`);
  }
  return ((utime + stime) * 1_000_000) / ticksPerSecond;
}

let ticks: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on nearly every Linux). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticks = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return ticks;
}

/** CPU time in µs used so far by process `pid` (all its threads), or undefined if it is gone. */
export function processCpuUs(pid: number): number | undefined {
  try {
    return parseProcStatCpuUs(readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicksPerSecond());
  } catch {
    return undefined;
  }
}
