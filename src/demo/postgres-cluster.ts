/**
 * @module Throwaway PostgreSQL clusters: initdb with scram-sha-256 into a temp dir, start on a free
 * loopback port, stop and delete afterwards. Used by `airlock demo`, the test suite and the bench.
 * When running as root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A running throwaway cluster. */
export interface PostgresCluster {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Folder of the Unix socket (for local tools). */
  readonly socketDir: string;
  readonly superuser: string;
  readonly superuserPassword: string;
  /** `postgresql://postgres:...@127.0.0.1:PORT/DB` */
  url(database?: string, user?: string, password?: string): string;
  /** Runs SQL with psql as the superuser; returns stdout (unaligned, tuples only). */
  psql(sql: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Options for a throwaway cluster. */
export interface PostgresClusterOptions {
  readonly port?: number;
  /** Extra `-c name=value` server settings (e.g. max_connections). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Where the PostgreSQL binaries are; found automatically when absent. */
  readonly binDir?: string;
}

/** Finds the newest installed PostgreSQL server binaries, or undefined. */
export function findPostgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  // PostgreSQL refuses to run as root; runuser drops to the postgres account.
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function waitReady(
  binDir: string,
  socketDir: string,
  port: number,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with status ${child.exitCode}`);
    try {
      await execFileAsync(join(binDir, 'pg_isready'), ['-h', socketDir, '-p', String(port), '-q']);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('postgres did not become ready within 30 s');
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function startPostmaster(
  binDir: string,
  dataDir: string,
  socketDir: string,
  port: number,
  extra: Readonly<Record<string, string>> = {},
): Promise<ChildProcess> {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: socketDir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...extra,
  };
  const args = ['-D', dataDir];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const [pgCmd, pgArgs] = asPostgresUser(join(binDir, 'postgres'), args);
  const child = spawn(pgCmd, pgArgs, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitReady(binDir, socketDir, port, child);
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
}

/** Starts a fresh cluster. Throws when PostgreSQL binaries are missing. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const binDir = options.binDir ?? findPostgresBinDir();
  if (!binDir) throw new Error('PostgreSQL server binaries not found (install the postgresql package)');
  const root = mkdtempSync(join(tmpdir(), 'airlock-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  const superuserPassword = randomBytes(12).toString('hex');
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, superuserPassword + '\n');
  chmodSync(root, 0o700);
  if (userInfo().uid === 0) {
    const ids = await execFileAsync('id', ['-u', 'postgres']);
    const gids = await execFileAsync('id', ['-g', 'postgres']);
    chownSync(root, Number(ids.stdout), Number(gids.stdout));
    chownSync(pwFile, Number(ids.stdout), Number(gids.stdout));
  }
  const [initCmd, initArgs] = asPostgresUser(join(binDir, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwFile}`,
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  await execFileAsync(initCmd, initArgs);
  rmSync(pwFile);
  const [mkdirCmd, mkdirArgs] = asPostgresUser('mkdir', ['-p', socketDir]);
  await execFileAsync(mkdirCmd, mkdirArgs);

  // freePort() releases the port before postgres binds it, so a parallel test file can take it in
  // between; postgres then exits at once and we retry on a fresh port.
  let started: { child: ChildProcess; port: number } | undefined;
  for (let attempt = 1; !started; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      started = { child: await startPostmaster(binDir, dataDir, socketDir, port, options.settings), port };
    } catch (err) {
      if (options.port !== undefined || attempt >= 5) {
        rmSync(root, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const { child, port } = started;

  let stopped: Promise<void> | undefined;
  // A test run or demo that dies without calling stop() must not leave a server behind.
  const onExit = () => {
    const pid = postmasterPid(dataDir);
    if (pid) process.kill(pid, 'SIGQUIT');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const cluster: PostgresCluster = {
    host: '127.0.0.1',
    port,
    dataDir,
    socketDir,
    superuser: 'postgres',
    superuserPassword,
    url(database = 'postgres', user = 'postgres', password = superuserPassword) {
      return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    async psql(sql, database = 'postgres') {
      const { stdout } = await execFileAsync(
        join(binDir, 'psql'),
        [
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-c',
          sql,
        ],
        { env: { ...process.env, PGPASSWORD: superuserPassword, PGSSLMODE: 'disable' } },
      );
      return stdout.trim();
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        process.removeListener('exit', onExit);
        const done = () => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        // runuser does not forward signals, so signal the postmaster itself (first line of its pid
        // file). SIGINT is PostgreSQL's "fast shutdown": disconnect clients, stop cleanly.
        const postmaster = postmasterPid(dataDir) ?? child.pid;
        if (postmaster) process.kill(postmaster, 'SIGINT');
        setTimeout(() => {
          const pid = postmasterPid(dataDir);
          if (pid) process.kill(pid, 'SIGKILL');
          child.kill('SIGKILL');
        }, 10_000).unref();
      });
      return stopped;
    },
  };
  return cluster;
}
