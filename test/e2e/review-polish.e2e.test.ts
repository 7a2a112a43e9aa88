/**
 * Review gate polish, end to end through Airlock to a real PostgreSQL: a local (--config) CLI
 * command notifies the configured targets before it exits; `sessions list` / `sessions show` name
 * who certified a held session; a CancelRequest during a hold fails the held statement with 57014
 * and the request id while the session stays usable and the request stays pending.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cancelRequest } from '../../src/protocols/postgres/codec/serializer.js';
import { frontend } from '../../src/protocols/postgres/testing/builders.js';
import { RawClient } from '../../src/protocols/postgres/testing/raw-client.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';
import { type Receiver, startReceiver } from './notification-receivers.js';

const REVIEWS = `    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 20s
`;

describe('review gate polish', () => {
  let h: AirlockHarness;
  let slack: Receiver;
  const tokens: Record<string, string> = {};

  before(async () => {
    slack = await startReceiver({});
    h = await startAirlock({
      upstreamPortPlaceholder: 'PORT',
      extraYaml: `notifications:
  - { name: slack-all, type: slack, url: ${slack.url}/services/T0/B0/x }
`,
      extraConnections: [
        appConnection('reviewed', `    access: [group:agents]\n${REVIEWS}`),
        appConnection('cancelled', `    access: [group:agents]\n${REVIEWS}`),
        appConnection('plain', '    access: [group:nobody]\n'),
      ].join(''),
    });
    tokens.dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
    tokens.agent = await h.server.createToken({ name: 'polish-bot', groups: ['agents'], kind: 'agent' });
    tokens.asker = await h.server.createToken({ name: 'asker', groups: [], kind: 'agent' });
  });
  after(async () => {
    await h?.stop();
    await slack?.close();
  });

  function port(): number {
    return h.server.addresses.postgres!.port;
  }

  test('airlock request with --config notifies the configured target before it exits', async () => {
    const before = slack.received.length;
    const asked = await h.cli(
      ['request', '--connection', 'plain', '--scope', 'read', '--reason', 'polish e2e'],
      { AIRLOCK_TOKEN: tokens.asker! },
    );
    assert.equal(asked.code, 0, asked.stderr);
    const id = /request (\d+)/.exec(asked.stdout)?.[1];
    assert.ok(id, asked.stdout);
    // No waiting here: the command itself waited for delivery.
    const sent = slack.received.slice(before);
    assert.equal(sent.length, 1, `one message to the Slack target: ${JSON.stringify(slack.refused)}`);
    assert.match(String(sent[0]!.json.text), new RegExp(`request ${id}`));
    assert.match(sent[0]!.body, new RegExp(`airlock approvals approve ${id}`));
  });

  test('a delivery failure is a warning on stderr, not a failed command', async () => {
    slack.failNext(1000);
    try {
      const asker = await h.server.createToken({ name: 'asker-2', groups: [], kind: 'agent' });
      const asked = await h.cli(
        ['request', '--connection', 'plain', '--scope', 'read', '--reason', 'receiver down'],
        { AIRLOCK_TOKEN: asker },
      );
      assert.equal(asked.code, 0, asked.stderr);
      assert.match(asked.stderr, /warning: .*notification/);
    } finally {
      slack.failNext(0);
    }
  });

  test('sessions list and show name who certified a held session', async () => {
    const client = await RawClient.login(port(), 'reviewed', tokens.agent!);
    try {
      client.send(frontend.query('select 1'));
      const notice = await client.until((m) => m.name === 'noticeResponse');
      const id = /request (\d+)/.exec(notice.name === 'noticeResponse' ? notice.fields.message : '')?.[1];
      assert.ok(id, 'the notice names the request');
      const approved = await h.cli(['approvals', 'approve', id, '--reason', 'looks fine'], {
        AIRLOCK_TOKEN: tokens.dana!,
      });
      assert.equal(approved.code, 0, approved.stderr);
      await client.until((m) => m.name === 'commandComplete', 0, 10_000);
    } finally {
      client.send(frontend.terminate());
      client.socket.end();
    }
    let listed: { id: string; subject: string; connection: string; reviewers?: string[] }[] = [];
    for (let i = 0; i < 50; i++) {
      const out = await h.cli(['sessions', 'list', '--connection', 'reviewed', '--json']);
      assert.equal(out.code, 0, out.stderr);
      listed = JSON.parse(out.stdout);
      if (listed.some((s) => s.reviewers)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const session = listed.find((s) => s.reviewers);
    assert.deepEqual(session?.reviewers, ['dana'], JSON.stringify(listed));
    const table = await h.cli(['sessions', 'list', '--connection', 'reviewed']);
    assert.match(table.stdout, /REVIEWED BY/);
    assert.match(table.stdout, /dana/);
    const shown = await h.cli(['sessions', 'show', session!.id]);
    assert.match(shown.stdout, /Reviewed by\s+dana/);
  });

  test('a CancelRequest during a hold fails the statement with 57014; the session and the request stay', async () => {
    const client = await RawClient.login(port(), 'cancelled', tokens.agent!);
    try {
      const key = client.messages.find((m) => m.name === 'backendKeyData');
      assert.ok(key?.name === 'backendKeyData');
      client.send(frontend.query('select 1'));
      await client.until((m) => m.name === 'noticeResponse');
      const canceller = await RawClient.open(port());
      canceller.send(cancelRequest(key.processId, key.secretKey));
      const started = Date.now();
      const error = await client.until((m) => m.name === 'errorResponse', 0, 3000);
      assert.ok(Date.now() - started < 3000);
      canceller.socket.destroy();
      assert.ok(error.name === 'errorResponse');
      assert.equal(error.fields.code, '57014');
      assert.match(error.fields.message, /canceling statement due to user request/);
      const id = /request: (\d+)/.exec(error.fields.detail ?? '')?.[1];
      assert.ok(id, `the detail names the request: ${error.fields.detail}`);
      const errorAt = client.messages.indexOf(error);
      await client.until((m) => m.name === 'readyForQuery', errorAt);
      const pending = await h.cli(['approvals', 'show', id, '--json']);
      assert.equal((JSON.parse(pending.stdout) as { status: string }).status, 'pending');
      // The session stays: its next statement is held again on the same request, then runs.
      const mark = client.messages.length;
      client.send(frontend.query('select 2'));
      const again = await client.until((m) => m.name === 'noticeResponse', mark);
      assert.match(again.name === 'noticeResponse' ? again.fields.message : '', new RegExp(`request ${id} `));
      const approved = await h.cli(['approvals', 'approve', id], { AIRLOCK_TOKEN: tokens.dana! });
      assert.equal(approved.code, 0, approved.stderr);
      await client.until((m) => m.name === 'commandComplete', mark, 10_000);
    } finally {
      client.send(frontend.terminate());
      client.socket.end();
    }
  });
});
