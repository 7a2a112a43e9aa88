/**
 * @module Runs pgbench once against one target and turns its output and `--log` files into a
 * `RunResult`. The proxy's CPU time is read from `/proc` just before and just after the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { latencyFigures, parsePgbenchSummary, parseTransactionLogs } from './pgbench-output.js';
import { processCpuUs } from './proc-cpu.js';
import type { RunResult } from './results.js';
import type { Scenario, TargetName } from './scenarios.js';

/** Where pgbench connects and as whom. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** Sent as PGPASSWORD: the database password, or the Airlock token. */
  readonly password: string;
}

/** One pgbench invocation. */
export interface PgbenchRun {
  readonly pgbench: string;
  readonly endpoint: Endpoint;
  readonly target: TargetName;
  readonly scenario: Scenario;
  readonly clients: number;
  readonly threads: number;
  readonly durationS: number;
  readonly round: number;
  /** Folder for the per-transaction logs (emptied of this run's files afterwards). */
  readonly logDir: string;
  /** The proxy process whose CPU time is charged to the run (pgbouncer, Airlock); none for direct. */
  readonly proxyPid: number | undefined;
  /** Environment for pgbench, without PG* variables (the endpoint says everything). */
  readonly env: NodeJS.ProcessEnv;
}

/** pgbench's arguments for a run (pure; the password travels in the environment). */
export function pgbenchArgs(
  run: Omit<PgbenchRun, 'pgbench' | 'env' | 'proxyPid'>,
  logPrefix: string,
): string[] {
  return [
    ...run.scenario.pgbenchArgs,
    // Vacuuming is done (when a scenario writes) over the direct connection, the same for every target.
    '-n',
    '-c',
    String(run.clients),
    '-j',
    String(Math.min(run.threads, run.clients)),
    '-T',
    String(run.durationS),
    '--log',
    `--log-prefix=${logPrefix}`,
    '-h',
    run.endpoint.host,
    '-p',
    String(run.endpoint.port),
    '-U',
    run.endpoint.user,
    run.endpoint.database,
  ];
}

/** Current children, so that Ctrl-C can stop a run in flight. */
export const runningPgbench = new Set<ChildProcess>();

function execPgbench(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    runningPgbench.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    // A proxy that stops answering must not hang the bench.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      runningPgbench.delete(child);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      runningPgbench.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Runs pgbench once; a failed run comes back with `error` set rather than throwing. */
export async function runPgbench(run: PgbenchRun): Promise<RunResult> {
  const label = `${run.scenario.name}-c${run.clients}-${run.target}-r${run.round}`;
  const base = {
    scenario: run.scenario.name,
    clients: run.clients,
    target: run.target,
    round: run.round,
  } as const;
  // The proxy's CPU is read over a window that starts once every client is connected (after a
  // warm-up of a quarter of the run, at most 1 s), so that per-connection work (authentication,
  // the upstream login) does not count as per-transaction cost; the log says which transactions
  // ended in that window.
  let cpuWindow: { cpuUs: number; startUs: number } | undefined;
  const warmupMs = Math.min(1000, (run.durationS * 1000) / 4);
  const sampler =
    run.proxyPid === undefined
      ? undefined
      : setTimeout(() => {
          const cpuUs = processCpuUs(run.proxyPid!);
          if (cpuUs !== undefined) cpuWindow = { cpuUs, startUs: Date.now() * 1000 };
        }, warmupMs);
  const result = await execPgbench(
    run.pgbench,
    pgbenchArgs(run, join(run.logDir, label)),
    { ...run.env, PGPASSWORD: run.endpoint.password, PGSSLMODE: 'disable' },
    (run.durationS + 60) * 1000,
  );
  clearTimeout(sampler);
  const cpuAfter = run.proxyPid === undefined ? undefined : processCpuUs(run.proxyPid);
  const logFiles = readdirSync(run.logDir).filter((f) => f.startsWith(`${label}.`));
  try {
    if (result.code !== 0) {
      return failed(base, `pgbench exited with status ${result.code}: ${lastLines(result.stderr, 3)}`);
    }
    const summary = parsePgbenchSummary(result.stdout);
    const sample = parseTransactionLogs(
      logFiles.map((f) => readFileSync(join(run.logDir, f), 'utf8')),
      cpuWindow?.startUs,
    );
    if (sample.sortedUs.length === 0) return failed(base, 'pgbench completed no transaction');
    const latency = latencyFigures(sample);
    const proxyCpuUs = cpuWindow && cpuAfter !== undefined ? cpuAfter - cpuWindow.cpuUs : undefined;
    return {
      ...base,
      tps: summary.tps,
      transactions: summary.transactions,
      failed: summary.failed + sample.notCompleted,
      avgMs: latency.avgMs,
      p99Ms: latency.p99Ms,
      initialConnectionMs: summary.initialConnectionMs,
      proxyCpuUs,
      proxyCpuUsPerTx:
        proxyCpuUs === undefined || sample.inWindow === 0 ? undefined : proxyCpuUs / sample.inWindow,
    };
  } catch (err) {
    return failed(base, (err as Error).message);
  } finally {
    for (const f of logFiles) rmSync(join(run.logDir, f), { force: true });
  }
}

function failed(
  base: Pick<RunResult, 'scenario' | 'clients' | 'target' | 'round'>,
  error: string,
): RunResult {
  return {
    ...base,
    tps: Number.NaN,
    transactions: 0,
    failed: 0,
    avgMs: Number.NaN,
    p99Ms: Number.NaN,
    initialConnectionMs: undefined,
    proxyCpuUs: undefined,
    proxyCpuUsPerTx: undefined,
    error,
  };
}
