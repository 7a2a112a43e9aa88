/**
 * @module Local notification receivers for the e2e suites: a webhook receiver that checks the
 * HMAC-SHA256 signature itself (node:crypto, not Airlock's helper) and refuses a bad one with
 * 401, and a Slack-format receiver that accepts `{text, blocks}` only, optionally failing its
 * first answers to prove retries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One accepted POST. */
export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
}

/** A running receiver. */
export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Requests refused (bad signature, bad shape, or a scripted failure). */
  readonly refused: { path: string; status: number }[];
  /** Answer the next `n` requests with 503. */
  failNext(n: number): void;
  /** Resolves with the first accepted message `match` accepts (polls; bounded). */
  waitFor(match: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
  close(): Promise<void>;
}

function validSignature(secret: string, body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Starts a receiver; `secret` set: a webhook receiver; else a Slack-format receiver. */
export async function startReceiver(options: { secret?: string }): Promise<Receiver> {
  const received: Received[] = [];
  const refused: { path: string; status: number }[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const refuse = (status: number) => {
        refused.push({ path: req.url ?? '', status });
        res.writeHead(status).end();
      };
      if (failures > 0) {
        failures--;
        return refuse(503);
      }
      if (
        options.secret !== undefined &&
        !validSignature(options.secret, body, req.headers['x-airlock-signature'])
      )
        return refuse(401);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return refuse(400);
      }
      // What a Slack incoming webhook insists on: a text, and blocks as a list when present.
      if (options.secret === undefined && (typeof json.text !== 'string' || !Array.isArray(json.blocks)))
        return refuse(400);
      received.push({ path: req.url ?? '', headers: req.headers, body, json });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    refused,
    failNext(n) {
      failures = n;
    },
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `no matching notification within ${timeoutMs} ms; got ${JSON.stringify(received.map((r) => r.json))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
