/**
 * @module The bench database: role `bench` with a SCRAM password, database `bench` owned by it,
 * filled by `pgbench -i` over the direct connection.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { PostgresCluster } from '../../src/demo/postgres-cluster.js';
import { RESET_TABLES_SQL } from './scenarios.js';

const execFileAsync = promisify(execFile);

/** The bench role's name, database name and password. */
export interface BenchDatabase {
  readonly user: string;
  readonly database: string;
  readonly password: string;
}

/** Creates role and database and runs `pgbench -i -s SCALE`. */
export async function prepareBenchDatabase(
  cluster: PostgresCluster,
  pgbench: string,
  scale: number,
  env: NodeJS.ProcessEnv,
): Promise<BenchDatabase> {
  const db: BenchDatabase = { user: 'bench', database: 'bench', password: randomBytes(16).toString('hex') };
  // Hex only, so the literal needs no escaping. SCRAM, like every role a real target would have.
  await cluster.psql(
    `SET password_encryption = 'scram-sha-256'; CREATE ROLE ${db.user} LOGIN PASSWORD '${db.password}'`,
  );
  // CREATE DATABASE refuses to run inside the implicit transaction of a multi-statement string.
  await cluster.psql(`CREATE DATABASE ${db.database} OWNER ${db.user}`);
  await execFileAsync(
    pgbench,
    [
      '-i',
      '-q',
      '-s',
      String(scale),
      '-h',
      cluster.host,
      '-p',
      String(cluster.port),
      '-U',
      db.user,
      db.database,
    ],
    { env: { ...env, PGPASSWORD: db.password, PGSSLMODE: 'disable' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return db;
}

/** Vacuums the small tables and empties the history, as pgbench does before a run without `-n`. */
export async function resetTables(cluster: PostgresCluster, database: string): Promise<void> {
  // VACUUM cannot run in the implicit transaction of a multi-statement string: one call each.
  for (const sql of RESET_TABLES_SQL.split(';')) await cluster.psql(sql.trim(), database);
}

/** Checks that a target answers `select 1` as the bench user; returns the error text if not. */
export async function probeTarget(
  psql: string,
  endpoint: { host: string; port: number; user: string; database: string; password: string },
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync(
      psql,
      [
        '-X',
        '-A',
        '-t',
        '-h',
        endpoint.host,
        '-p',
        String(endpoint.port),
        '-U',
        endpoint.user,
        '-d',
        endpoint.database,
        '-c',
        'select 1',
      ],
      { env: { ...env, PGPASSWORD: endpoint.password, PGSSLMODE: 'disable' }, timeout: 30_000 },
    );
    return stdout.trim() === '1' ? undefined : `unexpected answer: ${stdout.trim()}`;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return (e.stderr || e.message).trim();
  }
}
