/**
 * Delegation chains end to end on a real PostgreSQL: a person's token → an orchestrator delegate →
 * a subagent delegate, each through `airlock delegate` (API and local paths), each narrowing the
 * last; token exchange in the RFC 8693 shape; revocation cascading to live sessions; audit search on
 * behalf of the person; and OIDC tokens whose nested `act` claim yields the same chain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { AuditRecord } from '../../src/audit/events.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';
import { startOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.js';

/** The last non-empty line: where `airlock delegate` prints the token. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    client.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('delegation chains', () => {
  let h: AirlockHarness;
  let corp: TestOidcProvider;
  let alice: string;
  let api: string;

  before(async () => {
    corp = await startOidcProvider({
      audience: 'airlock',
      clients: [{ clientId: 'alice-laptop', secret: 'laptop-secret', extraClaims: { groups: ['agents'] } }],
    });
    h = await startAirlock({
      extraYaml: `identity:
  maxDelegationDepth: 2
  oidc:
    - { name: corp, issuer: ${corp.issuer}, audience: airlock, kind: human }`,
    });
    alice = await h.server.createToken({ name: 'alice', groups: ['agents'], kind: 'human', ttlMs: 3600_000 });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    await h.cluster.psql('create table notes (id int, body text); alter table notes owner to app', 'app');
  });
  after(async () => {
    await h?.stop();
    await corp?.stop();
  });

  /** Delegates from `parent` through the API (`--server`) or on the store (`--config`). */
  async function delegate(
    parent: string,
    name: string,
    scopes: string[],
    extra: string[] = [],
    remote = true,
  ) {
    const argv = [
      ...(remote ? ['--server', api] : []),
      'delegate',
      '--token',
      parent,
      '--name',
      name,
      ...scopes.flatMap((s) => ['--scope', s]),
      ...extra,
    ];
    return h.cli(argv);
  }

  test('person → orchestrator → subagent: rights only shrink, the subagent cannot write', async () => {
    const planner = await delegate(alice, 'planner', ['appdb:write'], ['--ttl', '30m']);
    assert.equal(planner.code, 0, planner.stderr);
    const plannerToken = lastLine(planner.stdout);
    assert.match(plannerToken, /^alk_/);
    // The subagent asks for 2h; its parent has 30m left: the child's expiry is capped to the parent's.
    const sub = await delegate(plannerToken, 'sql-subagent', ['appdb:read'], ['--ttl', '2h'], false);
    assert.equal(sub.code, 0, sub.stderr);
    const subToken = lastLine(sub.stdout);

    const list = JSON.parse((await h.cli(['token', 'list', '--json'])).stdout) as {
      name: string;
      expiresAt: string;
      rootSubject: string | null;
      depth: number;
      scope: string[] | null;
    }[];
    const p = list.find((t) => t.name === 'planner');
    const s = list.find((t) => t.name === 'sql-subagent');
    assert.ok(p && s);
    assert.equal(s.expiresAt <= p.expiresAt, true, `child ${s.expiresAt} outlives parent ${p.expiresAt}`);
    assert.deepEqual([s.rootSubject, s.depth, s.scope], ['alice', 2, ['appdb:read']]);

    const orchestrator = new pg.Client({ connectionString: h.url(plannerToken) });
    await orchestrator.connect();
    await orchestrator.query("insert into notes values (1, 'by planner')");
    await orchestrator.end();

    const subagent = new pg.Client({ connectionString: h.url(subToken) });
    await subagent.connect();
    assert.equal((await subagent.query('select count(*)::int as n from notes')).rows[0].n, 1);
    await assert.rejects(subagent.query("insert into notes values (2, 'by subagent')"), (err: Error) =>
      /scope read: sql\.insert is outside your read access/.test(err.message),
    );
    await subagent.end();

    // Scope names a connection: none on `nowhere`, so the session is refused at open.
    await assert.rejects(
      new pg.Client({ connectionString: h.url(subToken, 'nowhere') }).connect(),
      (err: Error) => /has no scope on connection "nowhere"/.test(err.message),
    );
  });

  test('a delegate cannot widen its scope or pass identity.maxDelegationDepth; names are unique', async () => {
    const reader = lastLine((await delegate(alice, 'reader', ['appdb:read'])).stdout);
    const wider = await delegate(reader, 'writer', ['appdb:write']);
    assert.notEqual(wider.code, 0);
    assert.match(wider.stderr, /wider than the parent's/);
    const second = lastLine((await delegate(reader, 'reader-child', ['appdb:sql.select'])).stdout);
    const third = await delegate(second, 'too-deep', ['appdb:sql.select']);
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /depth 3; identity\.maxDelegationDepth is 2/);
    const twin = await delegate(alice, 'reader', ['appdb:read']);
    assert.notEqual(twin.code, 0);
    assert.match(twin.stderr, /already exists/);
    // A delegate is software: no chain can mint a "human" that kind-based policies would trust.
    const human = await delegate(alice, 'fake-human', ['appdb:read'], ['--kind', 'human']);
    assert.notEqual(human.code, 0);
    assert.match(human.stderr, /never a human/);
  });

  test('POST /api/v1/token/exchange speaks RFC 8693 with OAuth errors', async () => {
    const post = (form: Record<string, string>) =>
      fetch(`${api}/api/v1/token/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const base = {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    };
    const wrongGrant = await post({ ...base, grant_type: 'password', subject_token: alice });
    assert.equal(wrongGrant.status, 400);
    assert.equal(((await wrongGrant.json()) as { error: string }).error, 'unsupported_grant_type');
    const badSubject = await post({ ...base, subject_token: 'alk_AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBB' });
    assert.equal(badSubject.status, 401);
    assert.equal(((await badSubject.json()) as { error: string }).error, 'invalid_grant');
    const badTarget = await post({
      ...base,
      subject_token: alice,
      actor_name: 'x1',
      audience: 'missing',
      scope: 'read',
    });
    assert.equal(((await badTarget.json()) as { error: string }).error, 'invalid_target');

    const ok = await post({
      ...base,
      subject_token: alice,
      actor_name: 'reporter',
      audience: 'appdb',
      scope: 'read',
      requested_lifetime: '600',
    });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as {
      access_token: string;
      issued_token_type: string;
      expires_in: number;
      scope: string;
    };
    assert.equal(body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(body.scope, 'appdb:read');
    assert.ok(body.expires_in > 0 && body.expires_in <= 600);
    const db = new pg.Client({ connectionString: h.url(body.access_token) });
    await db.connect();
    await db.query('select 1');
    await db.end();
  });

  test("revoking the orchestrator ends the subagent's live session within 1 s", async () => {
    const orchestrator = lastLine((await delegate(alice, 'orchestrator-2', ['appdb:write'])).stdout);
    const sub = lastLine((await delegate(orchestrator, 'subagent-2', ['appdb:read'])).stdout);
    const live = new pg.Client({ connectionString: h.url(sub) });
    await live.connect();
    await live.query('select 1');
    const ending = ended(live, 1500);
    const started = Date.now();
    const revoked = await h.cli(['token', 'revoke', 'orchestrator-2']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const err = await ending;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `ended after ${elapsed} ms`);
    assert.match(err.message, /revoked/);
    await live.end().catch(() => {});
    await assert.rejects(new pg.Client({ connectionString: h.url(sub) }).connect(), (e: Error) =>
      /revoked/.test(e.message),
    );
    console.log(`# revoke → subagent session ended in ${elapsed} ms`);
  });

  test("audit search --on-behalf-of the person finds the subagent's statements with the whole chain", async () => {
    await h.server.flushAudit();
    const found = await h.cli(['audit', 'search', '--on-behalf-of', 'alice', '--type', 'command', '--json']);
    assert.equal(found.code, 0, found.stderr);
    const events = JSON.parse(found.stdout) as (AuditRecord & { type: 'command' })[];
    const bySub = events.filter((e) => e.identity?.subject === 'sql-subagent');
    assert.ok(bySub.length >= 2, "the subagent's select and refused insert");
    assert.deepEqual(
      bySub[0]?.identity?.chain.map((a) => `${a.subject} (${a.kind})`),
      ['alice (human)', 'planner (agent)'],
    );
    const refused = bySub.find((e) => e.decision === 'deny');
    assert.equal(refused?.error?.code, 'ERR_SCOPE_DENIED');
    for (const e of bySub) {
      const chain = [...(e.identity?.chain ?? []).map((a) => a.subject), e.identity?.subject].join(' → ');
      console.log(`# ${e.time} ${chain} ${e.decision} ${e.action}: ${e.text}`);
    }
    const delegated = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'token.delegated', '--json'])).stdout,
    ) as { name: string; chain: { subject: string }[] }[];
    assert.deepEqual(
      delegated.find((e) => e.name === 'sql-subagent')?.chain.map((a) => a.subject),
      ['alice', 'planner'],
    );
  });

  test('an OIDC token with a nested act claim yields the same chain', async () => {
    // RFC 8693 4.1: sub is the person, act the party acting now, act.act the one before it.
    const jwt = await corp.token('alice-laptop', {
      claims: { sub: 'alice', act: { sub: 'sql-agent', act: { sub: 'planner-agent' } } },
    });
    const db = new pg.Client({ connectionString: h.url(jwt) });
    await db.connect();
    await db.query('select 1');
    await db.end();
    await h.server.flushAudit();
    const found = JSON.parse(
      (await h.cli(['audit', 'search', '--on-behalf-of', 'corp:alice', '--type', 'session.start', '--json']))
        .stdout,
    ) as AuditRecord[];
    const start = found.find((e) => e.type === 'session.start' && e.identity?.subject === 'corp:sql-agent');
    assert.ok(start && start.type === 'session.start');
    assert.deepEqual(
      start.identity?.chain.map((a) => `${a.subject} (${a.kind})`),
      ['corp:alice (human)', 'corp:planner-agent (agent)'],
    );

    // The same person's plain OIDC token exchanged for a short Airlock token acts as the person.
    const plain = await corp.token('alice-laptop', { claims: { sub: 'alice' } });
    const exchanged = await h.cli([
      '--server',
      api,
      'delegate',
      '--token',
      plain,
      '--name',
      'laptop-agent',
      '--scope',
      'appdb:read',
    ]);
    assert.equal(exchanged.code, 0, exchanged.stderr);
    const agentDb = new pg.Client({ connectionString: h.url(lastLine(exchanged.stdout)) });
    await agentDb.connect();
    await agentDb.query('select 1');
    await agentDb.end();
  });
});
