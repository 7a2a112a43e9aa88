/**
 * SQL-level PREPARE / EXECUTE across separate queries of one session, through Airlock to a real
 * PostgreSQL: `EXECUTE name` is judged by the body the session prepared (not as unknown dynamic SQL),
 * and a name whose body Airlock cannot be sure of (prepared twice, deallocated, DISCARD ALL) gets
 * the strictest outcome. Both over the simple protocol and over Parse/Bind/Execute.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const GUARDED = appConnection(
  'guarded',
  `    access: [group:agents]
    guardrails:
      deny: [drop, truncate, unbounded-delete, unbounded-update]
      onUnparsed: deny
`,
);

type Run = (client: pg.Client, sql: string) => Promise<pg.QueryResult>;
const simple: Run = (client, sql) => client.query(sql);
const extended: Run = (client, sql) => client.query({ text: sql, values: [] });

/** The error a query failed with, or undefined when it ran. */
async function failure(
  run: Run,
  client: pg.Client,
  sql: string,
): Promise<{ code?: string; message: string } | undefined> {
  try {
    await run(client, sql);
    return undefined;
  } catch (err) {
    return err as { code?: string; message: string };
  }
}

describe('SQL-level PREPARE/EXECUTE across queries of one session', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    h = await startAirlock({ extraConnections: GUARDED, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(
      'set role app; create table items (id int primary key, name text); insert into items values (1, $$a$$), (2, $$b$$), (3, $$c$$)',
      'app',
    );
    token = await h.server.createToken({ name: 'prep-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  const count = async () => Number(await h.cluster.psql('select count(*) from items', 'app'));

  for (const [transport, run] of [
    ['simple', simple],
    ['extended', extended],
  ] as const) {
    test(`${transport}: EXECUTE runs what the session prepared, and only when Airlock is sure of the body`, async () => {
      const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
      await client.connect();
      try {
        const suffix = transport === 'simple' ? 's' : 'x';
        // A read prepared in one query and executed in the next is judged as the read it is.
        await run(client, `PREPARE r_${suffix} AS SELECT name FROM items ORDER BY id`);
        const rows = await run(client, `EXECUTE r_${suffix}`);
        assert.deepEqual(
          rows.rows.map((r) => r.name),
          ['a', 'b', 'c'],
        );

        // An unbounded DELETE cannot be prepared, and so cannot be executed by name either.
        const prepared = await failure(run, client, `PREPARE d_${suffix} AS DELETE FROM items`);
        assert.equal(prepared?.code, '42501');
        const executed = await failure(run, client, `EXECUTE d_${suffix}`);
        assert.equal(executed?.code, '42501', 'a name never prepared through Airlock is unknown: strictest');
        assert.equal(await count(), 3);

        // A bounded DELETE prepared and executed by name runs (it is what the rules allow).
        await run(client, `PREPARE b_${suffix} AS DELETE FROM items WHERE id = 99`);
        await run(client, `EXECUTE b_${suffix}`);

        // Deallocated, then prepared again: the server could still hold either body, so the name is
        // ambiguous and EXECUTE gets the strictest outcome; nothing runs.
        await run(client, `DEALLOCATE r_${suffix}`);
        await run(client, `PREPARE r_${suffix} AS SELECT 1`);
        const ambiguous = await failure(run, client, `EXECUTE r_${suffix}`);
        assert.equal(ambiguous?.code, '42501');
        assert.match(ambiguous?.message ?? '', /blocked by airlock/);

        // A PREPARE the server rejects creates nothing: correcting it does not make the name ambiguous.
        const typo = await failure(run, client, `PREPARE t_${suffix} AS SELECT nope FROM items`);
        assert.equal(typo?.code, '42703');
        await run(client, `PREPARE t_${suffix} AS SELECT id FROM items WHERE id = 2`);
        assert.deepEqual((await run(client, `EXECUTE t_${suffix}`)).rows, [{ id: 2 }]);

        // The session is still usable and the table untouched.
        assert.equal((await run(client, 'SELECT 1 AS one')).rows[0].one, 1);
        assert.equal(await count(), 3);
      } finally {
        await client.end();
      }
    });
  }

  test('DISCARD ALL makes every name ambiguous', async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
    await client.connect();
    try {
      await client.query('PREPARE q AS SELECT 1 AS one');
      assert.equal((await client.query('EXECUTE q')).rows[0].one, 1);
      await client.query('DISCARD ALL');
      await client.query('PREPARE q AS SELECT 2 AS one');
      const err = await failure(simple, client, 'EXECUTE q');
      assert.equal(err?.code, '42501');
    } finally {
      await client.end();
    }
  });
});
