import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startOidcProvider, type TestOidcProvider } from '../../test/harness/oidc-provider.js';
import { ManualClock } from '../core/clock.js';
import type { OidcIssuer } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { looksLikeJwt, OidcVerifier } from './oidc.js';

describe('OidcVerifier against two real OIDC providers', () => {
  let corpIdp: TestOidcProvider;
  let ciIdp: TestOidcProvider;
  let corp: OidcIssuer;
  let ci: OidcIssuer;

  before(async () => {
    [corpIdp, ciIdp] = await Promise.all([
      startOidcProvider({
        audience: 'airlock',
        clients: [
          { clientId: 'agent-a', secret: 'secret-a', extraClaims: { groups: ['agents', 'readers'] } },
        ],
      }),
      startOidcProvider({
        audience: 'airlock-ci',
        groupsClaim: 'roles',
        clients: [
          {
            clientId: 'pipeline',
            secret: 'secret-p',
            extraClaims: { groups: 'deploy, build', airlock_kind: 'agent' },
          },
        ],
      }),
    ]);
    corp = {
      name: 'corp',
      issuer: corpIdp.issuer,
      audience: 'airlock',
      groupsClaim: 'groups',
      subjectClaim: 'sub',
      kind: 'human',
    };
    ci = {
      name: 'ci',
      issuer: ciIdp.issuer,
      audience: 'airlock-ci',
      groupsClaim: 'roles',
      subjectClaim: 'sub',
      kind: 'human',
      kindClaim: 'airlock_kind',
    };
  });
  after(async () => {
    await Promise.all([corpIdp?.stop(), ciIdp?.stop()]);
  });

  function verifier(issuers = [corp, ci], clock = new ManualClock(Date.now()), fetchImpl?: typeof fetch) {
    return new OidcVerifier({ issuers, clock, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  }

  test('a client_credentials token from each issuer verifies to its own subject, groups and kind', async () => {
    const v = verifier();
    const corpToken = await corpIdp.token('agent-a');
    const ciToken = await ciIdp.token('pipeline');
    const [a, p] = await Promise.all([v.verify(corpToken), v.verify(ciToken)]);

    const claims = decodeJwt(corpToken);
    assert.deepEqual(a, {
      subject: 'corp:agent-a',
      displayName: 'agent-a',
      kind: 'service',
      groups: ['agents', 'readers'],
      issuer: 'corp',
      tokenId: claims.jti,
      expiresAt: new Date(claims.exp! * 1000),
      chain: [],
    });
    assert.equal(p.subject, 'ci:pipeline');
    assert.equal(p.issuer, 'ci');
    // A comma-separated string under the configured claim name.
    assert.deepEqual(p.groups, ['deploy', 'build']);
    // kindClaim wins over the client_credentials rule.
    assert.equal(p.kind, 'agent');
  });

  test('a token for a person takes the issuer kind and a display name', async () => {
    const token = await corpIdp.token('agent-a', {
      claims: { sub: 'alice', name: 'Alice A.', groups: 'dba ops' },
    });
    const identity = await verifier().verify(token);
    assert.equal(identity.subject, 'corp:alice');
    assert.equal(identity.displayName, 'Alice A.');
    assert.equal(identity.kind, 'human');
    assert.deepEqual(identity.groups, ['dba', 'ops']);
  });

  test('a nested act chain deeper than maxDelegationDepth is refused with a clear message', async () => {
    // sub alice, acted for by a → b → c: a chain of depth 3 (alice, a, b) behind the current actor c.
    const act = { sub: 'c', act: { sub: 'b', act: { sub: 'a' } } };
    const token = await corpIdp.token('agent-a', { claims: { sub: 'alice', act } });
    let depth = 2;
    const v = new OidcVerifier({
      issuers: [corp],
      clock: new ManualClock(Date.now()),
      maxDelegationDepth: () => depth,
    });
    const err = await rejection(v.verify(token));
    assert.equal(err.code, 'ERR_DELEGATION_DENIED');
    assert.match(
      err.userMessage ?? '',
      /act claim makes a delegation chain of depth 3 \(corp:alice → corp:a → corp:b → corp:c\); identity\.maxDelegationDepth is 2/,
    );
    // The limit is read at every use (a config reload changes it), cached tokens included.
    depth = 3;
    const identity = await v.verify(token);
    assert.equal(identity.subject, 'corp:c');
    assert.deepEqual(
      identity.chain.map((a) => a.subject),
      ['corp:alice', 'corp:a', 'corp:b'],
    );
    depth = 2;
    assert.equal((await rejection(v.verify(token))).code, 'ERR_DELEGATION_DENIED');
  });

  test('without a configured limit the default depth (3) applies', async () => {
    const four = { sub: 'd', act: { sub: 'c', act: { sub: 'b', act: { sub: 'a' } } } };
    const deep = await corpIdp.token('agent-a', { claims: { sub: 'alice', act: four } });
    assert.equal((await rejection(verifier().verify(deep))).code, 'ERR_DELEGATION_DENIED');
    const ok = await corpIdp.token('agent-a', { claims: { sub: 'alice', act: four.act } });
    assert.equal((await verifier().verify(ok)).chain.length, 3);
  });

  test('an invalid kindClaim value falls back to the client_credentials rule', async () => {
    const token = await ciIdp.token('pipeline', { claims: { airlock_kind: 'robot' } });
    assert.equal((await verifier().verify(token)).kind, 'service');
  });

  test('a token for another audience is refused', async () => {
    const token = await corpIdp.token('agent-a', { claims: { aud: 'some-other-api' } });
    const err = await rejection(verifier().verify(token));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.match(err.message, /"aud"/);
    assert.equal(err.userMessage, 'the token is not a valid Airlock token or OIDC access token');
  });

  test('an expired token is refused, even after it was verified and cached', async () => {
    const clock = new ManualClock(Date.now());
    const v = verifier([corp, ci], clock);
    const token = await corpIdp.token('agent-a', { ttlSeconds: 60 });
    await v.verify(token);
    clock.advance(20_000);
    await v.verify(token);
    clock.advance(40_000 + 31_000); // past exp plus the 30 s tolerance
    const err = await rejection(v.verify(token));
    assert.equal(err.code, 'ERR_TOKEN_EXPIRED');
    assert.match(err.message, /corp/);
  });

  test('within the clock tolerance a just-expired token still verifies', async () => {
    const clock = new ManualClock(Date.now());
    const token = await ciIdp.token('pipeline', { ttlSeconds: 5 });
    clock.advance(5_000 + 20_000);
    assert.equal((await verifier([ci], clock).verify(token)).subject, 'ci:pipeline');
  });

  test('a token from an issuer that is not configured is refused', async () => {
    const token = await ciIdp.token('pipeline');
    const err = await rejection(verifier([corp]).verify(token));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.match(err.message, /issuer not trusted/);
    assert.match(err.message, new RegExp(ciIdp.issuer.replace(/[.:/]/g, '\\$&')));
  });

  test("a token signed by one IdP claiming the other's issuer is refused", async () => {
    const forged = await ciIdp.token('pipeline', { claims: { iss: corpIdp.issuer, aud: 'airlock' } });
    const err = await rejection(verifier().verify(forged));
    assert.equal(err.code, 'ERR_TOKEN_INVALID');
    assert.match(err.message, /rejected/);
  });

  test('garbage is refused', async () => {
    const v = verifier();
    for (const garbage of [
      '',
      'not a token',
      'eyJhbGciOiJSUzI1NiJ9.e30',
      'eyJ.eyJ.eyJ',
      'a.b.c',
      'x'.repeat(20_000),
    ]) {
      const err = await rejection(v.verify(garbage));
      assert.equal(err.code, 'ERR_TOKEN_INVALID', garbage.slice(0, 30));
    }
  });

  test('a tampered signature or payload is refused', async () => {
    const v = verifier();
    const token = await corpIdp.token('agent-a');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const badSignature = await rejection(v.verify(`${header}.${payload}.${flipped}`));
    assert.equal(badSignature.code, 'ERR_TOKEN_INVALID');
    assert.match(badSignature.message, /signature verification failed/);

    const claims = { ...decodeJwt(token), groups: ['agents', 'platform-admins'] };
    const forgedPayload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const badPayload = await rejection(v.verify(`${header}.${forgedPayload}.${signature}`));
    assert.equal(badPayload.code, 'ERR_TOKEN_INVALID');
    // The genuine token still works: the cache never held the forgeries.
    assert.deepEqual((await v.verify(token)).groups, ['agents', 'readers']);
  });

  test('discovery happens once per issuer, verified tokens are reused, a failed discovery is retried', async () => {
    const urls: string[] = [];
    let failNext = true;
    const countingFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      urls.push(url);
      if (failNext && url.endsWith('/openid-configuration')) {
        failNext = false;
        throw new TypeError('connect ECONNREFUSED');
      }
      return fetch(input, init);
    };
    const v = verifier([corp], new ManualClock(Date.now()), countingFetch);
    const token = await corpIdp.token('agent-a');
    const down = await rejection(v.verify(token));
    assert.equal(down.code, 'ERR_IDP_UNAVAILABLE');
    assert.match(down.userMessage, /identity provider is unreachable/);
    assert.match(down.message, /discovery .* failed: connect ECONNREFUSED/);

    const first = await v.verify(token);
    const second = await v.verify(token);
    assert.equal(second, first, 'a repeated token is served from the cache');
    await v.verify(await corpIdp.token('agent-a'));
    const discovery = `${corpIdp.issuer}/.well-known/openid-configuration`;
    assert.deepEqual(urls, [discovery, discovery, `${corpIdp.issuer}/jwks`]);
  });
});

describe('looksLikeJwt', () => {
  test('tells compact JWS tokens from other secrets', () => {
    assert.equal(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'), true);
    assert.equal(looksLikeJwt('alk_0123456789abcdef'), false);
    assert.equal(looksLikeJwt('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0'), false);
    assert.equal(looksLikeJwt('eyJ a.b.c'), false);
    assert.equal(new OidcVerifier({ issuers: [], clock: new ManualClock() }).looksLikeJwt('a.b.c'), false);
  });
});

async function rejection(promise: Promise<unknown>): Promise<AirlockError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AirlockError, `expected an AirlockError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}
