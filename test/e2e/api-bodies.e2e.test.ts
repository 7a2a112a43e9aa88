/**
 * Request bodies the API cannot take, against a running server: over the 1 MB limit (413
 * problem+json), malformed or empty JSON and unsupported content types (400 problem+json), never a
 * 500; and the token exchange, whose clients speak OAuth, answers the same cases with RFC 6749
 * `{ error: "invalid_request", error_description }` and 400. The server stays healthy and logs no
 * internal error for any of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Problem } from '../../src/api/problem.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly cacheControl: string;
  readonly body: Record<string, unknown>;
}

/** Over the API's 1 MB body limit. */
const OVERSIZE = 2 * 1024 * 1024;

describe('API request bodies', () => {
  let h: AirlockHarness;
  let api: string;
  let admin: string;

  before(async () => {
    h = await startAirlock();
    admin = await h.server.createToken({ name: 'pat', groups: ['platform'], kind: 'human' });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
  });
  after(async () => {
    await h?.stop();
  });

  async function post(path: string, contentType: string, body: string, token = admin): Promise<Answer> {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      cacheControl: response.headers.get('cache-control') ?? '',
      body: JSON.parse(text) as Record<string, unknown>,
    };
  }

  function assertProblem(answer: Answer, status: number, code: string, title: RegExp): void {
    const problem = answer.body as unknown as Problem;
    assert.equal(answer.status, status, JSON.stringify(problem));
    assert.match(answer.type, /^application\/problem\+json/);
    assert.equal(problem.code, code);
    assert.equal(problem.status, status);
    assert.match(problem.title, title);
  }

  test('over 1 MB: 413 problem+json', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(OVERSIZE) });
    assertProblem(
      await post('/api/v1/tokens', 'application/json', big),
      413,
      'ERR_PAYLOAD_TOO_LARGE',
      /request body is larger than 1 MB/,
    );
  });

  test('malformed, empty or unsupported bodies: 400 problem+json', async () => {
    assertProblem(
      await post('/api/v1/tokens', 'application/json', '{"name": "half'),
      400,
      'ERR_BAD_REQUEST',
      /request body is not valid JSON/,
    );
    assertProblem(
      await post('/api/v1/approvals', 'application/json', ''),
      400,
      'ERR_BAD_REQUEST',
      /request body is empty/,
    );
    assertProblem(
      await post('/api/v1/tokens', 'text/plain', 'name=x'),
      400,
      'ERR_BAD_REQUEST',
      /content type "text\/plain" is not accepted; send application\/json/,
    );
  });

  const EXCHANGE = '/api/v1/token/exchange';

  function assertOAuth(answer: Answer, description: RegExp): void {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.type, /^application\/json/);
    assert.equal(answer.cacheControl, 'no-store');
    assert.equal(answer.body.error, 'invalid_request');
    assert.match(String(answer.body.error_description), description);
    assert.equal(answer.body.code, undefined, 'an OAuth error, not problem+json');
  }

  test('token exchange: oversize, malformed and unsupported bodies answer OAuth invalid_request', async () => {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: admin,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      scope: `appdb:read ${'x'.repeat(OVERSIZE)}`,
    }).toString();
    assertOAuth(
      await post(EXCHANGE, 'application/x-www-form-urlencoded', form),
      /request body is larger than 1 MB/,
    );
    assertOAuth(
      await post(EXCHANGE, 'application/json', '{"grant_type":'),
      /application\/x-www-form-urlencoded/,
    );
    assertOAuth(await post(EXCHANGE, 'text/plain', 'grant_type=x'), /application\/x-www-form-urlencoded/);
    assertOAuth(await post(EXCHANGE, 'application/x-www-form-urlencoded', ''), /grant_type is required/);
    assertOAuth(
      await post(
        EXCHANGE,
        'application/x-www-form-urlencoded',
        'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange',
      ),
      /subject_token and subject_token_type are required/,
    );
  });

  test('none of it was an internal error: the server is healthy and logged no failure', async () => {
    assert.equal((await fetch(`${api}/healthz`)).status, 200);
    const failures = h.logs.filter((line) => /api request failed|token exchange failed/.test(line));
    assert.deepEqual(failures, []);
  });
});
