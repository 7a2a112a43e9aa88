/**
 * @module A whole Airlock for end-to-end tests: a throwaway PostgreSQL target with an application
 * role whose password only Airlock holds, a YAML config written to a temp dir and loaded the way
 * `airlock serve` loads it, the server started in-process, and the CLI callable as a function.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { run } from '../../src/cli/run.js';
import { loadConfig } from '../../src/config/load.js';
import { type PostgresCluster, startPostgresCluster } from '../../src/demo/postgres-cluster.js';
import { type RunningServer, startServer } from '../../src/server/start.js';

/** What a CLI run printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running Airlock in front of a real PostgreSQL. */
export interface AirlockHarness {
  readonly cluster: PostgresCluster;
  readonly server: RunningServer;
  readonly dir: string;
  readonly configFile: string;
  /** The password Airlock holds for the `app` role: must never leak. */
  readonly heldPassword: string;
  /** Every log line the server wrote. */
  readonly logs: string[];
  /** A libpq-style URL through Airlock. */
  url(token: string, connection?: string, params?: string): string;
  /** Runs the CLI in-process with `--config` for this harness unless `argv` has --server. */
  cli(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  stop(): Promise<void>;
}

/** Options for the harness. */
export interface HarnessOptions {
  /** Extra top-level YAML appended to the config (e.g. an `identity:` block). */
  readonly extraYaml?: string;
  /** Extra connection entries (YAML list items, indented two spaces). */
  readonly extraConnections?: string;
  /** A placeholder in `extraConnections` replaced by the throwaway cluster's port. */
  readonly upstreamPortPlaceholder?: string;
  /** Address the PostgreSQL listener binds (default 127.0.0.1). */
  readonly listenHost?: string;
  /** `listen.tls` cert and key files. */
  readonly listenTls?: { readonly cert: string; readonly key: string };
}

/** The placeholder `appConnection` entries hold for the cluster's port: pass it as `upstreamPortPlaceholder`. */
export const CLUSTER_PORT = 'PORT';

/**
 * One `extraConnections` entry to the harness's `app` database as role `app` (the credential the
 * harness holds), followed by `rest`: more keys, YAML lines indented four spaces.
 */
export function appConnection(name: string, rest = '    access: [group:agents]\n'): string {
  return `  - name: ${name}
    type: postgres
    host: 127.0.0.1
    port: ${CLUSTER_PORT}
    database: app
    user: app
    password: { file: ./app-password }
${rest}`;
}

/** Runs the CLI in-process and captures its output. */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await run(argv, { stdout, stderr, env, cwd });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** Starts PostgreSQL and Airlock. */
export async function startAirlock(options: HarnessOptions = {}): Promise<AirlockHarness> {
  const cluster = await startPostgresCluster();
  const heldPassword = `held-${randomBytes(12).toString('hex')}`;
  await cluster.psql(`create role app login password '${heldPassword}'`);
  await cluster.psql('create database app owner app');
  await cluster.psql('create role stranger login password $$x$$');
  const dir = mkdtempSync(join(tmpdir(), 'airlock-e2e-'));
  writeFileSync(join(dir, 'app-password'), `${heldPassword}\n`, { mode: 0o600 });
  const configFile = join(dir, 'airlock.yaml');
  writeFileSync(
    configFile,
    `store: sqlite:./airlock.db
node: e2e
listen:
  api: 127.0.0.1:0
  postgres: ${options.listenHost ?? '127.0.0.1'}:0
${options.listenTls ? `  tls: { cert: ${options.listenTls.cert}, key: ${options.listenTls.key} }` : ''}
admins: [group:platform]
auditors: [group:security]
logging: { level: info }
${options.extraYaml ?? ''}
connections:
  - name: appdb
    type: postgres
    host: 127.0.0.1
    port: ${cluster.port}
    database: app
    user: app
    password: { file: ./app-password }
    tls: { mode: disable }
    tags: { env: test }
    access: [group:agents, user:solo]
  - name: nowhere
    type: postgres
    host: 127.0.0.1
    port: 1
    database: app
    user: app
    password: { file: ./app-password }
    access: [group:agents]
${options.upstreamPortPlaceholder ? (options.extraConnections ?? '').replaceAll(options.upstreamPortPlaceholder, String(cluster.port)) : (options.extraConnections ?? '')}`,
  );
  const logs: string[] = [];
  const log = pino(
    { level: 'debug' },
    {
      write(line: string) {
        logs.push(line);
      },
    },
  );
  const config = await loadConfig(configFile, process.env);
  const server = await startServer(config, { log });
  const env = {
    ...process.env,
    AIRLOCK_CONFIG: undefined,
    AIRLOCK_SERVER: undefined,
    AIRLOCK_TOKEN: undefined,
  };
  const pg = server.addresses.postgres!;
  return {
    cluster,
    server,
    dir,
    configFile,
    heldPassword,
    logs,
    url(token, connection = 'appdb', params = 'sslmode=disable') {
      return `postgresql://client:${encodeURIComponent(token)}@${pg.host}:${pg.port}/${connection}?${params}`;
    },
    cli(argv, extraEnv = {}) {
      const remote = argv.includes('--server');
      return runCli(remote ? argv : ['--config', configFile, ...argv], { ...env, ...extraEnv }, dir);
    },
    async stop() {
      await server.stop();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
