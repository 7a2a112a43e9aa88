/**
 * OIDC access tokens from two real identity providers at once, used as the PostgreSQL password and
 * as the API bearer: subject, groups and kind come from the configured claims.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';
import { startOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.js';

describe('OIDC identities through Airlock', () => {
  let corp: TestOidcProvider;
  let partner: TestOidcProvider;
  let h: AirlockHarness;

  before(async () => {
    corp = await startOidcProvider({
      audience: 'airlock',
      clients: [
        { clientId: 'planner', secret: 'planner-secret', extraClaims: { groups: ['agents'] } },
        { clientId: 'intern', secret: 'intern-secret', extraClaims: { groups: ['interns'] } },
      ],
    });
    partner = await startOidcProvider({
      audience: 'airlock',
      groupsClaim: 'roles',
      clients: [{ clientId: 'etl', secret: 'etl-secret', extraClaims: { groups: ['platform', 'agents'] } }],
    });
    h = await startAirlock({
      extraYaml: `identity:
  maxDelegationDepth: 2
  oidc:
    - { name: corp, issuer: ${corp.issuer}, audience: airlock, groupsClaim: groups, subjectClaim: sub, kind: human }
    - { name: partner, issuer: ${partner.issuer}, audience: airlock, groupsClaim: roles, kind: service }`,
    });
  });
  after(async () => {
    await h?.stop();
    await corp?.stop();
    await partner?.stop();
  });

  test('a JWT from either issuer opens a PostgreSQL session as its subject', async () => {
    for (const [idp, client, subject] of [
      [corp, 'planner', 'corp:planner'],
      [partner, 'etl', 'partner:etl'],
    ] as const) {
      const jwt = await idp.token(client);
      const db = new pg.Client({ connectionString: h.url(jwt) });
      await db.connect();
      assert.equal((await db.query('select 1 as one')).rows[0].one, 1);
      await db.end();
      await h.server.flushAudit();
      const found = await h.cli([
        'audit',
        'search',
        '--identity',
        subject,
        '--type',
        'session.start',
        '--json',
      ]);
      const events = JSON.parse(found.stdout) as { identity: { kind: string; issuer: string } }[];
      assert.ok(events.length > 0, `${subject} audited`);
      assert.equal(events[0]?.identity.kind, 'service', 'client_credentials tokens are service identities');
    }
  });

  test('groups from the token decide access', async () => {
    const jwt = await corp.token('intern');
    const db = new pg.Client({ connectionString: h.url(jwt) });
    await assert.rejects(db.connect(), (err: { code?: string }) => err.code === '28000');
  });

  test('a JWT for another audience or with a bad signature is refused', async () => {
    const wrongAudience = await corp.token('planner', { claims: { aud: 'someone-else' } });
    await assert.rejects(
      new pg.Client({ connectionString: h.url(wrongAudience) }).connect(),
      (err: { code?: string }) => err.code === '28P01',
    );
    const good = await corp.token('planner');
    const [head, body, sig] = good.split('.');
    const tampered = `${head}.${body}.${sig?.slice(0, -4)}AAAA`;
    await assert.rejects(
      new pg.Client({ connectionString: h.url(tampered) }).connect(),
      (err: { code?: string }) => err.code === '28P01',
    );
  });

  test('a nested act chain deeper than identity.maxDelegationDepth is refused in the client protocol', async () => {
    // sub alice; c acts now, for b, for a: a chain of depth 3 (alice, a, b) against a limit of 2.
    const deep = await corp.token('planner', {
      claims: { sub: 'alice', groups: ['agents'], act: { sub: 'c', act: { sub: 'b', act: { sub: 'a' } } } },
    });
    const db = new pg.Client({ connectionString: h.url(deep) });
    await assert.rejects(
      db.connect(),
      (err: { code?: string; message: string }) =>
        err.code === '42501' &&
        err.message ===
          "the token's act claim makes a delegation chain of depth 3 (corp:alice → corp:a → corp:b → corp:c); identity.maxDelegationDepth is 2",
    );
    // The API refuses it the same way (problem+json, 403).
    const api = h.server.addresses.api;
    const me = await fetch(`http://${api.host}:${api.port}/api/v1/whoami`, {
      headers: { authorization: `Bearer ${deep}` },
    });
    assert.equal(me.status, 403);
    const problem = (await me.json()) as { code: string; title: string };
    assert.equal(problem.code, 'ERR_DELEGATION_DENIED');
    assert.match(problem.title, /maxDelegationDepth is 2/);
    // At the limit the chain works, and the session names it.
    const ok = await corp.token('planner', {
      claims: { sub: 'alice', groups: ['agents'], act: { sub: 'b', act: { sub: 'a' } } },
    });
    const fine = new pg.Client({ connectionString: h.url(ok) });
    await fine.connect();
    assert.equal((await fine.query('select 1 as one')).rows[0].one, 1);
    await fine.end();
    await h.server.flushAudit();
    const refused = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'session.start', '--json'])).stdout,
    ) as { outcome: string; error?: { code: string } }[];
    assert.ok(refused.some((e) => e.outcome === 'failure' && e.error?.code === 'ERR_DELEGATION_DENIED'));
  });

  test('a JWT works as the API bearer with roles from its groups', async () => {
    const jwt = await partner.token('etl');
    const api = h.server.addresses.api;
    const me = await fetch(`http://${api.host}:${api.port}/api/v1/whoami`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    assert.equal(me.status, 200);
    const body = (await me.json()) as { subject: string; roles: string[] };
    assert.equal(body.subject, 'partner:etl');
    assert.deepEqual(body.roles, ['admin']);
  });
});
