/**
 * @module What the bench ran on, printed above the results and written into the JSON, so that a
 * figure always travels with its machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

/** The machine and the software versions of one bench run. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly postgres: string;
  readonly pgbouncer: string | undefined;
}

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

/** The model name from /proc/cpuinfo (os.cpus() may be empty in some sandboxes). */
function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** Reads the machine facts; `binDir` is the PostgreSQL binaries' folder. */
export function machineInfo(binDir: string, pgbouncer: string | undefined): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    postgres: firstLine(join(binDir, 'postgres'), ['--version']),
    pgbouncer,
  };
}

/** One line for the report header. */
export function formatMachine(m: MachineInfo): string {
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; node ${m.node}; ` +
    `${m.postgres}; ${m.pgbouncer ?? 'pgbouncer not installed'}`
  );
}
