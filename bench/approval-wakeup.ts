/**
 * @module `npx tsx bench/approval-wakeup.ts [iterations]`: how long a held client waits after an
 * approver decides. A node-postgres client runs a statement a guardrail holds for approval; the
 * bench approves it (1) through the REST API (the server wakes its held client in-process) and
 * (2) through the CLI with --config (another writer on the store: the server notices through the
 * held clients' store re-check, else the change feed), and measures from the start of the approval
 * to the statement's result. Prints p50, p99 and max per path after five warm-up runs (printed
 * apart). The goal is ≤ 100 ms; the hard limit 1 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { run } from '../src/cli/run.js';
import { loadConfig } from '../src/config/load.js';
import { startPostgresCluster } from '../src/demo/postgres-cluster.js';
import { startServer } from '../src/server/start.js';
import { percentileSorted } from './lib/stats.js';

const iterations = Number(process.argv[2] ?? 40);
/** Unmeasured runs per path before the measured ones. */
const WARMUP = 5;
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const cluster = await startPostgresCluster();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-wakeup-'));
  try {
    await cluster.psql(`create role app login password 'bench-secret'`);
    await cluster.psql('create database app owner app');
    await cluster.psql('set role app; create table t (id int primary key)', 'app');
    const file = join(dir, 'airlock.yaml');
    writeFileSync(
      file,
      `store: sqlite:./airlock.db
node: wakeup
listen: { api: 127.0.0.1:0, postgres: 127.0.0.1:0 }
logging: { level: silent }
connections:
  - name: held
    type: postgres
    host: 127.0.0.1
    port: ${cluster.port}
    database: app
    user: app
    password: bench-secret
    access: [group:bench]
    guardrails: { review: [delete] }
    reviews: { maxAge: 30d, approvers: [group:dba], wait: 30s }
`,
    );
    const server = await startServer(await loadConfig(file, process.env), { log: pino({ level: 'silent' }) });
    try {
      const agent = await server.createToken({ name: 'agent', groups: ['bench'], kind: 'agent' });
      const approver = await server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
      const api = `http://127.0.0.1:${server.addresses.api.port}`;
      const pgAddr = server.addresses.postgres!;
      const client = new pg.Client({
        connectionString: `postgresql://agent:${encodeURIComponent(agent)}@127.0.0.1:${pgAddr.port}/held?sslmode=disable`,
      });
      const notices: string[] = [];
      let onNotice: (() => void) | undefined;
      client.on('notice', (n) => {
        notices.push(n.message ?? '');
        onNotice?.();
      });
      await client.connect();

      const viaApi = async (id: number) => {
        const response = await fetch(`${api}/api/v1/approvals/${id}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
          body: '{}',
        });
        if (!response.ok) throw new Error(`approve ${id}: HTTP ${response.status} ${await response.text()}`);
      };
      const viaCli = async (id: number) => {
        const sink = new PassThrough().resume();
        const code = await run(['--config', file, 'approvals', 'approve', String(id), '--token', approver], {
          stdout: sink,
          stderr: sink,
          env: { ...process.env, AIRLOCK_SERVER: undefined },
          cwd: dir,
        });
        if (code !== 0) throw new Error(`CLI approve ${id} exited ${code}`);
      };

      /** One held statement approved by `approve`: ms from the approval's start to the result. */
      const once = async (n: number, approve: (id: number) => Promise<void>): Promise<number> => {
        const seen = notices.length;
        const noticed = new Promise<void>((resolve) => {
          onNotice = () => {
            if (notices.length > seen) resolve();
          };
        });
        const query = client.query(`delete from t where id = ${n}`);
        await noticed;
        const id = Number(/request (\d+)/.exec(notices.at(-1) ?? '')?.[1]);
        const started = performance.now();
        await approve(id);
        await query;
        return performance.now() - started;
      };

      // The session's own access review, once (not measured).
      const first = client.query('select 1');
      await new Promise<void>((resolve) => {
        if (notices.length > 0) resolve();
        else onNotice = resolve;
      });
      await viaApi(Number(/request (\d+)/.exec(notices[0] ?? '')?.[1]));
      await first;

      out(`approval wake-up latency (approval start → held statement's result), ${iterations} runs each`);
      out('path                          p50 ms   p99 ms   max ms');
      let n = 1;
      for (const [name, approve] of [
        ['REST API (in-process wake)', viaApi],
        ['CLI --config (store re-check)', viaCli],
      ] as const) {
        // The first runs pay for JIT compilation and cold caches: reported apart, not in the percentiles.
        const cold: number[] = [];
        for (let i = 0; i < WARMUP; i++) cold.push(await once(n++, approve));
        const samples: number[] = [];
        for (let i = 0; i < iterations; i++) samples.push(await once(n++, approve));
        samples.sort((a, b) => a - b);
        const f = (v: number) => v.toFixed(1).padStart(8);
        out(
          `${name.padEnd(28)}${f(percentileSorted(samples, 50))} ${f(percentileSorted(samples, 99))} ${f(samples.at(-1)!)}    (warm-up: ${cold.map((v) => v.toFixed(0)).join(', ')} ms)`,
        );
      }
      await client.end();
    } finally {
      await server.stop();
    }
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
