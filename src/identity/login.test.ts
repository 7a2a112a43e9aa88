/**
 * The login flow against a real OpenID Provider (device flow, approved over plain HTTP) and a small
 * stand-in for Airlock's two login endpoints, so the requests the CLI sends are checked exactly.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startOidcProvider, type TestOidcProvider } from '../../test/harness/oidc-provider.js';
import { isAirlockError } from '../core/errors.js';
import { browserLogin, deviceLogin } from './login.js';

/** What the stand-in answers at the exchange endpoint; the forms it received. */
interface StandIn {
  url: string;
  server: Server;
  login?: Record<string, string>;
  answer: { status: number; body: Record<string, unknown> };
  forms: URLSearchParams[];
}

async function startStandIn(): Promise<StandIn> {
  const standIn = { forms: [] } as unknown as StandIn;
  standIn.answer = { status: 200, body: {} };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/api/v1/auth/config') {
      res.end(
        JSON.stringify({
          ...(standIn.login ? { oidc: standIn.login } : {}),
          tokenExchange: '/api/v1/token/exchange',
        }),
      );
    } else if (req.method === 'POST' && req.url === '/api/v1/token/exchange') {
      standIn.forms.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      res.statusCode = standIn.answer.status;
      res.end(JSON.stringify(standIn.answer.body));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  standIn.server = server;
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return standIn;
}

describe('deviceLogin', () => {
  let idp: TestOidcProvider;
  let airlock: StandIn;

  before(async () => {
    idp = await startOidcProvider({ audience: 'airlock', clients: [], publicClients: ['cli'] });
    airlock = await startStandIn();
  });
  after(async () => {
    airlock?.server.close();
    await idp?.stop();
  });

  /** Logs in, approving the code as `account` when the prompt shows it. */
  function loginAs(account: string, ttlMs?: number) {
    let approval: Promise<void> | undefined;
    const prompts: string[] = [];
    const done = deviceLogin(airlock.url, {
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      prompt(prompt) {
        prompts.push(prompt.userCode);
        assert.match(prompt.verificationUri, /\/device$/);
        approval = idp.approveDevice(prompt.userCode, account);
      },
    });
    return { done, prompts, approval: () => approval };
  }

  test('a server without identity.login is refused before any IdP call', async () => {
    delete airlock.login;
    await assert.rejects(
      deviceLogin(airlock.url, { prompt: () => assert.fail('no prompt') }),
      (err: unknown) => isAirlockError(err) && /no login issuer configured/.test(err.userMessage),
    );
  });

  test('the approved OIDC access token is exchanged for an Airlock token (RFC 8693 form)', async () => {
    airlock.login = { name: 'corp', issuer: idp.issuer, clientId: 'cli', scope: 'openid airlock' };
    airlock.answer = {
      status: 200,
      body: { access_token: 'al_short', expires_in: 600, airlock_expires_at: '2030-01-01T00:00:00.000Z' },
    };
    const run = loginAs('alice', 30 * 60_000);
    const result = await run.done;
    await run.approval();
    assert.equal(run.prompts.length, 1);
    assert.deepEqual(result, {
      server: airlock.url.replace(/\/$/, ''),
      token: 'al_short',
      expiresAt: '2030-01-01T00:00:00.000Z',
      issuer: 'corp',
    });
    const form = airlock.forms.at(-1)!;
    assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange');
    assert.equal(form.get('subject_token_type'), 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(form.get('requested_lifetime'), '1800');
    const payload = JSON.parse(
      Buffer.from(form.get('subject_token')!.split('.')[1]!, 'base64url').toString(),
    ) as { sub: string; iss: string; aud: string };
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, 'airlock');
  });

  test("Airlock's refusal is reported with its OAuth error description", async () => {
    airlock.answer = {
      status: 401,
      body: { error: 'invalid_grant', error_description: 'subject_token: the token has expired' },
    };
    const run = loginAs('alice');
    await assert.rejects(
      run.done,
      (err: unknown) =>
        isAirlockError(err) &&
        err.code === 'ERR_TOKEN_INVALID' &&
        err.userMessage === 'Airlock refused the login: subject_token: the token has expired',
    );
    await run.approval();
  });

  test('--browser: code flow with PKCE S256 and a loopback redirect, state checked', async () => {
    airlock.answer = {
      status: 200,
      body: { access_token: 'al_browser', expires_in: 60, airlock_expires_at: '2030-01-01T00:00:00.000Z' },
    };
    let page: Promise<string> | undefined;
    const result = await browserLogin(airlock.url, {
      open(url) {
        const params = new URL(url).searchParams;
        assert.equal(params.get('code_challenge_method'), 'S256');
        assert.ok(params.get('state'));
        page = idp.approveAuthorization(url, 'bob');
      },
    });
    assert.equal(result.token, 'al_browser');
    assert.match((await page) ?? '', /you are logged in/);
    const subject = airlock.forms.at(-1)!.get('subject_token')!;
    assert.equal(JSON.parse(Buffer.from(subject.split('.')[1]!, 'base64url').toString()).sub, 'bob');

    // A callback that did not come from this login (wrong state) is refused.
    await assert.rejects(
      browserLogin(airlock.url, {
        open(url) {
          const redirect = new URL(url).searchParams.get('redirect_uri')!;
          void fetch(`${redirect}?code=forged&state=not-ours&iss=${encodeURIComponent(idp.issuer)}`);
        },
      }),
      (err: unknown) => isAirlockError(err) && /state/.test(err.userMessage),
    );
  });

  test('an unreachable server is a clear error', async () => {
    await assert.rejects(
      deviceLogin('http://127.0.0.1:1', { prompt: () => {} }),
      (err: unknown) => isAirlockError(err) && err.code === 'ERR_UPSTREAM_UNREACHABLE',
    );
  });
});
