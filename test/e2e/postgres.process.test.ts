/**
 * `airlock serve` as a real process: a SIGKILL mid-session loses no statement that reached the
 * target (the journal is written before forwarding and recovered at the next start), and SIGTERM
 * drains (no new sessions, open ones finish or are told, then exit).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type PostgresCluster, startPostgresCluster } from '../../src/demo/postgres-cluster.js';
import { runCli } from '../harness/airlock.js';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Serving {
  readonly child: ChildProcess;
  readonly pgPort: number;
  readonly output: () => string;
}

/** Spawns `airlock serve` and waits for its "airlock started" log line. */
async function serve(configFile: string, extra: string[] = []): Promise<Serving> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--config', configFile, ...extra],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AIRLOCK_SERVER: '', AIRLOCK_CONFIG: '' },
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c;
  });
  const pgPort = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 20_000);
    const check = () => {
      for (const line of output.split('\n')) {
        if (!line.includes('airlock started')) continue;
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve((JSON.parse(line) as { postgres: { port: number } }).postgres.port);
        return;
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
  });
  return { child, pgPort, output: () => output };
}

describe('airlock serve as a process', () => {
  let cluster: PostgresCluster;
  let dir: string;
  let configFile: string;
  let token: string;

  before(async () => {
    cluster = await startPostgresCluster();
    const password = randomBytes(12).toString('hex');
    await cluster.psql(`create role app login password '${password}'`);
    await cluster.psql('create database app owner app');
    dir = mkdtempSync(join(tmpdir(), 'airlock-proc-'));
    configFile = join(dir, 'airlock.yaml');
    writeFileSync(
      configFile,
      `store: sqlite:./airlock.db
node: proc
listen: { api: 127.0.0.1:0, postgres: 127.0.0.1:0 }
connections:
  - { name: appdb, type: postgres, host: 127.0.0.1, port: ${cluster.port}, database: app, user: app,
      password: { env: PROC_APP_PASSWORD }, access: [group:agents] }
`,
    );
    process.env.PROC_APP_PASSWORD = password;
    const created = await runCli(
      ['--config', configFile, 'token', 'create', '--name', 'proc-agent', '--group', 'agents'],
      process.env,
      dir,
    );
    assert.equal(created.code, 0, created.stderr);
    token = created.stdout.trim().split('\n').at(-1)!;
  });
  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGKILL mid-session loses no statement that reached the target', async () => {
    const first = await serve(configFile);
    const client = new pg.Client({
      connectionString: `postgresql://x:${token}@127.0.0.1:${first.pgPort}/appdb?sslmode=disable`,
    });
    client.on('error', () => {});
    await client.connect();
    await client.query('create table marks (n int)');
    let sent = 0;
    const writer = (async () => {
      for (let n = 1; n <= 5000; n++) {
        sent = n;
        await client.query(`insert into marks values (${n})`);
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, 400));
    first.child.kill('SIGKILL');
    await writer;
    await new Promise((r) => first.child.once('exit', r));
    const reached = Number(await cluster.psql('select count(*) from marks', 'app'));
    assert.ok(
      reached > 0 && reached < 5000,
      `some inserts reached the target before the kill (${reached}, sent ${sent})`,
    );

    // The next start recovers the journal into the store.
    const second = await serve(configFile);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    const found = await runCli(
      ['--config', configFile, 'audit', 'search', '--type', 'command', '--limit', '10000', '--json'],
      process.env,
      dir,
    );
    assert.equal(found.code, 0, found.stderr);
    const journaled = new Set(
      (JSON.parse(found.stdout) as { text: string }[])
        .map((e) => /^insert into marks values \((\d+)\)$/.exec(e.text)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number),
    );
    const rows = (await cluster.psql('select n from marks order by n', 'app')).split('\n').map(Number);
    for (const n of rows)
      assert.ok(journaled.has(n), `insert ${n} reached the target but is not in the audit trail`);
    const sessions = await runCli(['--config', configFile, 'sessions', 'list', '--json'], process.env, dir);
    const listed = JSON.parse(sessions.stdout) as { endedAt: string | null; errorCode: string | null }[];
    assert.ok(
      listed.length > 0 && listed.every((r) => r.endedAt !== null),
      'the killed run’s session was closed at restart',
    );
    assert.ok(listed.some((r) => r.errorCode === 'ERR_SESSION_TERMINATED'));
    const verify = await runCli(['--config', configFile, 'audit', 'verify'], process.env, dir);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('SIGTERM drains: no new sessions, open ones finish or are told, then exit', async () => {
    const running = await serve(configFile, ['--drain-grace', '1500']);
    const url = `postgresql://x:${token}@127.0.0.1:${running.pgPort}/appdb?sslmode=disable`;
    const open = new pg.Client({ connectionString: url });
    const told = new Promise<{ code?: string }>((resolve) =>
      open.on('error', (err) => resolve(err as { code?: string })),
    );
    await open.connect();
    running.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const late = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await assert.rejects(late.connect());
    assert.equal(
      (await open.query('select 1 as still_here')).rows[0].still_here,
      1,
      'open session may finish its work',
    );
    const exitCode = await new Promise<number | null>((r) => running.child.once('exit', r));
    assert.equal(exitCode, 0, running.output());
    assert.equal((await told).code, '57P01', 'the remaining session was told Airlock is shutting down');
  });
});
