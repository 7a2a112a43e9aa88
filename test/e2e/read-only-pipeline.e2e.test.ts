/**
 * A read-scoped session stays read-only upstream when the client pipelines: raw wire bytes through
 * Airlock to a real PostgreSQL. The danger is a function that switches the session's default mode
 * off (`set_config('default_transaction_read_only', 'off', false)`): the target reports that only
 * at the next ReadyForQuery, so whatever the client sent behind it without waiting (an Execute after
 * a COMMIT in the same batch, a second batch, a second Query) would start a read-write transaction
 * before Airlock could end the session. None of it may write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackendMessage } from '../../src/protocols/postgres/codec/messages.js';
import { frontend } from '../../src/protocols/postgres/testing/builders.js';
import { RawClient } from '../../src/protocols/postgres/testing/raw-client.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

/** Parse, Bind and Execute of `sql` on the unnamed statement and portal. */
function run(sql: string): Buffer[] {
  return [frontend.parse('', sql), frontend.bind('', ''), frontend.execute()];
}

/** The errors among `messages`, as `CODE: message`. */
function errors(messages: readonly BackendMessage[]): string[] {
  return messages.flatMap((m) =>
    m.name === 'errorResponse' ? [`${m.fields.code}: ${m.fields.message}`] : [],
  );
}

describe('read scope stays read-only through pipelined messages', () => {
  let h: AirlockHarness;
  let reader: string;

  before(async () => {
    h = await startAirlock({
      extraConnections: appConnection('ro', '    access: [{ who: group:readers, scope: read }]\n'),
      upstreamPortPlaceholder: 'PORT',
    });
    await h.cluster.psql(
      [
        'create table journal (n int)',
        // A write hidden in a function: the classifier sees a SELECT.
        'create function sneaky() returns int language plpgsql as $$begin insert into journal values (1); return 1; end$$',
        // A mode switch hidden in a function: the next transaction would be read-write.
        `create function flip() returns text language plpgsql as $$begin return set_config('default_transaction_read_only', 'off', false); end$$`,
        'alter table journal owner to app',
        'alter function sneaky() owner to app',
        'alter function flip() owner to app',
      ].join('; '),
      'app',
    );
    reader = await h.server.createToken({ name: 'pipeline-reader', groups: ['readers'], kind: 'agent' });
  });
  after(async () => {
    await h?.stop();
  });

  const login = () => RawClient.login(h.server.addresses.postgres!.port, 'ro', reader);
  const journalRows = async () =>
    Number((await h.cluster.psql('select count(*) from journal', 'app')).trim());

  /** Sends `frames` in one write and returns every message until the server closed or `ready` RFQs came. */
  async function pipeline(client: RawClient, frames: Buffer[], ready: number): Promise<BackendMessage[]> {
    const from = client.messages.length;
    client.send(...frames);
    try {
      return await client.readyCount(ready, from, 10_000);
    } catch {
      // The session was ended (or a reply never came): what arrived is the answer.
      return client.messages.slice(from);
    }
  }

  /** How the audit trail recorded the statement `text`: its decision and error code, one per event. */
  async function audited(text: string): Promise<string[]> {
    await h.server.flushAudit();
    const out = await h.cli([
      'audit',
      'search',
      '--identity',
      'pipeline-reader',
      '--type',
      'command',
      '--json',
    ]);
    assert.equal(out.code, 0, out.stderr);
    const events = JSON.parse(out.stdout) as { text: string; decision: string; error?: { code: string } }[];
    return events.filter((e) => e.text === text).map((e) => `${e.decision} ${e.error?.code ?? ''}`.trim());
  }

  /** The session still runs read-only: a read works and the mode is still on. */
  async function stillReadOnly(client: RawClient): Promise<void> {
    const from = client.messages.length;
    client.send(frontend.query('show default_transaction_read_only'));
    const answer = await client.readyCount(1, from);
    assert.deepEqual(errors(answer), []);
    const row = answer.find((m) => m.name === 'dataRow');
    assert.equal(row?.name === 'dataRow' ? row.values[0]?.toString() : undefined, 'on');
  }

  test('an Execute after a COMMIT in the same batch is refused, and nothing of the batch runs', async () => {
    const before = await journalRows();
    const client = await login();
    try {
      const answer = await pipeline(
        client,
        [...run('select flip()'), ...run('commit'), ...run('select sneaky()'), frontend.sync()],
        1,
      );
      assert.equal(await journalRows(), before, 'the read-scoped session wrote');
      const refused = errors(answer);
      assert.equal(refused.length, 1, refused.join(' | '));
      assert.match(refused[0]!, /^42501: blocked by airlock: scope read is read-only: .*Sync/);
      // The batch was dropped whole, so the mode never changed and the session goes on.
      await stillReadOnly(client);
    } finally {
      client.close();
    }
  });

  test('every statement that ends a transaction closes the batch to further Executes', async () => {
    const client = await login();
    try {
      for (const end of [
        'commit',
        'end',
        'rollback',
        'abort',
        'commit and chain',
        'rollback and chain',
        "prepare transaction 'airlock_t'",
        "commit prepared 'airlock_t'",
        "rollback prepared 'airlock_t'",
      ]) {
        const answer = await pipeline(client, [...run(end), ...run('select 1'), frontend.sync()], 1);
        const refused = errors(answer);
        assert.equal(refused.length, 1, `${end}: ${refused.join(' | ')}`);
        assert.match(refused[0]!, /^42501: .*read-only.*Sync/, end);
      }
      // A Sync ends the rule: the next batch runs, COMMIT last is fine, and so is a batch before it.
      const ok = await pipeline(
        client,
        [
          ...run('begin'),
          ...run('select count(*) from journal'),
          ...run('commit'),
          frontend.sync(),
          ...run('select 1'),
          frontend.sync(),
        ],
        2,
      );
      assert.deepEqual(errors(ok), []);
      assert.equal(ok.filter((m) => m.name === 'commandComplete').length, 4);
      await stillReadOnly(client);
    } finally {
      client.close();
    }
  });

  test('an Execute after a COMMIT already flushed is refused; the switched session is then ended', async () => {
    const before = await journalRows();
    const client = await login();
    try {
      const answer = await pipeline(
        client,
        [
          ...run('select flip()'),
          ...run('commit'),
          frontend.flush(),
          ...run('select sneaky() as flushed'),
          frontend.sync(),
          frontend.query('select sneaky() as after_sync'),
        ],
        2,
      );
      assert.equal(await journalRows(), before, 'the read-scoped session wrote');
      // flip() and COMMIT ran: the target reports the switch at the Sync, and the session ends
      // (its FATAL replaces the refusal that was still on its way to the client).
      const said = errors(answer);
      assert.ok(
        said.some((e) => /reported default_transaction_read_only=off/.test(e)),
        said.join(' | '),
      );
      await client.closedByServer();
      assert.deepEqual(await audited('select sneaky() as flushed'), ['deny ERR_SCOPE_DENIED']);
      assert.deepEqual(await audited('select sneaky() as after_sync'), [], 'never reached the gate');
    } finally {
      client.close();
    }
  });

  test('a Query sent after a COMMIT Execute without a Sync is refused too', async () => {
    const before = await journalRows();
    const client = await login();
    try {
      const answer = await pipeline(
        client,
        [...run('select flip()'), ...run('commit'), frontend.query('select sneaky() as simple')],
        1,
      );
      assert.equal(await journalRows(), before, 'the read-scoped session wrote');
      const said = errors(answer);
      assert.ok(
        said.some((e) => /reported default_transaction_read_only=off/.test(e)),
        said.join(' | '),
      );
      assert.deepEqual(await audited('select sneaky() as simple'), ['deny ERR_SCOPE_DENIED']);
    } finally {
      client.close();
    }
  });

  test('a second batch pipelined behind the one that switched the mode does not write', async () => {
    const before = await journalRows();
    const client = await login();
    try {
      const answer = await pipeline(
        client,
        [...run('select flip()'), frontend.sync(), ...run('select sneaky()'), frontend.sync()],
        2,
      );
      assert.equal(await journalRows(), before, 'the read-scoped session wrote');
      const said = errors(answer);
      assert.ok(
        said.some((e) => /reported default_transaction_read_only=off|^25006/.test(e)),
        said.join(' | '),
      );
    } finally {
      client.close();
    }
  });

  test('a second Query pipelined behind the one that switched the mode does not write', async () => {
    const before = await journalRows();
    const client = await login();
    try {
      const answer = await pipeline(
        client,
        [frontend.query('select flip()'), frontend.query('select sneaky()')],
        2,
      );
      assert.equal(await journalRows(), before, 'the read-scoped session wrote');
      const said = errors(answer);
      assert.ok(
        said.some((e) => /reported default_transaction_read_only=off|^25006/.test(e)),
        said.join(' | '),
      );
    } finally {
      client.close();
    }
  });
});
