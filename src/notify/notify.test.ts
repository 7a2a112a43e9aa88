import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { NotificationTarget } from '../core/config.js';
import type { ApprovalRequestView } from '../reviews/types.js';
import { createNotifications } from './index.js';
import { evidenceSummary, slackEscape, slackMessage, webhookBody } from './messages.js';

const REQUEST: ApprovalRequestView = {
  id: 42,
  kind: 'command',
  requester: {
    subject: 'planner',
    kind: 'agent',
    groups: ['agents'],
    issuer: 'airlock',
    chain: [{ subject: 'alice', kind: 'human' }],
  },
  rootSubject: 'alice',
  connection: 'orders',
  scope: 'write',
  action: 'sql.delete',
  statement: "delete from items where note = '<b>&'",
  paramsHash: 'ab',
  reason: 'cleanup <now>',
  evidence: {
    windowDays: 30,
    sessions: 3,
    recentSessions: [],
    statementsByAction: { 'sql.select': 5, 'sql.delete': 9 },
    tables: ['public.items'],
    lastUsedAt: '2026-03-01T09:00:00.000Z',
  },
  sessionId: 's1',
  ttlMs: null,
  status: 'pending',
  createdAt: '2026-03-02T10:00:00.000Z',
  expiresAt: '2026-03-02T10:15:00.000Z',
  decidedAt: null,
  step: 0,
  waitingFor: ['group:dba'],
  approvals: [],
  windowUntil: null,
  consumedAt: null,
  approveCommand: 'airlock approvals approve 42',
};

describe('notification messages', () => {
  test('the webhook body carries who, chain, connection, statement, reason, evidence and the approve command', () => {
    const body = JSON.parse(
      webhookBody({ event: 'approval.requested', request: REQUEST, approvers: ['group:dba'] }),
    );
    assert.equal(body.schema, 1);
    assert.equal(body.event, 'approval.requested');
    assert.equal(body.approveCommand, 'airlock approvals approve 42');
    assert.deepEqual(body.request.requester, {
      subject: 'planner',
      kind: 'agent',
      chain: [{ subject: 'alice', kind: 'human' }],
    });
    assert.equal(body.request.statement, REQUEST.statement);
    assert.equal(body.request.reason, 'cleanup <now>');
    assert.equal(
      body.request.evidenceSummary,
      '3 sessions in 30 days; sql.delete 9, sql.select 5; tables: public.items; last use: 2026-03-01T09:00:00.000Z',
    );
    assert.equal(body.request.paramsHash, undefined, 'no parameter material is sent');
  });

  test('the Slack message escapes markup and names the exact approve command', () => {
    const message = slackMessage({
      event: 'approval.escalated',
      request: REQUEST,
      step: 1,
      approvers: ['group:sre'],
    });
    assert.match(message.text, /^Approval request 42 escalated to group:sre/);
    const text = JSON.stringify(message.blocks);
    assert.match(text, /planner \(agent\) for alice/);
    assert.match(text, /&lt;b&gt;&amp;/);
    assert.match(text, /cleanup &lt;now&gt;/);
    assert.match(text, /`airlock approvals approve 42`/);
    assert.doesNotMatch(text, /<b>/);
    assert.equal(slackEscape('a<b>&c'), 'a&lt;b&gt;&amp;c');
    assert.equal(evidenceSummary(null), 'no usage evidence');
  });
});

interface Sent {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

function recordingFetch(sent: Sent[], answers: number[] = []): typeof fetch {
  return (async (url: string, init: RequestInit) => {
    sent.push({ url, body: String(init.body), headers: init.headers as Record<string, string> });
    return new Response('ok', { status: answers.shift() ?? 200 });
  }) as typeof fetch;
}

function quietLog(lines: string[]) {
  return {
    info() {},
    debug() {},
    warn(fields: object, message: string) {
      lines.push(`${message} ${JSON.stringify(fields)}`);
    },
  };
}

const TARGETS: NotificationTarget[] = [
  {
    name: 'hook',
    type: 'webhook',
    url: { value: 'https://hook.example/a' },
    secret: { value: 'k' },
    groups: ['group:dba'],
    timeoutMs: 1000,
  },
  { name: 'sre', type: 'slack', url: { env: 'SRE_URL' }, groups: ['group:sre'], timeoutMs: 1000 },
];

describe('notification delivery', () => {
  test('routes by groups, signs webhooks, resolves secret URLs at send, and never throws at the caller', async () => {
    const sent: Sent[] = [];
    const n = createNotifications({
      targets: () => TARGETS,
      log: quietLog([]),
      clock: new ManualClock(),
      env: { SRE_URL: 'https://chat.example/services/T/B/x' },
      fetch: recordingFetch(sent),
    });
    n.notifier.requested(REQUEST);
    n.notifier.escalated(REQUEST, 1, ['group:sre']);
    await n.idle(2000);
    assert.deepEqual(
      sent.map((s) => s.url),
      ['https://hook.example/a', 'https://chat.example/services/T/B/x'],
      'the request goes to the dba-serving hook, the escalation to the sre target only',
    );
    const hook = sent[0]!;
    assert.equal(
      hook.headers['x-airlock-signature'],
      `sha256=${createHmac('sha256', 'k').update(hook.body).digest('hex')}`,
    );
    assert.equal(
      sent[1]!.headers['x-airlock-signature'],
      undefined,
      'a Slack target without secret is unsigned',
    );
    assert.ok(JSON.parse(sent[1]!.body).blocks);
    assert.deepEqual(n.stats(), { delivered: 2, failed: 0, dropped: 0, queued: 0 });
    await n.close();
  });

  test('retries with backoff, then gives up: logged and counted; a full queue drops and counts', async () => {
    const sent: Sent[] = [];
    const lines: string[] = [];
    const n = createNotifications({
      targets: () => [TARGETS[0]!],
      log: quietLog(lines),
      clock: new ManualClock(),
      env: {},
      fetch: recordingFetch(sent, [503, 503, 503, 200]),
      retry: { attempts: 3, initialMs: 5, maxMs: 10 },
      maxQueued: 1,
      concurrency: 1,
    });
    n.notifier.requested(REQUEST); // taken by a worker at once
    n.notifier.requested({ ...REQUEST, id: 43 }); // queued (1 waiting)
    n.notifier.requested({ ...REQUEST, id: 44 }); // dropped: the queue is full
    await n.idle(5000);
    assert.equal(sent.length, 4, '3 attempts for 42, then 43 delivered first time');
    assert.deepEqual(n.stats(), { delivered: 1, failed: 1, dropped: 1, queued: 0 });
    assert.ok(
      lines.some(
        (l) => l.startsWith('notification failed') && l.includes('hook.example') && !l.includes('/a'),
      ),
    );
    assert.ok(lines.some((l) => l.startsWith('notification dropped') && l.includes('approval.requested 44')));
    await n.close();
  });

  test('break-glass reaches every target, whatever its groups', async () => {
    const sent: Sent[] = [];
    const n = createNotifications({
      targets: () => TARGETS,
      log: quietLog([]),
      clock: new ManualClock(),
      env: { SRE_URL: 'https://chat.example/x' },
      fetch: recordingFetch(sent),
    });
    n.notifier.breakGlass({
      identity: REQUEST.requester,
      connection: 'orders',
      scope: 'admin',
      reason: 'incident',
      grantId: 'g1',
      expiresAt: '2026-03-02T11:00:00.000Z',
      followUp: { ...REQUEST, kind: 'review', statement: null, action: null },
    });
    await n.idle(2000);
    assert.equal(sent.length, 2);
    assert.equal(JSON.parse(sent[0]!.body).event, 'break-glass');
    assert.match(JSON.parse(sent[1]!.body).text, /^BREAK-GLASS: planner opened admin access to orders/);
    await n.close();
  });

  test('a campaign reminder reaches the targets serving its reviewers, with the review command', async () => {
    const sent: Sent[] = [];
    const n = createNotifications({
      targets: () => TARGETS,
      log: quietLog([]),
      clock: new ManualClock(),
      env: { SRE_URL: 'https://chat.example/x' },
      fetch: recordingFetch(sent),
    });
    n.notifier.campaignReminder({
      campaign: 7,
      connections: ['orders'],
      reviewers: ['group:sre'],
      dueAt: '2026-03-16T10:00:00.000Z',
      pending: 3,
    });
    await n.idle(2000);
    assert.equal(sent.length, 1, 'only the sre target serves group:sre');
    const message = JSON.parse(sent[0]!.body) as { text: string; blocks: { text: { text: string } }[] };
    assert.equal(
      message.text,
      'Review campaign 7 (orders) is due 2026-03-16T10:00:00.000Z: 3 item(s) undecided',
    );
    assert.match(message.blocks[1]!.text.text, /airlock reviews campaign show 7/);
    await n.close();
  });
});
