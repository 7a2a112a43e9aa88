import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { run } from '../cli/run.js';
import type { AirlockError } from '../core/errors.js';
import { callApi } from './http-client.js';

/** What the tiny server answers on each path: status, content type, body. */
const ANSWERS: Record<string, readonly [number, string | undefined, string]> = {
  '/proxy-502': [
    502,
    'text/html',
    `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n${'<!-- padding -->'.repeat(40)}</body>\n</html>`,
  ],
  '/empty-502': [502, undefined, ''],
  '/empty-200': [200, 'application/json', ''],
  '/html-200': [200, 'text/html; charset=utf-8', '<!doctype html><title>Sign in</title>'],
  '/json-200': [200, 'application/json', '{"subject":"bot"}'],
  '/problem-403': [
    403,
    'application/problem+json',
    '{"type":"about:blank","title":"blocked: not an admin","status":403,"code":"ERR_FORBIDDEN"}',
  ],
  '/api/v1/whoami': [502, 'text/html', '<html><body>Bad Gateway</body></html>'],
};

describe('callApi against a server that does not answer JSON', () => {
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((request, response) => {
      const [status, type, body] = ANSWERS[request.url ?? ''] ?? [404, 'text/plain', 'no such path'];
      if (type) response.setHeader('content-type', type);
      response.writeHead(status).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The AirlockError `path` fails with. */
  async function failure(path: string): Promise<AirlockError> {
    try {
      await callApi(base, 'tok', 'GET', path);
    } catch (err) {
      return err as AirlockError;
    }
    throw new Error(`${path} did not fail`);
  }

  test('an HTML error page names the status, the content type and the start of the body', async () => {
    const err = await failure('/proxy-502');
    assert.equal(err.code, 'ERR_UPSTREAM_UNREACHABLE');
    assert.match(err.userMessage, /answered HTTP 502 \(text\/html\) with a body that is not JSON/);
    assert.match(err.userMessage, new RegExp(base.replace(/[.:/]/g, '\\$&')));
    assert.ok(err.detail?.startsWith('body: <html> <head><title>502 Bad Gateway</title></head>'), err.detail);
    // The first 200 characters (whitespace folded), marked as cut.
    assert.ok(err.detail!.length <= 'body: '.length + 201, err.detail);
    assert.ok(err.detail!.endsWith('…'), err.detail);
  });

  test('an empty body is reported as such, with or without an error status', async () => {
    const bad = await failure('/empty-502');
    assert.equal(bad.code, 'ERR_UPSTREAM_UNREACHABLE');
    assert.match(bad.userMessage, /answered HTTP 502 \(no content type\) with an empty body/);
    assert.equal(bad.detail, undefined);
    const ok = await failure('/empty-200');
    assert.match(ok.userMessage, /answered HTTP 200 \(application\/json\) with an empty body/);
  });

  test('a success status with a page instead of JSON is refused too', async () => {
    const err = await failure('/html-200');
    assert.match(
      err.userMessage,
      /answered HTTP 200 \(text\/html; charset=utf-8\) with a body that is not JSON/,
    );
    assert.equal(err.detail, 'body: <!doctype html><title>Sign in</title>');
  });

  test('JSON answers and problem+json refusals work as before', async () => {
    assert.deepEqual(await callApi(base, 'tok', 'GET', '/json-200'), { subject: 'bot' });
    const err = await failure('/problem-403');
    assert.equal(err.code, 'ERR_FORBIDDEN');
    assert.equal(err.userMessage, 'blocked: not an admin');
  });

  test('the CLI prints the clear error and exits non-zero', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const said: Buffer[] = [];
    stderr.on('data', (chunk: Buffer) => said.push(chunk));
    const code = await run(['whoami', '--server', base, '--token', 'tok'], {
      stdout,
      stderr,
      env: {},
      cwd: process.cwd(),
    });
    const text = Buffer.concat(said).toString();
    assert.notEqual(code, 0);
    assert.match(
      text,
      /^error: the server at .* answered HTTP 502 \(text\/html\) with a body that is not JSON/,
    );
    assert.match(text, /body: <html><body>Bad Gateway<\/body><\/html>/);
    assert.doesNotMatch(text, /SyntaxError|at JSON\.parse/);
  });
});
