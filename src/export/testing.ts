/**
 * @module Test helpers: a store filled with real sealed events through a journal and the drainer,
 * and a local HTTP receiver that checks signatures and can fail on purpose.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AuditDrainer } from '../audit/drain.js';
import type { AuditEventBody } from '../audit/events.js';
import { Journal } from '../audit/journal.js';
import type { ManualClock } from '../core/clock.js';
import type { Store } from '../store/db.js';
import { signatureValid } from './signed-post.js';

/** A `command` event body numbered `n`. */
export function commandEvent(n: number): AuditEventBody {
  return {
    type: 'command',
    sessionId: 's1',
    identity: { subject: 'bot', kind: 'agent', groups: ['agents'], issuer: 'airlock', chain: [] },
    connection: 'appdb',
    protocol: 'postgres',
    commandId: n,
    channel: 'simple',
    text: `select ${n}`,
    action: 'sql.select',
    objects: ['t'],
    decision: 'allow',
    rule: 'default',
  };
}

/**
 * Appends `count` events to `node`'s journal (in `dir/<node>`) and drains them into the store,
 * advancing `clock` by `stepMs` after each. Reopening the same folder continues the chain.
 */
export async function fillStore(
  store: Store,
  dir: string,
  node: string,
  key: Buffer,
  clock: ManualClock,
  count: number,
  stepMs = 1000,
): Promise<void> {
  mkdirSync(join(dir, node), { recursive: true });
  const journal = Journal.open({ dir: join(dir, node), node, clock, key });
  const drainer = new AuditDrainer({ db: store.db, journal, key, clock, batchSize: 100 });
  await drainer.start();
  for (let i = 1; i <= count; i++) {
    journal.append(commandEvent(journal.seq + 1));
    clock.advance(stepMs);
  }
  await drainer.stop();
  journal.close();
}

/** One POST the receiver accepted. */
export interface ReceivedBatch {
  readonly node: string;
  readonly seqs: number[];
  readonly records: string[];
  readonly signatureOk: boolean;
}

/** A webhook receiver on 127.0.0.1. */
export interface TestReceiver {
  readonly url: string;
  readonly accepted: ReceivedBatch[];
  /** Requests answered with an error status. */
  readonly refused: number;
  /** Status codes of the refused requests, in order. */
  readonly refusals: number[];
  /** Answer the next `n` requests with `status` (default 500). */
  failNext(n: number, status?: number): void;
  /** Answer every request with `status` (default 500) until `failNext(0)`. */
  failAlways(status?: number): void;
  /** Answer 413 to any batch of more than `n` events (a body size limit); `Infinity` lifts it. */
  limitEvents(n: number): void;
  close(): Promise<void>;
}

/**
 * Starts a receiver that verifies `X-Airlock-Signature` with `secret`, on `port` (default: any free
 * one; pass the port of a closed receiver to bring "the same" receiver back after an outage).
 */
export async function startReceiver(secret: string, options: { port?: number } = {}): Promise<TestReceiver> {
  const accepted: ReceivedBatch[] = [];
  const refusals: number[] = [];
  let failing = 0;
  let failStatus = 500;
  let maxEvents = Number.POSITIVE_INFINITY;
  const refuse = (res: ServerResponse, status: number) => {
    refusals.push(status);
    res.statusCode = status;
    res.end();
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing > 0) {
        failing--;
        refuse(res, failStatus);
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString()) as { schema: number; events: { node: string; seq: number }[] };
      if (body.events.length > maxEvents) {
        refuse(res, 413);
        return;
      }
      accepted.push({
        node: body.events[0]?.node ?? '',
        seqs: body.events.map((e) => e.seq),
        records: body.events.map((e) => JSON.stringify(e)),
        signatureOk: signatureValid(secret, raw, req.headers['x-airlock-signature']),
      });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    accepted,
    get refused() {
      return refusals.length;
    },
    refusals,
    failNext(n, status = 500) {
      failing = n;
      failStatus = status;
    },
    failAlways(status = 500) {
      failing = Number.POSITIVE_INFINITY;
      failStatus = status;
    },
    limitEvents(n) {
      maxEvents = n;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
