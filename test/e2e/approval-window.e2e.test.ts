/**
 * What an approval window (`airlock approvals approve ID --window 2s`) covers, end to end with
 * node-postgres through Airlock to a real PostgreSQL: a window is per statement, not per session. While
 * it lasts, statements of the approved action pass without a new request; once it ends, the next
 * one is held for a new approval in the same session, which stays open (no session's access depends
 * on a window, so none has to end with it). The session-level counterpart, a session admitted by a
 * time-boxed grant ending with the grant, is in grant-end.e2e.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const GUARDED = appConnection(
  'guarded',
  `    access: [group:agents]
    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 20s
      onStale: hold
      then: deny
    guardrails:
      review: [delete]
`,
);

describe('approval windows', () => {
  let h: AirlockHarness;
  let dana: string;

  before(async () => {
    h = await startAirlock({ extraConnections: GUARDED, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(
      'create table items (id int primary key); insert into items select generate_series(1, 10); alter table items owner to app',
      'app',
    );
    dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
  });
  after(async () => {
    await h?.stop();
  });

  /** The newest pending request of `requester` of `kind` not in `seen`, polled as an approver would. */
  async function pending(requester: string, kind: string, seen: readonly number[] = []): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const listed = await h.cli(['approvals', 'list', '--status', 'pending', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const found = (
        JSON.parse(listed.stdout) as { id: number; kind: string; requester: { subject: string } }[]
      ).find((r) => r.requester.subject === requester && r.kind === kind && !seen.includes(r.id));
      if (found) return found.id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending ${kind} request of ${requester}`);
  }

  function decide(verb: 'approve' | 'deny', id: number, ...extra: string[]) {
    return h.cli(['approvals', verb, String(id), '--reason', `${verb} from dana`, '--token', dana, ...extra]);
  }

  test('a window covers the action for its length; afterwards the next statement is held again, the session stays open', async () => {
    const token = await h.server.createToken({ name: 'window-bot', groups: ['agents'], kind: 'agent' });
    const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    await client.connect();
    try {
      // The session's own access review first.
      const first = client.query('select 1');
      assert.equal((await decide('approve', await pending('window-bot', 'review'))).code, 0);
      await first;

      const held = client.query('delete from items where id = 1');
      const request = await pending('window-bot', 'command');
      const approved = await decide('approve', request, '--window', '2s');
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal((await held).rowCount, 1);
      const windowEnds = Date.now() + 2000;
      // Inside the window: another delete runs at once, with no new request.
      assert.equal((await client.query('delete from items where id = 2')).rowCount, 1);

      await new Promise((r) => setTimeout(r, Math.max(0, windowEnds - Date.now()) + 300));
      // The window has ended: the session is still open and reads freely...
      assert.equal((await client.query('select count(*)::int as n from items')).rows[0].n, 8);
      // ...but a delete is held for a new approval, in the same session.
      const again = client.query('delete from items where id = 3');
      // The denial can arrive while `decide` is still running: handle it from the start.
      again.catch(() => {});
      const second = await pending('window-bot', 'command', [request]);
      assert.notEqual(second, request);
      assert.equal((await decide('deny', second)).code, 0);
      await assert.rejects(
        again,
        (err: Error & { code?: string }) => err.code === '42501' && err.message.includes(`${second}`),
      );
      // Denying one statement ends nothing: the session goes on.
      assert.equal((await client.query('select count(*)::int as n from items')).rows[0].n, 8);
      assert.deepEqual(errors, []);
    } finally {
      await client.end();
    }
  });
});
