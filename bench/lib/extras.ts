/**
 * @module The bench's measurements beyond pgbench: memory of idle sessions and bulk read speed.
 * Both run against every target of the run, one after the other, and report per target.
 *  - idle: opens N sessions (node-postgres clients that stay idle once connected) and reads the
 *    proxy's resident memory (`VmRSS` in /proc) before and after; for direct, nothing to read.
 *  - bulk: `select * from pgbench_accounts` (1M rows at scale 10) over one connection whose client
 *    only frames messages; MB/s = wire bytes of the result / time to its ReadyForQuery.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Connection } from '../../src/core/connection.js';
import { connectUpstream, type Upstream } from '../../src/protocols/postgres/upstream.js';
import type { Endpoint } from './pgbench-run.js';

/** Resident set size of process `pid` in bytes, or undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** What holding `count` idle sessions cost a proxy. */
export interface IdleResult {
  readonly opened: number;
  readonly rssBeforeBytes?: number;
  readonly rssAfterBytes?: number;
  readonly error?: string;
}

/** Opens `count` sessions, 50 at a time, waits for memory to settle, measures, closes them. */
export async function measureIdleSessions(
  endpoint: Endpoint,
  proxyPid: number | undefined,
  count: number,
): Promise<IdleResult> {
  const clients: pg.Client[] = [];
  const rssBeforeBytes = proxyPid === undefined ? undefined : residentBytes(proxyPid);
  try {
    for (let i = 0; i < count; i += 50) {
      const batch = Array.from({ length: Math.min(50, count - i) }, () => {
        const client = new pg.Client({ ...endpoint, ssl: false, connectionTimeoutMillis: 20_000 });
        client.on('error', () => {});
        clients.push(client);
        // Connect only: pgbouncer (session pooling, 100 server connections) would queue a query.
        return client.connect();
      });
      await Promise.all(batch);
    }
    // Let allocation settle (GC, pooled buffers) before reading: the steady state is what counts.
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfterBytes = proxyPid === undefined ? undefined : residentBytes(proxyPid);
    return {
      opened: clients.length,
      ...(rssBeforeBytes !== undefined ? { rssBeforeBytes } : {}),
      ...(rssAfterBytes !== undefined ? { rssAfterBytes } : {}),
    };
  } catch (err) {
    return { opened: clients.length, error: (err as Error).message };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** One bulk read through one target. */
export interface BulkResult {
  readonly bytes: number;
  readonly seconds: number;
  readonly error?: string;
}

/** A simple-protocol Query message. */
function queryMessage(sql: string): Buffer {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const header = Buffer.alloc(5);
  header[0] = 0x51; // Q
  header.writeInt32BE(text.length + 4, 1);
  return Buffer.concat([header, text]);
}

/**
 * Reads the whole of `sql`'s result over one connection and counts the bytes that arrive, timed
 * from sending the query to its ReadyForQuery. The client only frames messages (Airlock's own
 * cursor framing) and never decodes rows, so the figure is the path's throughput, not a client's
 * (psql formatting rows tops out near 80 MB/s here).
 */
export async function measureBulkRead(endpoint: Endpoint, sql: string): Promise<BulkResult> {
  const connection: Connection = {
    name: 'bulk',
    type: 'postgres',
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    password: { value: endpoint.password },
    tls: { mode: 'disable' },
    tags: {},
    access: [],
  };
  let upstream: Upstream | undefined;
  try {
    upstream = await connectUpstream({ connection, timeoutMs: 20_000 }, endpoint.password, [
      ['user', endpoint.user],
      ['database', endpoint.database],
    ]);
    upstream.detach();
    const { socket, parser } = upstream;
    return await new Promise<BulkResult>((resolve) => {
      let bytes = 0;
      let error: string | undefined;
      const started = process.hrtime.bigint();
      const timer = setTimeout(() => finish('no ReadyForQuery within 300 s'), 300_000);
      const finish = (problem?: string) => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const failure = problem ?? error;
        resolve(failure ? { bytes, seconds, error: failure } : { bytes, seconds });
      };
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        parser.parse(chunk, (frame) => {
          if (frame.code === 0x45) error = 'the server answered with an ErrorResponse';
          if (frame.code === 0x5a) finish();
        });
      });
      socket.once('error', (err) => finish(err.message));
      socket.resume();
      socket.write(queryMessage(sql));
    });
  } catch (err) {
    return { bytes: 0, seconds: 0, error: (err as Error).message };
  } finally {
    upstream?.socket.destroy();
  }
}
