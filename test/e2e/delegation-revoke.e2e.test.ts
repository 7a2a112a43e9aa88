/**
 * A root that loses a grant narrows every delegate at once: revoking the grant that admitted the
 * root's sessions ends the live sessions of the root and of every delegate in its chain within a
 * second (ERR_SESSION_TERMINATED naming the grant); they reconnect with what is left (a narrower
 * grant) or are refused. Sessions admitted by anything else stay up. Revoking a token ends its
 * delegates' sessions too, and they are told which ancestor was revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

/** The last non-empty line: where `airlock delegate` and `grant create` print the id/token. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    // pg may report the closed socket again after the server's error: keep listening.
    client.on('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('grant revocation reaches delegates', () => {
  let h: AirlockHarness;
  let carol: string;
  let bystander: string;

  before(async () => {
    h = await startAirlock();
    // carol's group has no `access:` entry on appdb: only store grants admit her (and her delegates).
    carol = await h.server.createToken({
      name: 'carol',
      groups: ['analysts'],
      kind: 'human',
      ttlMs: 3600_000,
    });
    bystander = await h.server.createToken({ name: 'bystander', groups: ['agents'], ttlMs: 3600_000 });
    await h.cluster.psql('create table ledger (id int); alter table ledger owner to app', 'app');
  });
  after(async () => {
    await h?.stop();
  });

  async function cli(argv: string[]): Promise<string> {
    const out = await h.cli(argv);
    assert.equal(out.code, 0, `${argv.join(' ')}: ${out.stderr}`);
    return lastLine(out.stdout);
  }

  const grant = (scope: string) =>
    cli([
      'grant',
      'create',
      '--connection',
      'appdb',
      '--identity',
      'carol',
      '--scope',
      scope,
      '--reason',
      'test',
    ]);
  const delegate = (parent: string, name: string, scope: string) =>
    cli(['delegate', '--token', parent, '--name', name, '--scope', scope]);

  async function open(token: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: h.url(token) });
    await client.connect();
    await client.query('select 1');
    return client;
  }

  test('revoking the root grant ends root, orchestrator and subagent sessions; they come back narrowed', async () => {
    const writeGrant = await grant('write');
    const readGrant = await grant('read');
    const planner = await delegate(carol, 'carol-planner', 'appdb:write');
    const subagent = await delegate(planner, 'carol-subagent', 'appdb:write');

    const sessions = await Promise.all([open(carol), open(planner), open(subagent)]);
    await sessions[2]!.query('insert into ledger values (1)');
    const other = await open(bystander);

    const endings = sessions.map((client) => ended(client, 3000));
    const started = Date.now();
    await cli(['grant', 'revoke', writeGrant]);
    const committed = Date.now();
    const errors = await Promise.all(endings);
    const elapsed = Date.now() - committed;
    assert.ok(elapsed < 1000, `all three ended ${elapsed} ms after the revocation was stored`);
    for (const err of errors) {
      assert.equal(err.code, '57P01');
      assert.match(
        err.message,
        new RegExp(`grant that admitted this session \\(${writeGrant}\\) was revoked`),
      );
    }
    for (const client of sessions) await client.end().catch(() => {});
    console.log(
      `# grant revoke → root and 2 delegate sessions ended ${elapsed} ms after the store write (${Date.now() - started} ms including the CLI run)`,
    );

    // Admitted by its group's access entry, not by the grant: still up.
    assert.equal((await other.query('select 1 as one')).rows[0].one, 1);
    await other.end();

    // The remaining read grant admits the chain again, narrowed to read.
    const again = await open(subagent);
    assert.equal((await again.query('select count(*)::int as n from ledger')).rows[0].n, 1);
    await assert.rejects(again.query('insert into ledger values (2)'), (err: Error) =>
      /outside your read access/.test(err.message),
    );

    // Losing the last grant: the live delegate session ends, and the chain is refused at open.
    const ending = ended(again, 1500);
    await cli(['grant', 'revoke', readGrant]);
    assert.match((await ending).message, new RegExp(`\\(${readGrant}\\) was revoked`));
    await again.end().catch(() => {});
    await assert.rejects(
      new pg.Client({ connectionString: h.url(planner) }).connect(),
      (err: { code?: string }) => err.code === '28000',
    );
  });

  test("revoking a token ends its delegates' sessions naming the revoked ancestor", async () => {
    const orchestrator = await h.server.createToken({
      name: 'orchestrator',
      groups: ['agents'],
      ttlMs: 3600_000,
    });
    const subagent = await delegate(orchestrator, 'subagent', 'appdb:read');
    const sessions = await Promise.all([open(orchestrator), open(subagent)]);
    const endings = sessions.map((client) => ended(client, 3000));
    await cli(['token', 'revoke', 'orchestrator']);
    const [own, delegated] = await Promise.all(endings);
    assert.match(own!.message, /^token "orchestrator" was revoked$/);
    assert.match(delegated!.message, /^token "orchestrator" \(an ancestor of "subagent"\) was revoked$/);
    for (const client of sessions) await client.end().catch(() => {});
    // Connecting again says the same.
    await assert.rejects(new pg.Client({ connectionString: h.url(subagent) }).connect(), (err: Error) =>
      /token "orchestrator" \(an ancestor of "subagent"\) was revoked/.test(err.message),
    );
  });
});
