/**
 * What delegated tokens may do on the REST API, end to end with a running server and psql-grade
 * clients (node-postgres) through Airlock to a real PostgreSQL. A delegate (an agent alice started,
 * `airlock delegate`) and a scoped exchanged token (alice's own token exchanged for a narrower one)
 * may use connections, exchange for narrower tokens, read their own sessions and requests, wait on
 * them and ask for just-in-time access; every approving or administrative operation answers 403
 * problem+json (ERR_DELEGATE_FORBIDDEN) saying what to do instead, even though alice herself is an
 * admin, an approver and on the break-glass list. A delegate's JIT request is granted to its root
 * (the delegate's own scope still limits it), and nobody in the chain can approve it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Problem } from '../../src/api/problem.js';
import type { CampaignView } from '../../src/reviews/campaigns.js';
import type { ApprovalRequestView, GrantView } from '../../src/reviews/types.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

interface Answer<T = unknown> {
  readonly status: number;
  readonly type: string;
  readonly body: T;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

describe('delegated tokens on the API', () => {
  let h: AirlockHarness;
  let api: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    h = await startAirlock({
      upstreamPortPlaceholder: 'PORT',
      extraConnections: [
        // Nobody has standing access: what a JIT request is for.
        appConnection('jitdb', '    access: []\n'),
        appConnection(
          'critical',
          '    access: [group:agents]\n    breakGlass: [group:oncall]\n    reviews: { maxAge: 30d, approvers: [group:platform], wait: 2s }\n',
        ),
      ].join(''),
    });
    await h.cluster.psql('create table notes (id int, body text); alter table notes owner to app', 'app');
    await h.cluster.psql("insert into notes values (1, 'one')", 'app');
    // alice is everything a delegate must not inherit on the API: admin, approver, break-glass.
    tokens.alice = await h.server.createToken({
      name: 'alice',
      groups: ['platform', 'agents', 'oncall'],
      kind: 'human',
      ttlMs: 3600_000,
    });
    tokens.pat = await h.server.createToken({ name: 'pat', groups: ['platform'], kind: 'human' });
    tokens.bot = await h.server.createToken({ name: 'bot', groups: [], kind: 'agent' });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    tokens.planner = (
      await exchange(tokens.alice, {
        actor_name: 'planner',
        scope: 'appdb:read jitdb:read critical:read',
      })
    ).access_token;
    // No actor: acts as alice herself, but narrowed to a scope.
    tokens.scoped = (await exchange(tokens.alice, { scope: 'appdb:read' })).access_token;
  });
  after(async () => {
    await h?.stop();
  });

  async function exchange(
    subject: string,
    fields: Record<string, string>,
  ): Promise<{ access_token: string; airlock_token_name: string }> {
    const response = await fetch(`${api}/api/v1/token/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN,
        ...fields,
      }),
    });
    const body = (await response.json()) as { access_token: string; airlock_token_name: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body;
  }

  async function call<T = unknown>(token: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : undefined) as T,
    } satisfies Answer<T>;
  }

  /** Asserts the 403 problem+json a delegated token gets, with `message` in its title. */
  function assertRefused(answer: Answer, message: RegExp, what: string): void {
    const problem = answer.body as Problem;
    assert.equal(answer.status, 403, `${what}: ${JSON.stringify(problem)}`);
    assert.match(answer.type, /^application\/problem\+json/, what);
    assert.equal(problem.code, 'ERR_DELEGATE_FORBIDDEN', what);
    assert.match(problem.title, message, what);
  }

  // The scoped token first: alice's own rights, only narrowed, so nothing else would stop it.
  const DELEGATED = ['scoped', 'planner'] as const;

  /** A pending JIT request on jitdb made by bot (nobody in the chain of planner or alice). */
  async function pendingRequest(): Promise<ApprovalRequestView> {
    const made = await call<ApprovalRequestView>(tokens.bot!, 'POST', '/api/v1/approvals', {
      connection: 'jitdb',
      scope: 'read',
      reason: 'bot needs notes',
      ttlMs: 600_000,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body;
  }

  test('approving and denying: refused for delegated tokens, alice herself may', async () => {
    const request = await pendingRequest();
    for (const who of DELEGATED) {
      for (const decision of ['approve', 'deny'] as const) {
        const answer = await call(tokens[who]!, 'POST', `/api/v1/approvals/${request.id}/${decision}`, {
          reason: 'from a delegate',
        });
        assertRefused(
          answer,
          /delegated tokens cannot approve or deny.*ask a human approver/,
          `${who} ${decision}`,
        );
      }
    }
    const still = await call<ApprovalRequestView>(tokens.alice!, 'GET', `/api/v1/approvals/${request.id}`);
    assert.equal(still.body.status, 'pending');
    assert.deepEqual(still.body.approvals, []);
    // The same person with her own token is an approver (group:platform = admins): the refusal is
    // about the token, not about alice.
    const approved = await call<ApprovalRequestView>(
      tokens.alice!,
      'POST',
      `/api/v1/approvals/${request.id}/approve`,
      { reason: 'ok' },
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.status, 'approved');

    // The CLI through the API says the same, with the exit status of a refusal.
    const viaCli = await h.cli([
      '--server',
      api,
      'approvals',
      'deny',
      String((await pendingRequest()).id),
      '--reason',
      'no',
      '--token',
      tokens.planner!,
    ]);
    assert.equal(viaCli.code, 3, viaCli.stderr);
    assert.match(viaCli.stderr, /delegated tokens cannot approve or deny/);
    // And on the store (--config) with the delegate's token: the same refusal.
    const local = await h.cli([
      'approvals',
      'approve',
      String((await pendingRequest()).id),
      '--token',
      tokens.scoped!,
    ]);
    assert.equal(local.code, 3, local.stderr);
    assert.match(local.stderr, /scoped exchange of "alice": delegated tokens cannot approve or deny/);
  });

  test('break-glass: refused for delegated tokens, even acting as a break-glass member', async () => {
    for (const who of DELEGATED) {
      const answer = await call(tokens[who]!, 'POST', '/api/v1/approvals/break-glass', {
        connection: 'critical',
        reason: 'agent says it is urgent',
      });
      assertRefused(answer, /delegated tokens cannot use break-glass/, who);
    }
    const grants = await call<GrantView[]>(tokens.alice!, 'GET', '/api/v1/grants?connection=critical');
    assert.deepEqual(
      grants.body.filter((g) => g.source === 'break-glass'),
      [],
      'no break-glass grant was opened',
    );
  });

  test('grants: creating, revoking and listing are refused; alice herself may', async () => {
    const created = await call<GrantView>(tokens.alice!, 'POST', '/api/v1/grants', {
      connection: 'appdb',
      principal: 'user:bot',
      scope: 'read',
      reason: 'control',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const who of DELEGATED) {
      assertRefused(
        await call(tokens[who]!, 'POST', '/api/v1/grants', {
          connection: 'jitdb',
          principal: 'user:alice',
          scope: 'admin',
          reason: 'self-service',
        }),
        /delegated tokens cannot manage grants.*airlock request/,
        `${who} create`,
      );
      assertRefused(
        await call(tokens[who]!, 'POST', `/api/v1/grants/${created.body.id}/revoke`),
        /delegated tokens cannot manage grants/,
        `${who} revoke`,
      );
      assertRefused(
        await call(tokens[who]!, 'GET', '/api/v1/grants'),
        /delegated tokens cannot manage grants/,
        `${who} list`,
      );
    }
    const listed = await call<GrantView[]>(tokens.alice!, 'GET', '/api/v1/grants?connection=jitdb');
    assert.equal(
      listed.body.some((g) => g.principal === 'user:alice' && g.scope === 'admin'),
      false,
    );
  });

  test('campaigns and suspensions: refused, items stay undecided', async () => {
    const grant = await call<GrantView>(tokens.alice!, 'POST', '/api/v1/grants', {
      connection: 'critical',
      principal: 'user:bot',
      scope: 'write',
      reason: 'for the campaign',
    });
    assert.equal(grant.status, 201);
    const campaign = await call<CampaignView>(tokens.alice!, 'POST', '/api/v1/reviews/campaigns', {
      connections: ['critical'],
      reviewers: ['group:platform'],
      dueMs: 86_400_000,
    });
    assert.equal(campaign.status, 201, JSON.stringify(campaign.body));
    const item = campaign.body.items?.find((i) => i.subject === 'bot');
    assert.ok(item, JSON.stringify(campaign.body.items));
    for (const who of DELEGATED) {
      assertRefused(
        await call(tokens[who]!, 'POST', `/api/v1/reviews/items/${item.id}/decide`, {
          decision: 'revoke',
          reason: 'agent cleanup',
        }),
        /delegated tokens cannot take part in access reviews/,
        `${who} decide`,
      );
      assertRefused(
        await call(tokens[who]!, 'POST', '/api/v1/reviews/campaigns', {
          connections: ['appdb'],
          reviewers: ['group:platform'],
          dueMs: 86_400_000,
        }),
        /delegated tokens cannot take part in access reviews/,
        `${who} create`,
      );
      assertRefused(
        await call(tokens[who]!, 'POST', '/api/v1/reviews/suspensions/restore', {
          connection: 'appdb',
          subject: 'bot',
          reason: 'x',
        }),
        /delegated tokens cannot take part in access reviews/,
        `${who} restore`,
      );
    }
    const shown = await call<CampaignView>(
      tokens.alice!,
      'GET',
      `/api/v1/reviews/campaigns/${campaign.body.id}`,
    );
    assert.equal(shown.body.items?.find((i) => i.id === item.id)?.status, 'pending');
  });

  test('tokens, config reload, locks, session termination and audit: refused', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      [
        'POST',
        '/api/v1/tokens',
        { name: 'minted', groups: ['platform'], kind: 'human' },
        /cannot create, list or revoke tokens.*airlock delegate/,
      ],
      ['GET', '/api/v1/tokens', undefined, /cannot create, list or revoke tokens/],
      ['POST', '/api/v1/tokens/pat/revoke', undefined, /cannot create, list or revoke tokens/],
      ['POST', '/api/v1/config/reload', undefined, /cannot reload the configuration/],
      [
        'POST',
        '/api/v1/locks',
        { targetKind: 'identity', target: 'pat', reason: 'x' },
        /cannot lock or end sessions/,
      ],
      ['GET', '/api/v1/locks', undefined, /cannot lock or end sessions/],
      ['POST', '/api/v1/sessions/abc/terminate', {}, /cannot lock or end sessions/],
      ['GET', '/api/v1/audit/events', undefined, /cannot search or verify the audit trail/],
      ['GET', '/api/v1/audit/verify', undefined, /cannot search or verify the audit trail/],
    ];
    for (const who of DELEGATED) {
      for (const [method, path, body, message] of cases) {
        assertRefused(await call(tokens[who]!, method, path, body), message, `${who} ${method} ${path}`);
      }
    }
    // Nothing happened: no token minted, pat's token still works.
    const listed = await call<{ name: string }[]>(tokens.alice!, 'GET', '/api/v1/tokens');
    assert.equal(
      listed.body.some((t) => t.name === 'minted'),
      false,
    );
    assert.equal((await call(tokens.pat!, 'GET', '/api/v1/whoami')).status, 200);
  });

  test('allowed: whoami (no roles), connections, own sessions, own requests, wait, narrowing exchange', async () => {
    for (const who of DELEGATED) {
      const me = await call<{ roles: string[] }>(tokens[who]!, 'GET', '/api/v1/whoami');
      assert.equal(me.status, 200);
      assert.deepEqual(me.body.roles, [], `${who} holds no admin role`);
    }
    // The root's access entries, only where the delegate's scope reaches (not `nowhere`).
    const usable = await call<{ name: string }[]>(tokens.planner!, 'GET', '/api/v1/connections');
    assert.equal(usable.status, 200);
    assert.deepEqual(usable.body.map((c) => c.name).sort(), ['appdb', 'critical']);
    // Data path first, then its own session is visible to it, and nobody else's.
    const c = new pg.Client({ connectionString: h.url(tokens.planner!) });
    await c.connect();
    assert.equal((await c.query('select count(*)::int as n from notes')).rows[0].n, 1);
    await c.end();
    await h.server.flushAudit();
    const sessions = await call<{ id: string; identity: { subject: string } }[]>(
      tokens.planner!,
      'GET',
      '/api/v1/sessions',
    );
    assert.equal(sessions.status, 200);
    assert.ok(sessions.body.length > 0);
    assert.ok(
      sessions.body.every((s) => s.identity.subject === 'planner'),
      JSON.stringify(sessions.body),
    );
    const one = await call(tokens.planner!, 'GET', `/api/v1/sessions/${sessions.body[0]!.id}`);
    assert.equal(one.status, 200);

    // The delegate's own request: create, show, wait (times out pending), list.
    const made = await call<ApprovalRequestView>(tokens.planner!, 'POST', '/api/v1/approvals', {
      connection: 'critical',
      scope: 'read',
      reason: 'report run',
      ttlMs: 600_000,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((await call(tokens.planner!, 'GET', `/api/v1/approvals/${made.body.id}`)).status, 200);
    const waited = await call<ApprovalRequestView>(
      tokens.planner!,
      'GET',
      `/api/v1/approvals/${made.body.id}/wait?timeoutMs=50`,
    );
    assert.equal(waited.status, 200);
    assert.equal(waited.body.status, 'pending');
    const mine = await call<ApprovalRequestView[]>(tokens.planner!, 'GET', '/api/v1/approvals');
    assert.ok(
      mine.body.every((r) => r.requester.subject === 'planner'),
      JSON.stringify(mine.body),
    );
    // Someone else's request stays hidden, even though alice (whose rights it narrows) approves.
    const other = await pendingRequest();
    assert.equal((await call(tokens.planner!, 'GET', `/api/v1/approvals/${other.id}`)).status, 404);

    // Further exchange narrows.
    const sub = await exchange(tokens.planner!, { actor_name: 'planner-sub', scope: 'appdb:read' });
    assert.equal(sub.airlock_token_name, 'planner-sub');
  });

  test("a delegate's JIT request: granted to its root, nobody in the chain approves, then the delegate's session works", async () => {
    const before = new pg.Client({ connectionString: h.url(tokens.planner!, 'jitdb') });
    await assert.rejects(before.connect(), /has no access to connection "jitdb"|no access/);

    // Wider than its own scope (jitdb:read): the grant could never serve it.
    const wider = await h.cli([
      '--server',
      api,
      'request',
      '--connection',
      'jitdb',
      '--scope',
      'write',
      '--reason',
      'load fixtures',
      '--token',
      tokens.planner!,
    ]);
    assert.notEqual(wider.code, 0);
    assert.match(wider.stderr, /wider than the delegated scope/);

    const requested = await h.cli([
      '--server',
      api,
      'request',
      '--connection',
      'jitdb',
      '--scope',
      'read',
      '--reason',
      'read notes for the report',
      '--ttl',
      '1h',
      '--token',
      tokens.planner!,
    ]);
    assert.equal(requested.code, 0, requested.stderr);
    const id = Number(requested.stdout.trim().split('\n').at(-1));
    assert.match(
      requested.stdout,
      /once approved the grant goes to user:alice \(planner acts for alice; its own scope still limits it\)/,
    );
    const shown = await call<ApprovalRequestView>(tokens.pat!, 'GET', `/api/v1/approvals/${id}`);
    assert.equal(shown.body.requester.subject, 'planner');
    assert.deepEqual(
      shown.body.requester.chain.map((a) => a.subject),
      ['alice'],
    );
    assert.equal(shown.body.grantTo, 'user:alice');
    // alice sees the request made on her behalf, but cannot decide it.
    assert.equal((await call(tokens.alice!, 'GET', `/api/v1/approvals/${id}`)).status, 200);
    const byAlice = await call<Problem>(tokens.alice!, 'POST', `/api/v1/approvals/${id}/approve`, {
      reason: 'mine',
    });
    assert.equal(byAlice.status, 403);
    assert.equal(byAlice.body.code, 'ERR_APPROVAL_SELF');
    assertRefused(
      await call(tokens.planner!, 'POST', `/api/v1/approvals/${id}/approve`, { reason: 'me' }),
      /delegated tokens cannot approve/,
      'planner approve',
    );

    const approved = await h.cli([
      '--server',
      api,
      'approvals',
      'approve',
      String(id),
      '--reason',
      'ok',
      '--token',
      tokens.pat!,
    ]);
    assert.equal(approved.code, 0, approved.stderr);
    const grants = await call<GrantView[]>(tokens.pat!, 'GET', '/api/v1/grants?connection=jitdb');
    const grant = grants.body.find((g) => g.request === id);
    assert.ok(grant, JSON.stringify(grants.body));
    assert.equal(grant.principal, 'user:alice');
    assert.equal(grant.source, 'jit');

    const c = new pg.Client({ connectionString: h.url(tokens.planner!, 'jitdb') });
    await c.connect();
    try {
      assert.equal((await c.query('select count(*)::int as n from notes')).rows[0].n, 1);
      await assert.rejects(c.query("insert into notes values (2, 'x')"), /outside your read access/);
    } finally {
      await c.end();
    }
  });
});
