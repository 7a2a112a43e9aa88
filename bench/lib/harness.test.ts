import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  findPostgresBinDir,
  type PostgresCluster,
  startPostgresCluster,
} from '../../src/demo/postgres-cluster.js';
import { startBenchAirlock } from './airlock.js';
import { type BenchDatabase, prepareBenchDatabase, probeTarget, resetTables } from './bench-db.js';
import { type Endpoint, runPgbench } from './pgbench-run.js';
import { PGBOUNCER_BIN, startBenchPgbouncer } from './pgbouncer.js';
import { processCpuUs } from './proc-cpu.js';
import { SCENARIOS } from './scenarios.js';

// The harness end to end on a tiny scale: real cluster, real pgbouncer, real pgbench and its logs.
const binDir = findPostgresBinDir()!;
const pgbench = join(binDir, 'pgbench');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
let cluster: PostgresCluster;
let db: BenchDatabase;
let logDir: string;

before(async () => {
  cluster = await startPostgresCluster({ settings: { max_connections: '200' } });
  db = await prepareBenchDatabase(cluster, pgbench, 1, env);
  logDir = mkdtempSync(join(tmpdir(), 'airlock-bench-test-'));
});
after(async () => {
  await cluster?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

test('the bench role uses a SCRAM password and owns the initialised tables', async () => {
  assert.match(
    await cluster.psql("select rolpassword from pg_authid where rolname = 'bench'"),
    /^SCRAM-SHA-256\$/,
  );
  assert.equal(await cluster.psql('select count(*) from pgbench_branches', 'bench'), '1');
  assert.equal(
    await cluster.psql("select tableowner from pg_tables where tablename = 'pgbench_accounts'", 'bench'),
    'bench',
  );
});

test('a direct run yields tps, latencies from the logs, and removes its log files', async () => {
  const endpoint: Endpoint = { host: cluster.host, port: cluster.port, ...db };
  const result = await runPgbench({
    pgbench,
    endpoint,
    target: 'direct',
    scenario: SCENARIOS[0]!,
    clients: 2,
    threads: 2,
    durationS: 1,
    round: 1,
    logDir,
    proxyPid: undefined,
    env,
  });
  assert.equal(result.error, undefined);
  assert.ok(result.tps > 0);
  assert.ok(result.transactions > 0);
  assert.ok(result.avgMs > 0 && result.p99Ms >= result.avgMs);
  assert.equal(result.proxyCpuUs, undefined);
  assert.deepEqual(readdirSync(logDir), []);
});

test('a wrong password is a failed run, not an exception', async () => {
  const result = await runPgbench({
    pgbench,
    endpoint: { host: cluster.host, port: cluster.port, ...db, password: 'wrong' },
    target: 'direct',
    scenario: SCENARIOS[0]!,
    clients: 1,
    threads: 1,
    durationS: 1,
    round: 1,
    logDir,
    proxyPid: undefined,
    env,
  });
  assert.match(result.error ?? '', /password authentication failed/);
  assert.ok(Number.isNaN(result.tps));
});

test('pgbouncer pools in session mode, its CPU is charged to the run, and stop ends it', async (t) => {
  if (!existsSync(PGBOUNCER_BIN)) {
    t.skip('pgbouncer is not installed');
    return;
  }
  const pgbouncer = await startBenchPgbouncer({ serverHost: cluster.host, serverPort: cluster.port, ...db });
  try {
    const endpoint: Endpoint = { host: pgbouncer.host, port: pgbouncer.port, ...db };
    assert.equal(await probeTarget(join(binDir, 'psql'), endpoint, env), undefined);
    assert.match(
      (await probeTarget(join(binDir, 'psql'), { ...endpoint, password: 'wrong' }, env)) ?? '',
      /authentication failed/,
    );
    const tpcb = SCENARIOS.find((s) => s.name === 'tpcb')!;
    await resetTables(cluster, db.database);
    const result = await runPgbench({
      pgbench,
      endpoint,
      target: 'pgbouncer',
      scenario: tpcb,
      clients: 4,
      threads: 2,
      durationS: 1,
      round: 1,
      logDir,
      proxyPid: pgbouncer.pid,
      env,
    });
    assert.equal(result.error, undefined);
    assert.ok(result.tps > 0);
    assert.ok(result.proxyCpuUs !== undefined && result.proxyCpuUs >= 0);
    assert.ok(result.proxyCpuUsPerTx !== undefined);
    assert.ok(Number(await cluster.psql('select count(*) from pgbench_history', 'bench')) > 0);
  } finally {
    await pgbouncer.stop();
  }
  assert.equal(processCpuUs(pgbouncer.pid), undefined);
});

test('Airlock starts in a child process, relays pgbench with the token, and stops', async () => {
  const airlock = await startBenchAirlock({ host: cluster.host, port: cluster.port, ...db });
  try {
    const endpoint: Endpoint = {
      host: airlock.host,
      port: airlock.port,
      user: 'bench',
      database: db.database,
      password: airlock.token,
    };
    assert.equal(await probeTarget(join(binDir, 'psql'), endpoint, env), undefined);
    // The token is the password: the database password does not get through Airlock.
    assert.match(
      (await probeTarget(join(binDir, 'psql'), { ...endpoint, password: db.password }, env)) ?? '',
      /token/i,
    );
    const result = await runPgbench({
      pgbench,
      endpoint,
      target: 'airlock',
      scenario: SCENARIOS.find((s) => s.name === 'select-prepared')!,
      clients: 2,
      threads: 2,
      durationS: 1,
      round: 1,
      logDir,
      proxyPid: airlock.pid,
      env,
    });
    assert.equal(result.error, undefined);
    assert.ok(result.tps > 0);
    assert.ok(result.proxyCpuUsPerTx !== undefined && result.proxyCpuUsPerTx > 0);
  } finally {
    await airlock.stop();
  }
  assert.equal(processCpuUs(airlock.pid), undefined);
});
