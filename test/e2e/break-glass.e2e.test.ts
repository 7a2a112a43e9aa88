/**
 * Break-glass end to end, through the REST API (`--server`) as the caller's token, with psql
 * through Airlock to a real PostgreSQL: a member of the connection's `breakGlass:` list gets access
 * at once (no grant before, a stale review, yet the statement runs unheld), every notification
 * target hears of it (also one whose `groups` would not serve the request), the `break-glass`
 * audit event and a follow-up `review` request due within 24 h exist; a non-member is refused
 * (and that is audited too); denying the follow-up revokes the access.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';
import { type Receiver, startReceiver } from './notification-receivers.js';

const SECRET = 'e2e-break-glass-secret';
const SECRET_ENV = 'AIRLOCK_E2E_BREAK_GLASS_SECRET';

interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('break-glass', () => {
  let h: AirlockHarness;
  let hook: Receiver;
  let slack: Receiver;
  let server: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    hook = await startReceiver({ secret: SECRET });
    slack = await startReceiver({});
    process.env[SECRET_ENV] = SECRET;
    h = await startAirlock({
      upstreamPortPlaceholder: 'PORT',
      extraYaml: `notifications:
  - { name: approvers-hook, type: webhook, url: ${hook.url}/hook, secret: { env: ${SECRET_ENV} }, groups: [group:dba] }
  - { name: slack-elsewhere, type: slack, url: ${slack.url}/services/x, groups: [group:finance] }
`,
      extraConnections: appConnection(
        'critical',
        `    access: [group:agents]
    breakGlass: [group:oncall]
    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 2s
`,
      ),
    });
    await h.cluster.psql('create table incidents (id int); insert into incidents values (9)', 'app');
    await h.cluster.psql('alter table incidents owner to app', 'app');
    tokens.olivia = await h.server.createToken({ name: 'olivia', groups: ['oncall'], kind: 'human' });
    tokens.nick = await h.server.createToken({ name: 'nick', groups: ['dev'], kind: 'human' });
    tokens.dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
    const { host, port } = h.server.addresses.api;
    server = `http://${host}:${port}`;
  });
  after(async () => {
    await h?.stop();
    await hook?.close();
    await slack?.close();
    delete process.env[SECRET_ENV];
  });

  function psql(token: string, sql: string): Promise<PsqlResult> {
    const addr = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          sql,
          `host=${addr.host} port=${addr.port} dbname=critical user=x sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  function breakGlass(token: string, reason: string) {
    return h.cli([
      'approvals',
      'break-glass',
      '--connection',
      'critical',
      '--reason',
      reason,
      '--ttl',
      '30m',
      '--json',
      '--server',
      server,
      '--token',
      token,
    ]);
  }

  test('a member opens access at once; audited, every target told, a follow-up review due within 24 h; denying it ends the access', async () => {
    const before = await psql(tokens.olivia!, 'select id from incidents');
    assert.notEqual(before.code, 0, 'no access before break-glass');

    const started = Date.now();
    const opened = await breakGlass(tokens.olivia!, 'incident 9: orders stuck');
    assert.equal(opened.code, 0, opened.stderr);
    const view = JSON.parse(opened.stdout) as {
      grant: { id: string; source: string; principal: string; scope: string; expiresAt: string };
      request: {
        id: number;
        kind: string;
        status: string;
        expiresAt: string;
        requester: { subject: string };
      };
      expiresAt: string;
    };
    assert.equal(view.grant.source, 'break-glass');
    assert.equal(view.grant.principal, 'user:olivia');
    assert.equal(view.grant.scope, 'admin');
    const ttl = Date.parse(view.expiresAt) - started;
    assert.ok(ttl > 29 * 60_000 && ttl <= 31 * 60_000, `ttl ${ttl}`);
    assert.equal(view.request.kind, 'review');
    assert.equal(view.request.status, 'pending');
    const due = Date.parse(view.request.expiresAt) - started;
    assert.ok(due > 23.9 * 3600_000 && due <= 24.1 * 3600_000, `follow-up due in ${due} ms`);

    // At once: the stale review does not hold (the reviewers are the break-glass itself).
    const t0 = Date.now();
    const run = await psql(tokens.olivia!, 'select id from incidents');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), '9');
    assert.doesNotMatch(run.stderr, /access review required/);
    assert.ok(Date.now() - t0 < 5000);

    // Every target, including the one whose groups would not serve this connection's approvers.
    for (const receiver of [hook, slack]) {
      const told = await receiver.waitFor((r) =>
        receiver === hook ? r.json.event === 'break-glass' : String(r.json.text).startsWith('BREAK-GLASS'),
      );
      assert.match(told.body, new RegExp(`airlock approvals approve ${view.request.id}`));
      assert.match(told.body, /incident 9: orders stuck/);
    }
    assert.equal(hook.refused.length, 0);

    await h.server.flushAudit();
    const audit = await h.cli(['audit', 'search', '--type', 'break-glass', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    const events = JSON.parse(audit.stdout) as {
      actor: { subject: string };
      outcome: string;
      grantId?: string;
      request?: number;
    }[];
    const success = events.find((e) => e.outcome === 'success');
    assert.ok(success, audit.stdout);
    assert.equal(success.actor.subject, 'olivia');
    assert.equal(success.grantId, view.grant.id);
    assert.equal(success.request, view.request.id);
    assert.ok(
      h.logs.some((l) => l.includes('BREAK-GLASS') && l.includes('"level":40')),
      'a WARN log line',
    );

    // The approvers must certify afterwards: denying the follow-up revokes the access.
    const denied = await h.cli([
      'approvals',
      'deny',
      String(view.request.id),
      '--reason',
      'not an emergency',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(denied.code, 0, denied.stderr);
    const grants = await h.cli(['grant', 'list', '--all', '--json']);
    const grant = (JSON.parse(grants.stdout) as { id: string; revokedBy: string | null }[]).find(
      (g) => g.id === view.grant.id,
    );
    assert.equal(grant?.revokedBy, 'dana');
    const afterDeny = await psql(tokens.olivia!, 'select 1');
    assert.notEqual(afterDeny.code, 0, 'access ended with the denied follow-up');
  });

  test('a non-member is refused, and the refusal is audited', async () => {
    const refused = await breakGlass(tokens.nick!, 'just curious');
    assert.equal(refused.code, 3, refused.stdout);
    assert.match(refused.stderr, /not in the breakGlass list of "critical"/);
    const run = await psql(tokens.nick!, 'select 1');
    assert.notEqual(run.code, 0);
    await h.server.flushAudit();
    const audit = await h.cli(['audit', 'search', '--type', 'break-glass', '--json']);
    const failure = (
      JSON.parse(audit.stdout) as { actor: { subject: string }; outcome: string; error?: { code: string } }[]
    ).find((e) => e.actor.subject === 'nick');
    assert.equal(failure?.outcome, 'failure');
    assert.equal(failure?.error?.code, 'ERR_BREAK_GLASS_NOT_ALLOWED');
  });
});
