/**
 * @module `npm run bench`: pgbench against PostgreSQL directly, through pgbouncer and through
 * Airlock, interleaved round by round, then one table per (scenario, clients) with tps, latency,
 * the proxies' CPU per transaction and the ratios, all from this one run. See docs/benchmarks.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBinDir, startPostgresCluster } from '../src/demo/postgres-cluster.js';
import { guardedConnectionName, maskedConnectionName, startBenchAirlock } from './lib/airlock.js';
import { type BenchOptions, parseBenchArgs, USAGE } from './lib/args.js';
import { prepareBenchDatabase, probeTarget, resetTables } from './lib/bench-db.js';
import { Cleanup } from './lib/cleanup.js';
import { runExtras } from './lib/extras-report.js';
import { formatMachine, machineInfo } from './lib/machine.js';
import { type Endpoint, runningPgbench, runPgbench } from './lib/pgbench-run.js';
import { pgbouncerVersion, startBenchPgbouncer } from './lib/pgbouncer.js';
import { type RunResult, summarize } from './lib/results.js';
import { SCENARIOS, type Scenario, type TargetName } from './lib/scenarios.js';
import { formatCount, formatFixed, formatGroup, formatRatioSummary } from './lib/table.js';

/** A target pgbench can run against, with the process whose CPU time it costs. */
interface Target {
  readonly name: TargetName;
  readonly endpoint: Endpoint;
  readonly proxyPid: number | undefined;
}

const out = (line = '') => process.stdout.write(`${line}\n`);

/** The environment for pgbench and psql, minus PG* variables that could point them elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
}

function progressLine(r: RunResult, index: number, total: number): string {
  const head = `[${index}/${total}] ${r.scenario} c${r.clients} r${r.round} ${r.target.padEnd(9)}`;
  if (r.error !== undefined) return `${head} FAILED: ${r.error}`;
  const cpu = r.proxyCpuUsPerTx === undefined ? '' : `, proxy CPU ${formatFixed(r.proxyCpuUsPerTx, 1)} µs/tx`;
  return (
    `${head} ${formatCount(r.tps)} tps, avg ${formatFixed(r.avgMs, 3)} ms, ` +
    `p99 ${formatFixed(r.p99Ms, 3)} ms${cpu}`
  );
}

async function startTargets(
  options: BenchOptions,
  cluster: { host: string; port: number },
  db: { user: string; database: string; password: string },
  cleanup: Cleanup,
  notes: { problems: string[]; info: string[] },
): Promise<Target[]> {
  const targets: Target[] = [];
  const direct: Endpoint = { host: cluster.host, port: cluster.port, ...db };
  if (options.targets.includes('direct'))
    targets.push({ name: 'direct', endpoint: direct, proxyPid: undefined });
  if (options.targets.includes('pgbouncer')) {
    if (pgbouncerVersion() === undefined) {
      // Optional: without it the bench still compares Airlock with direct access.
      notes.info.push('pgbouncer is not installed (/usr/sbin/pgbouncer): its rows are missing');
    } else {
      const pgbouncer = await startBenchPgbouncer({
        serverHost: cluster.host,
        serverPort: cluster.port,
        ...db,
      });
      cleanup.add(
        'pgbouncer',
        () => pgbouncer.stop(),
        () => process.kill(pgbouncer.pid, 'SIGKILL'),
      );
      targets.push({
        name: 'pgbouncer',
        endpoint: { ...direct, host: pgbouncer.host, port: pgbouncer.port },
        proxyPid: pgbouncer.pid,
      });
    }
  }
  if (options.targets.includes('airlock')) {
    try {
      const airlock = await startBenchAirlock({ host: cluster.host, port: cluster.port, ...db });
      cleanup.add(
        'airlock',
        () => airlock.stop(),
        () => process.kill(airlock.pid, 'SIGKILL'),
      );
      targets.push({
        name: 'airlock',
        // Any user name works; the token is the password and the database names the connection.
        endpoint: {
          host: airlock.host,
          port: airlock.port,
          user: 'bench',
          database: db.database,
          password: airlock.token,
        },
        proxyPid: airlock.pid,
      });
      if (options.targets.includes('airlock-guarded')) {
        targets.push({
          name: 'airlock-guarded',
          // Same Airlock process; the guarded connection classifies and decides every statement.
          endpoint: {
            host: airlock.host,
            port: airlock.port,
            user: 'bench',
            database: guardedConnectionName(db.database),
            password: airlock.token,
          },
          proxyPid: airlock.pid,
        });
      }
      if (options.targets.includes('airlock-masked')) {
        targets.push({
          name: 'airlock-masked',
          // Same Airlock process; the masked connection rewrites pgbench_accounts' two masked
          // columns and runs content detection on every text value of every result.
          endpoint: {
            host: airlock.host,
            port: airlock.port,
            user: 'bench',
            database: maskedConnectionName(db.database),
            password: airlock.token,
          },
          proxyPid: airlock.pid,
        });
      }
    } catch (err) {
      notes.problems.push(`Airlock did not start: ${(err as Error).message}`);
    }
  }
  return targets;
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseBenchArgs(argv);
  if (options.help) {
    out(USAGE);
    return 0;
  }
  const binDir = findPostgresBinDir();
  if (!binDir) throw new Error('PostgreSQL server binaries not found (install the postgresql package)');
  const pgbench = join(binDir, 'pgbench');
  const psql = join(binDir, 'psql');
  const env = cleanEnv();
  const machine = machineInfo(binDir, pgbouncerVersion());
  const started = new Date();
  out(`airlock bench, ${started.toISOString()}`);
  out(`machine: ${formatMachine(machine)}`);
  out(
    `runs: ${options.rounds} round(s) x ${options.durationS} s, clients ${options.clients.join(',')}, ` +
      `-j ${options.threads}, scale ${options.scale}, scenarios ${options.scenarios.join(',')}`,
  );

  const cleanup = new Cleanup();
  let stopping: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C arrives twice (from the terminal to the whole process group, and relayed by tsx), so
    // the handler stays installed and acts once; a second default SIGINT would skip the cleanup.
    if (stopping) return;
    stopping = signal;
    out(`\n${signal}: stopping pgbench, Airlock, pgbouncer and PostgreSQL...`);
    for (const child of runningPgbench) child.kill('SIGTERM');
    void cleanup.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if the process ends before cleanup finished (an exception, a second signal).
  process.once('exit', () => cleanup.killRemaining());

  // Problems (a target that should run but cannot) make the exit status non-zero; info does not.
  const notes = { problems: [] as string[], info: [] as string[] };
  const runs: RunResult[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'airlock-pgbench-logs-'));
  cleanup.add('pgbench logs', async () => rmSync(logDir, { recursive: true, force: true }));
  try {
    const cluster = await startPostgresCluster({
      settings: { max_connections: '1100', shared_buffers: '256MB' },
    });
    cleanup.add('postgres', () => cluster.stop());
    out(`initialising: pgbench -i -s ${options.scale} on PostgreSQL port ${cluster.port}...`);
    const db = await prepareBenchDatabase(cluster, pgbench, options.scale, env);
    const candidates = await startTargets(options, cluster, db, cleanup, notes);
    const targets: Target[] = [];
    for (const target of candidates) {
      const problem = await probeTarget(psql, target.endpoint, env);
      if (problem === undefined) targets.push(target);
      else notes.problems.push(`${target.name} does not answer "select 1", left out: ${problem}`);
    }
    for (const p of [...notes.info, ...notes.problems]) out(`note: ${p}`);
    out(`targets: ${targets.map((t) => `${t.name} (127.0.0.1:${t.endpoint.port})`).join(', ')}`);

    const scenarios = SCENARIOS.filter((s) => options.scenarios.includes(s.name));
    const runsOf = (scenario: Scenario) => targets.filter((t) => scenario.skips?.[t.name] === undefined);
    const total = scenarios.reduce(
      (n, s) => n + options.clients.length * options.rounds * runsOf(s).length,
      0,
    );
    for (const scenario of scenarios) {
      for (const target of targets) {
        const why = scenario.skips?.[target.name];
        if (why !== undefined) notes.info.push(`${scenario.name} does not run on ${target.name}: ${why}`);
      }
    }
    for (const scenario of scenarios) {
      for (const clients of options.clients) {
        const groupRuns: RunResult[] = [];
        // Interleaved: direct, pgbouncer, airlock, direct, pgbouncer, airlock, ... so drift in the
        // machine (other load, table bloat, caches) spreads over every target alike.
        for (let round = 1; round <= options.rounds; round++) {
          for (const target of runsOf(scenario)) {
            // After a signal the cleanup owns the processes: start nothing new, wait for exit.
            if (stopping) return await new Promise<number>(() => {});
            if (scenario.resetsTables) await resetTables(cluster, db.database);
            const result = await runPgbench({
              pgbench,
              endpoint: target.endpoint,
              target: target.name,
              scenario,
              clients,
              threads: options.threads,
              durationS: options.durationS,
              round,
              logDir,
              proxyPid: target.proxyPid,
              env,
            });
            if (stopping) return await new Promise<number>(() => {});
            runs.push(result);
            groupRuns.push(result);
            out(progressLine(result, runs.length, total));
          }
        }
        for (const group of summarize(groupRuns)) out(`\n${formatGroup(group, scenario)}\n`);
      }
    }
    const groups = summarize(runs);
    out('Summary (tps ratios and added p99 latency, medians of the rounds above):');
    out(formatRatioSummary(groups));
    const extras = stopping ? undefined : await runExtras(options, targets, out);
    if (extras?.failed) notes.problems.push('an idle-session or bulk-read measurement failed (see above)');
    for (const p of [...notes.info, ...notes.problems]) out(`note: ${p}`);
    if (options.jsonFile) {
      const json = { date: started.toISOString(), machine, options, notes, groups, runs, extras };
      writeFileSync(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
      out(`results written to ${options.jsonFile}`);
    }
  } finally {
    await cleanup.run();
  }
  return notes.problems.length > 0 || runs.some((r) => r.error !== undefined) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
