import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import {
  postSigned,
  postSignedWithRetry,
  SIGNATURE_HEADER,
  signatureValid,
  signBody,
  TIMESTAMP_HEADER,
} from './signed-post.js';

/** A port nothing listens on (fetch refuses well-known "bad ports" such as 1 before connecting). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

describe('signed POST', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  /** Status codes to answer, in order; 200 once used up. */
  let script: number[] = [];
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 0));

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/slow') return; // never answers
        res.statusCode = script.shift() ?? 200;
        res.end('receiver says hi');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('signs the exact body with HMAC-SHA256 and stamps the time', async () => {
    received.length = 0;
    const body = '{"schema":1,"events":[{"é":"ü"}]}';
    assert.equal(
      await postSigned({ url: `${url}/in?k=v`, body, secret: 'shh', timeoutMs: 2000, clock }),
      200,
    );
    const got = received[0]!;
    assert.equal(got.body, body);
    const hex = createHmac('sha256', 'shh').update(Buffer.from(body)).digest('hex');
    assert.equal(got.headers[SIGNATURE_HEADER], `sha256=${hex}`);
    assert.equal(got.headers[TIMESTAMP_HEADER], String(Date.UTC(2026, 2, 2, 9) / 1000));
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(signatureValid('shh', got.body, got.headers[SIGNATURE_HEADER]));
    assert.ok(!signatureValid('other', got.body, got.headers[SIGNATURE_HEADER]));
    assert.ok(!signatureValid('shh', `${got.body} `, got.headers[SIGNATURE_HEADER]));
    assert.ok(!signatureValid('shh', got.body, undefined));
    assert.equal(signBody('k', 'b'), `sha256=${createHmac('sha256', 'k').update('b').digest('hex')}`);
  });

  test('a non-2xx answer, a refused connection and a timeout fail with ERR_DELIVERY_FAILED, naming only the origin', async () => {
    script = [500];
    await assert.rejects(
      postSigned({ url: `${url}/in?token=secret`, body: '{}', secret: 's', timeoutMs: 2000, clock }),
      (err: AirlockError) =>
        err.code === 'ERR_DELIVERY_FAILED' && err.message === `POST to ${url} answered HTTP 500`,
    );
    const closed = await closedPort();
    await assert.rejects(
      postSigned({ url: `http://127.0.0.1:${closed}/x`, body: '{}', secret: 's', timeoutMs: 2000, clock }),
      (err: AirlockError) =>
        err instanceof AirlockError && /ECONNREFUSED/.test(err.message) && !err.message.includes('/x'),
    );
    await assert.rejects(
      postSigned({ url: `${url}/slow`, body: '{}', secret: 's', timeoutMs: 200, clock }),
      /no answer within 200 ms/,
    );
  });

  test('the retrying form retries failures with backoff and gives up after its attempts', async () => {
    received.length = 0;
    script = [503, 500];
    const status = await postSignedWithRetry(
      { url, body: '{"n":1}', secret: 's', timeoutMs: 2000, clock },
      { attempts: 3, initialMs: 10, maxMs: 20 },
    );
    assert.equal(status, 200);
    assert.equal(received.length, 3);
    script = [500, 500, 500];
    await assert.rejects(
      postSignedWithRetry(
        { url, body: '{}', secret: 's', timeoutMs: 2000, clock },
        { attempts: 2, initialMs: 10 },
      ),
      /HTTP 500/,
    );
    assert.deepEqual(script, [500], 'two attempts used two answers');
  });
});
