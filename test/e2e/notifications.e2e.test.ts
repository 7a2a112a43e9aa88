/**
 * Notifications, auto-approve and approval metrics end to end, with psql through Airlock to a real
 * PostgreSQL and two local receivers: a webhook receiver that verifies the HMAC signature itself
 * (serving group:dba) and a Slack-format receiver (serving group:sre, the fallback step). A held
 * session's request reaches the dba webhook with the approve command; the fallback escalation
 * reaches only the sre target (after a refused first attempt, so retries are exercised); an
 * `autoApprove` Cedar file lets a read on a connection tagged env=staging through without an
 * approver; /metrics shows the held statement and the approval latency.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';
import { type Receiver, startReceiver } from './notification-receivers.js';

const SECRET = 'e2e-notification-secret';
const SECRET_ENV = 'AIRLOCK_E2E_NOTIFY_SECRET';

const STAGING_READS = `// Reads on staging connections need no approver.
@id("staging-reads")
permit (principal, action == Airlock::Action::"scope.read", resource)
when { resource.hasTag("env") && resource.getTag("env") == "staging" };
`;

interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('notifications, auto-approve and approval metrics', () => {
  let h: AirlockHarness;
  let hook: Receiver;
  let slack: Receiver;
  let policyDir: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    hook = await startReceiver({ secret: SECRET });
    slack = await startReceiver({});
    policyDir = mkdtempSync(join(tmpdir(), 'airlock-autoapprove-'));
    const policyFile = join(policyDir, 'staging-reads.cedar');
    writeFileSync(policyFile, STAGING_READS);
    process.env[SECRET_ENV] = SECRET;
    const reviews = (extra = '') => `    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 6s
      fallback:
        - { after: 1s, approvers: [group:sre] }
${extra}`;
    h = await startAirlock({
      upstreamPortPlaceholder: 'PORT',
      extraYaml: `notifications:
  - { name: approvers-hook, type: webhook, url: ${hook.url}/hook, secret: { env: ${SECRET_ENV} }, groups: [group:dba] }
  - { name: slack-sre, type: slack, url: ${slack.url}/services/T0/B0/x, groups: [group:sre] }
`,
      extraConnections: [
        appConnection('reviewed', `    access: [group:agents]\n${reviews()}`),
        appConnection(
          'staging',
          `    tags: { env: staging }\n    access: [group:agents, { who: group:readers, scope: read }]\n${reviews(`      autoApprove: [${policyFile}]\n`)}`,
        ),
      ].join(''),
    });
    await h.cluster.psql('create table items (id int primary key); insert into items values (1), (2)', 'app');
    await h.cluster.psql('alter table items owner to app', 'app');
    tokens.dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
    tokens.agent = await h.server.createToken({ name: 'notify-bot', groups: ['agents'], kind: 'agent' });
    tokens.reader = await h.server.createToken({ name: 'stage-reader', groups: ['readers'], kind: 'agent' });
  });
  after(async () => {
    await h?.stop();
    await hook?.close();
    await slack?.close();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
    delete process.env[SECRET_ENV];
  });

  function psql(token: string, db: string, sql: string): Promise<PsqlResult> {
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
          `host=${addr.host} port=${addr.port} dbname=${db} user=x sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function metrics(): Promise<string> {
    const { host, port } = h.server.addresses.api;
    return (await fetch(`http://${host}:${port}/metrics`)).text();
  }

  function metricValue(text: string, name: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(' ').at(-1)) : Number.NaN;
  }

  test('a held session notifies the dba webhook (signed, with the approve command), escalates to the sre Slack target, and moves the metrics', async () => {
    slack.failNext(1); // the escalation's first attempt fails: delivered by the retry
    const running = psql(tokens.agent!, 'reviewed', 'select count(*) from items');
    const requested = await hook.waitFor((r) => r.json.event === 'approval.requested');
    const request = requested.json.request as Record<string, unknown>;
    const id = request.id as number;
    assert.equal(requested.path, '/hook');
    assert.match(String(requested.headers['x-airlock-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(requested.json.approveCommand, `airlock approvals approve ${id}`);
    assert.equal(request.kind, 'review');
    assert.equal(request.connection, 'reviewed');
    assert.equal(request.scope, 'admin');
    assert.deepEqual(request.requester, { subject: 'notify-bot', kind: 'agent', chain: [] });
    assert.match(String(request.evidenceSummary), /sessions in 30 days/);
    assert.deepEqual(requested.json.approvers, ['group:dba']);
    // The Slack target serves group:sre only: it hears of the request when the fallback step asks sre.
    assert.equal(
      slack.received.filter((r) => r.json.text && String(r.json.text).includes(`request ${id}:`)).length,
      0,
    );

    const held = await metrics();
    assert.equal(metricValue(held, 'airlock_held_requests'), 1, held);

    const escalated = await slack.waitFor((r) => String(r.json.text).includes(`request ${id} escalated`));
    assert.ok(
      slack.refused.some((r) => r.status === 503),
      'the first attempt was refused and retried',
    );
    const blocks = JSON.stringify(escalated.json.blocks);
    assert.match(blocks, new RegExp(`airlock approvals approve ${id}`));
    assert.match(blocks, /notify-bot \(agent\)/);
    assert.match(blocks, /\*Connection:\* reviewed/);
    assert.match(blocks, /access review, scope admin/);
    assert.match(String(escalated.json.text), /group:sre/);
    // The dba webhook was not told again: the step added sre only.
    assert.equal(hook.received.filter((r) => r.json.event === 'approval.escalated').length, 0);
    assert.equal(hook.refused.length, 0, 'every webhook signature verified');

    const approved = await h.cli([
      'approvals',
      'approve',
      String(id),
      '--reason',
      'ok',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(approved.code, 0, approved.stderr);
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '2');

    const after = await metrics();
    assert.equal(metricValue(after, 'airlock_held_requests'), 0);
    assert.equal(metricValue(after, 'airlock_approval_latency_seconds_count'), 1, after);
    const seconds = metricValue(after, 'airlock_approval_latency_seconds_sum');
    assert.ok(seconds > 1 && seconds < 10, `waited ${seconds} s (held past the 1 s fallback step)`);
  });

  test('autoApprove: a read on a staging connection runs without an approver; wider access is still held', async () => {
    const before = hook.received.length;
    const read = await psql(tokens.reader!, 'staging', 'select count(*) from items');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout.trim(), '2');
    assert.doesNotMatch(read.stderr, /access review required/);

    const listed = await h.cli([
      'approvals',
      'list',
      '--status',
      'approved',
      '--json',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const auto = (
      JSON.parse(listed.stdout) as {
        connection: string;
        requester: { subject: string };
        approvals: { approver: string }[];
      }[]
    ).find((r) => r.connection === 'staging' && r.requester.subject === 'stage-reader');
    assert.ok(auto, listed.stdout);
    assert.deepEqual(
      auto.approvals.map((a) => a.approver),
      ['policy:staging-reads.cedar'],
    );
    await h.server.flushAudit();
    const audit = await h.cli([
      'audit',
      'search',
      '--type',
      'certification.recorded',
      '--connection',
      'staging',
      '--json',
    ]);
    assert.equal(audit.code, 0, audit.stderr);
    const certs = JSON.parse(audit.stdout) as { rootSubject: string; reviewers: string[] }[];
    assert.ok(
      certs.some(
        (c) => c.rootSubject === 'stage-reader' && c.reviewers.includes('policy:staging-reads.cedar'),
      ),
      audit.stdout,
    );

    // The agents' admin scope is not a read: held, and the approvers are told (a request for it, not the read).
    const wide = psql(tokens.agent!, 'staging', 'select 1');
    const notified = await hook.waitFor(
      (r) =>
        r.json.event === 'approval.requested' &&
        (r.json.request as { connection: string }).connection === 'staging',
    );
    assert.equal(
      (notified.json.request as { requester: { subject: string } }).requester.subject,
      'notify-bot',
    );
    assert.equal(
      hook.received
        .slice(before)
        .filter(
          (r) => (r.json.request as { requester: { subject: string } }).requester.subject === 'stage-reader',
        ).length,
      0,
      'an auto-approved request notifies nobody',
    );
    const id = (notified.json.request as { id: number }).id;
    const denied = await h.cli([
      'approvals',
      'deny',
      String(id),
      '--reason',
      'not now',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(denied.code, 0, denied.stderr);
    const refused = await wide;
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /denied: not now/);
  });
});
