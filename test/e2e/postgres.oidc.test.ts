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
