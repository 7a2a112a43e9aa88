/**
 * Audit of the review gate's promises, end to end with psql through Airlock on a real PostgreSQL:
 * a read-scoped session stays read-only upstream whatever the client tries (SET forms, BEGIN READ
 * WRITE, set_config, writes and mode switches hidden in functions, COMMIT AND CHAIN).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const GUARDED = `    access: [group:agents]
    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 20s
      onStale: hold
    guardrails:
      review: [delete, update]
`;

interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('review gate audit through Airlock to a real PostgreSQL', () => {
  let h: AirlockHarness;
  let reader: string;
  let dana: string;

  before(async () => {
    h = await startAirlock({
      extraConnections: [
        appConnection('ro', '    access: [{ who: group:readers, scope: read }]\n'),
        appConnection('guarded', GUARDED),
        appConnection('guarded2', GUARDED),
      ].join(''),
      upstreamPortPlaceholder: 'PORT',
    });
    await h.cluster.psql(
      [
        'create table journal (n int)',
        'grant all on journal to app',
        // A write hidden in a function: the classifier sees a SELECT.
        'create function sneaky() returns int language plpgsql as $$begin insert into journal values (1); return 1; end$$',
        // A mode switch hidden in a function: the next transaction would be read-write.
        `create function flip() returns text language sql as $$select set_config('default_transaction_read_only', 'off', false)$$`,
        'alter function sneaky() owner to app',
        'alter function flip() owner to app',
        'alter table journal owner to app',
      ].join('; '),
      'app',
    );
    reader = await h.server.createToken({ name: 'reader-1', groups: ['readers'], kind: 'agent' });
    dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
  });
  after(async () => {
    await h?.stop();
  });

  /** One psql session running each `commands` entry as its own Query message. */
  function psql(token: string, db: string, commands: readonly string[]): Promise<PsqlResult> {
    const addr = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-At',
          '-v',
          'VERBOSITY=verbose',
          ...commands.flatMap((c) => ['-c', c]),
          `host=${addr.host} port=${addr.port} dbname=${db} user=x sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function journalRows(): Promise<number> {
    return Number((await h.cluster.psql('select count(*) from journal', 'app')).trim());
  }

  const ATTEMPTS: readonly (readonly string[])[] = [
    ['select sneaky()'],
    ['set default_transaction_read_only = off', 'select sneaky()'],
    ["set default_transaction_read_only = 'false'", 'select sneaky()'],
    ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', 'select sneaky()'],
    ['begin read write', 'select sneaky()', 'commit'],
    ['start transaction isolation level serializable, read write', 'select sneaky()', 'commit'],
    ['begin', 'set transaction_read_only = off', 'select sneaky()', 'commit'],
    ['begin', 'set local transaction_read_only to 0', 'select sneaky()', 'commit'],
    ['begin; set transaction read write; select sneaky(); commit'],
    ["select set_config('default_transaction_read_only', 'off', false)", 'select sneaky()'],
    ["begin; select set_config('transaction_read_only', 'off', true); select sneaky(); commit"],
    ['select flip()', 'select sneaky()'],
    ['reset all', 'select sneaky()'],
    [
      'reset default_transaction_read_only',
      "select set_config(current_user || '', 'off', false)",
      'select sneaky()',
    ],
    ['select flip(); commit; select sneaky()'],
    ['select flip()', 'begin', 'commit and chain', 'select sneaky()', 'commit'],
    [
      "prepare p as select set_config('default_transaction_read_only', 'off', false)",
      'execute p',
      'select sneaky()',
    ],
  ];

  for (const attempt of ATTEMPTS) {
    test(`read scope stays read-only upstream: ${attempt.join(' | ')}`, async () => {
      const before = await journalRows();
      const result = await psql(reader, 'ro', attempt);
      assert.equal(
        await journalRows(),
        before,
        `a read-scoped session wrote: ${result.stdout}${result.stderr}`,
      );
      // Refused by the gate, ended by the engine, or failed at the target: never silently ignored.
      assert.match(
        result.stderr,
        /scope read is read-only|reported default_transaction_read_only=off|25006: cannot execute INSERT in a read-only transaction/,
      );
    });
  }

  test('read scope: plain reads and harmless settings still work', async () => {
    const result = await psql(reader, 'ro', [
      'select count(*) from journal',
      'set default_transaction_read_only = on',
      'begin read only',
      'set transaction read only',
      'select 1',
      'commit',
      'show default_transaction_read_only',
    ]);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /on\s*$/);
  });
  const agentTokens: Record<string, string> = {};

  /** The newest pending request of `requester` of `kind`, polled through the CLI. */
  async function pendingOf(requester: string, kind: string, not: readonly number[] = []): Promise<number> {
    for (let i = 0; i < 150; i++) {
      const listed = await h.cli(['approvals', 'list', '--status', 'pending', '--json']);
      const found = (
        JSON.parse(listed.stdout) as { id: number; kind: string; requester: { subject: string } }[]
      ).find((r) => r.requester.subject === requester && r.kind === kind && !not.includes(r.id));
      if (found) return found.id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending ${kind} request of ${requester}`);
  }

  function approve(id: number, ...extra: string[]) {
    return h.cli(['approvals', 'approve', String(id), '--reason', 'ok', '--token', dana, ...extra]);
  }

  /** A client on `db` whose session review is approved already (its first statement held). */
  async function reviewed(name: string, db: string): Promise<pg.Client> {
    agentTokens[name] ??= await h.server.createToken({ name, groups: ['agents'], kind: 'agent' });
    const token = agentTokens[name]!;
    const c = new pg.Client({ connectionString: h.url(token, db) });
    await c.connect();
    const first = c.query('select 1');
    const review = await pendingOf(name, 'review');
    assert.equal((await approve(review)).code, 0);
    await first;
    return c;
  }

  /** Whether `run` is still held after a moment (a pending command request exists), then its request id. */
  async function heldBy(requester: string, seen: readonly number[]): Promise<number> {
    return pendingOf(requester, 'command', seen);
  }

  test('per-command approval is bound to the parameters too: other values ask again, the same ones once', async () => {
    await h.cluster.psql('insert into journal select generate_series(10, 19)', 'app');
    const c = await reviewed('cmd-1', 'guarded');
    try {
      const sql = 'delete from journal where n = $1';
      const first = c.query(sql, [10]);
      const id = await heldBy('cmd-1', []);
      const shown = JSON.parse((await h.cli(['approvals', 'show', String(id), '--json'])).stdout) as {
        paramsHash: string;
      };
      assert.equal((await approve(id)).code, 0);
      assert.equal((await first).rowCount, 1);
      // Same text, other parameters: a new request with another hash, not the approval just used.
      const other = c.query(sql, [11]);
      const second = await heldBy('cmd-1', [id]);
      assert.notEqual(second, id);
      const secondShown = JSON.parse(
        (await h.cli(['approvals', 'show', String(second), '--json'])).stdout,
      ) as {
        paramsHash: string;
      };
      assert.notEqual(secondShown.paramsHash, shown.paramsHash);
      assert.equal((await approve(second)).code, 0);
      assert.equal((await other).rowCount, 1);
      // Same text and parameters again: single use, so held again.
      const again = c.query(sql, [10]);
      const third = await heldBy('cmd-1', [id, second]);
      assert.ok(third !== id && third !== second);
      await h.cli(['approvals', 'deny', String(third), '--reason', 'no', '--token', dana]);
      await assert.rejects(again, (err: { code: string; detail: string }) => {
        assert.equal(err.code, '42501');
        assert.equal(err.detail, `request: ${third}`);
        return true;
      });
    } finally {
      await c.end();
    }
  });

  test('a window covers only the same identity, connection and action', async () => {
    await h.cluster.psql('insert into journal select generate_series(20, 29)', 'app');
    const a = await reviewed('win-a', 'guarded');
    const b = await reviewed('win-b', 'guarded');
    const a2 = await reviewed('win-a', 'guarded2');
    try {
      const first = a.query('delete from journal where n = 20');
      const id = await heldBy('win-a', []);
      assert.equal((await approve(id, '--window', '1h')).code, 0);
      assert.equal((await first).rowCount, 1);
      // Same identity, connection and action: covered.
      assert.equal((await a.query('delete from journal where n = 21')).rowCount, 1);
      // Another action (update): held.
      const update = a.query('update journal set n = 0 where n = 22');
      const updateId = await heldBy('win-a', [id]);
      await h.cli(['approvals', 'deny', String(updateId), '--reason', 'no', '--token', dana]);
      await assert.rejects(update, /denied/);
      // Another identity: held.
      const other = b.query('delete from journal where n = 23');
      const otherId = await heldBy('win-b', []);
      await h.cli(['approvals', 'deny', String(otherId), '--reason', 'no', '--token', dana]);
      await assert.rejects(other, /denied/);
      // Another connection: held.
      const elsewhere = a2.query('delete from journal where n = 24');
      const elsewhereId = await heldBy('win-a', [id, updateId]);
      await h.cli(['approvals', 'deny', String(elsewhereId), '--reason', 'no', '--token', dana]);
      await assert.rejects(elsewhere, /denied/);
      const left = await h.cluster.psql('select count(*) from journal where n between 22 and 24', 'app');
      assert.equal(left.trim(), '3');
    } finally {
      await a.end();
      await b.end();
      await a2.end();
    }
  });
});
