/**
 * @module pgbouncer for the bench: session pooling in front of the throwaway cluster, on a free
 * loopback port, configured in a temp dir. Runs as the `postgres` user when we are root
 * (pgbouncer refuses to run as root).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/demo/postgres-cluster.js';

/** The Debian package's binary. */
export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

/** What pgbouncer pools for. */
export interface PgbouncerSettings {
  readonly listenPort: number;
  readonly serverHost: string;
  readonly serverPort: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly authFile: string;
}

/** Double-quotes a userlist field, doubling embedded quotes (pgbouncer's escaping). */
function quoteUserlist(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** `userlist.txt`: the bench user with its password in plain text (pgbouncer derives SCRAM from it). */
export function renderUserlist(user: string, password: string): string {
  return `${quoteUserlist(user)} ${quoteUserlist(password)}\n`;
}

/**
 * `pgbouncer.ini` for the bench. Session pooling (each client keeps its server connection, as with
 * Airlock), SCRAM from clients, no TLS on either leg (nor on Airlock's), connection logging off (it
 * would cost per connection, not per transaction, but the bench keeps proxies' logs quiet alike).
 */
export function renderPgbouncerIni(s: PgbouncerSettings): string {
  return `[databases]
${s.database} = host=${s.serverHost} port=${s.serverPort} dbname=${s.database}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${s.listenPort}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${s.authFile}
pool_mode = session
max_client_conn = 2000
default_pool_size = 100
ignore_startup_parameters = extra_float_digits,options
client_tls_sslmode = disable
server_tls_sslmode = disable
log_connections = 0
log_disconnections = 0
`;
}

/** A running pgbouncer. */
export interface BenchPgbouncer {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function postgresIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  };
}

/** pgbouncer's version line ("PgBouncer 1.18.0"), or undefined when not installed. */
export function pgbouncerVersion(): string | undefined {
  if (!existsSync(PGBOUNCER_BIN)) return undefined;
  return execFileSync(PGBOUNCER_BIN, ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim();
}

/** Starts pgbouncer and waits until its port answers. */
export async function startBenchPgbouncer(
  server: Omit<PgbouncerSettings, 'listenPort' | 'authFile'>,
): Promise<BenchPgbouncer> {
  const version = pgbouncerVersion();
  if (!version) throw new Error(`${PGBOUNCER_BIN} not found (install the pgbouncer package)`);
  const dir = mkdtempSync(join(tmpdir(), 'airlock-pgbouncer-'));
  const authFile = join(dir, 'userlist.txt');
  const iniFile = join(dir, 'pgbouncer.ini');
  const listenPort = await freePort();
  writeFileSync(authFile, renderUserlist(server.user, server.password), { mode: 0o600 });
  writeFileSync(iniFile, renderPgbouncerIni({ ...server, listenPort, authFile }), { mode: 0o600 });
  // Spawned with the postgres uid/gid directly (rather than through runuser) so that the pid we
  // hold is pgbouncer's own: signals and /proc CPU readings reach pgbouncer, not a wrapper.
  const ids = userInfo().uid === 0 ? postgresIds() : undefined;
  if (ids) for (const path of [dir, authFile, iniFile]) chownSync(path, ids.uid, ids.gid);
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [iniFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(ids ?? {}),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const deadline = Date.now() + 15_000;
  while (!(await portOpen(listenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanup();
      throw new Error(`pgbouncer did not start (status ${child.exitCode}):\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid!,
    host: '127.0.0.1',
    port: listenPort,
    version,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          // SIGTERM is pgbouncer's immediate shutdown (1.18); SIGKILL if it lingers.
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        cleanup();
      })();
      return stopped;
    },
  };
}
