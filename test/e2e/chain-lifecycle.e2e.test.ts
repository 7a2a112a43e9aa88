/**
 * Cutting off a whole delegation chain, end to end with psql and node-postgres through Airlock to a
 * real PostgreSQL: a person (alice) → planner-agent → sql-subagent, each minted by `airlock delegate`.
 * A group lock (`--identity group:NAME`, like `tctl lock --role`) refuses and ends the sessions of
 * every member and of every delegate whose root is a member; a lock on any link of the chain covers
 * the links below it; `limits.maxSessionsPerIdentity` counts the root's sessions and all its
 * delegates' together; `airlock audit search --on-behalf-of` prints the chain in its table.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    // The first error is the one Airlock sent; the socket closing may add a second.
    client.on('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

type PgError = Error & { code?: string };

describe('locks, limits and audit over a delegation chain', () => {
  let h: AirlockHarness;
  let alice: string;
  let planner: string;
  let subagent: string;
  let bob: string;
  const open: pg.Client[] = [];

  async function connect(token: string, connection = 'appdb'): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: h.url(token, connection) });
    // A refused or ended client may emit a late socket error; the assertions read the first one.
    client.on('error', () => {});
    await client.connect();
    await client.query('select 1');
    open.push(client);
    return client;
  }

  async function closeAll(): Promise<void> {
    for (const client of open.splice(0)) {
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }

  function psql(token: string, sql: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const addr = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-At',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
          `host=${addr.host} port=${addr.port} dbname=appdb user=x sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function delegate(parent: string, name: string, scope: string): Promise<string> {
    const made = await h.cli([
      'delegate',
      '--token',
      parent,
      '--name',
      name,
      '--scope',
      scope,
      '--ttl',
      '30m',
    ]);
    assert.equal(made.code, 0, made.stderr);
    return lastLine(made.stdout);
  }

  async function lock(...target: string[]): Promise<string> {
    const locked = await h.cli(['lock', ...target, '--reason', 'incident 7']);
    assert.equal(locked.code, 0, locked.stderr);
    return lastLine(locked.stdout);
  }

  async function unlock(id: string): Promise<void> {
    const done = await h.cli(['unlock', id]);
    assert.equal(done.code, 0, done.stderr);
  }

  before(async () => {
    h = await startAirlock({
      upstreamPortPlaceholder: 'PORT',
      extraConnections: appConnection(
        'limited',
        '    tls: { mode: disable }\n    access: [group:agents]\n    limits: { maxSessionsPerIdentity: 2 }\n',
      ),
    });
    await h.cluster.psql('create table notes (id int, body text); alter table notes owner to app', 'app');
    alice = await h.server.createToken({
      name: 'alice',
      groups: ['agents', 'analysts'],
      kind: 'human',
      ttlMs: 3600_000,
    });
    bob = await h.server.createToken({ name: 'bob', groups: ['agents'], kind: 'human', ttlMs: 3600_000 });
    planner = await delegate(alice, 'planner-agent', '*:write');
    subagent = await delegate(planner, 'sql-subagent', '*:read');
  });
  after(async () => {
    await closeAll();
    await h?.stop();
  });

  test('a group lock ends the live sessions of members and of their delegates within 1 s, and refuses new ones', async () => {
    const sessions = [await connect(alice), await connect(planner), await connect(subagent)];
    const bystander = await connect(bob);
    const endings = sessions.map((c) => ended(c, 1500));
    const started = Date.now();
    const id = await lock('--identity', 'group:analysts');
    const errors = await Promise.all(endings);
    const took = Date.now() - started;
    assert.ok(took < 1000, `ended after ${took} ms`);
    for (const err of errors) assert.match(err.message, /identity "group:analysts" is locked: incident 7/);
    // bob is in agents only: untouched.
    assert.equal((await bystander.query('select 2 as two')).rows[0].two, 2);
    for (const token of [alice, planner, subagent]) {
      await assert.rejects(
        connect(token),
        (e: PgError) => e.code === '42501' && /group:analysts" is locked/.test(e.message),
      );
    }
    // psql hears the same refusal.
    const refused = await psql(subagent, 'select 1');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /group:analysts" is locked: incident 7/);
    const listed = await h.cli(['lock', 'list']);
    assert.match(listed.stdout, /identity\s+group:analysts/);
    await unlock(id);
    await closeAll();
    assert.equal((await psql(subagent, 'select 3')).stdout.trim(), '3');
  });

  test('a lock on a link of the chain covers the links below it, not the ones above', async () => {
    const top = await connect(alice);
    const middle = await connect(planner);
    const bottom = await connect(subagent);
    const endings = [ended(middle, 1500), ended(bottom, 1500)];
    const id = await lock('--identity', 'planner-agent');
    for (const err of await Promise.all(endings))
      assert.match(err.message, /identity "planner-agent" is locked/);
    assert.equal((await top.query('select 1 as one')).rows[0].one, 1);
    await assert.rejects(connect(subagent), (e: PgError) => e.code === '42501');
    await unlock(id);
    await closeAll();

    // Locking the person (as user:SUBJECT, the way access lists name people) covers the whole chain.
    const chain = [await connect(alice), await connect(planner), await connect(subagent)];
    const all = chain.map((c) => ended(c, 1500));
    const personLock = await lock('--identity', 'user:alice');
    for (const err of await Promise.all(all)) assert.match(err.message, /identity "user:alice" is locked/);
    await unlock(personLock);
    await closeAll();
  });

  test('maxSessionsPerIdentity counts the root and all its delegates together', async () => {
    await connect(alice, 'limited');
    await connect(planner, 'limited');
    await assert.rejects(
      connect(subagent, 'limited'),
      (e: PgError) =>
        e.code === '53300' &&
        /"alice" \(root of "sql-subagent"\) already has 2 open sessions on "limited", delegates included/.test(
          e.message,
        ),
    );
    // Another root has its own allowance.
    await connect(bob, 'limited');
    await closeAll();
    // Closed sessions free the allowance again (the gate forgets them as they close).
    for (let i = 0; i < 50; i++) {
      try {
        await connect(subagent, 'limited');
        break;
      } catch (err) {
        if ((err as PgError).code !== '53300' || i === 49) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await closeAll();
  });

  test('audit search --on-behalf-of the person finds the subagent and prints the chain in the table', async () => {
    const ran = await psql(subagent, 'select count(*) from notes');
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout.trim(), '0');
    await h.server.flushAudit();
    const table = await h.cli(['audit', 'search', '--on-behalf-of', 'alice', '--type', 'command']);
    assert.equal(table.code, 0, table.stderr);
    const row = table.stdout.split('\n').find((line) => line.includes('select count(*) from notes'));
    assert.ok(row, table.stdout);
    assert.match(row, /alice → planner-agent → sql-subagent/);
    console.log(`# ${table.stdout.split('\n')[0]}\n# ${row}`);
    // The JSON form carries the same chain.
    const json = JSON.parse(
      (await h.cli(['audit', 'search', '--on-behalf-of', 'alice', '--type', 'command', '--json'])).stdout,
    ) as { text: string; identity: { subject: string; chain: { subject: string }[] } }[];
    const event = json.find((e) => e.text === 'select count(*) from notes');
    assert.deepEqual(
      [...(event?.identity.chain ?? []).map((a) => a.subject), event?.identity.subject],
      ['alice', 'planner-agent', 'sql-subagent'],
    );
    // On behalf of the middle link finds it too; on behalf of bob does not.
    const middle = await h.cli(['audit', 'search', '--on-behalf-of', 'planner-agent', '--type', 'command']);
    assert.match(middle.stdout, /alice → planner-agent → sql-subagent .*select count\(\*\) from notes/);
    const other = await h.cli(['audit', 'search', '--on-behalf-of', 'bob', '--type', 'command']);
    assert.doesNotMatch(other.stdout, /select count\(\*\) from notes/);
    // sessions list names the chain the same way.
    const sessions = await h.cli(['sessions', 'list', '--identity', 'sql-subagent']);
    assert.match(sessions.stdout, /alice → planner-agent → sql-subagent/);
  });
});
