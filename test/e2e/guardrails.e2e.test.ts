/**
 * The guardrail corpus (src/protocols/postgres/classify/corpus.ts, the example guardrails)
 * through Airlock to a real PostgreSQL, over psql (simple protocol) and node-postgres (extended
 * protocol). A blocked text must come back as 42501 "blocked by airlock: <rule>: ..." and leave the
 * database exactly as it was (tables, columns, privileges, row counts); an allowed text must not be
 * blocked by Airlock (PostgreSQL may still reject it on its own).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { CORPUS, CORPUS_SETUP_SQL } from '../../src/protocols/postgres/classify/corpus.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

/** Tables, column counts, privileges and exact row counts of the public schema. */
const FINGERPRINT = `select coalesce(string_agg(format('%s/%s/%s/%s', c.relname,
  (select count(*) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
  coalesce(c.relacl::text, '-'),
  (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from public.%I', c.relname), false, true, '')))[1]::text),
  ',' order by c.relname), '') from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind = 'r'`;

const GUARDED = appConnection(
  'guarded',
  `    access: [group:agents]
    guardrails:
      deny: [drop, truncate, alter, grant, revoke, copy-program, unbounded-delete, unbounded-update]
      review: [delete, update]
      onUnparsed: deny
`,
);

/**
 * Texts a client can put on the wire: PostgreSQL strings end at NUL, so a text with a NUL byte can
 * be neither typed into psql nor sent in a Query/Parse (the codec refuses such frames as protocol
 * violations; the fuzz test covers that). The classifier's own corpus test still decides them.
 */
const WIRE_CORPUS = CORPUS.filter((c) => !c.sql.includes('\0'));

interface Outcome {
  readonly blocked: boolean;
  readonly message: string;
}

describe('guardrail corpus through Airlock to a real PostgreSQL', () => {
  let h: AirlockHarness;
  let token: string;

  before(async () => {
    // The guarded connection's port is the cluster's, known only once the harness made it: the
    // harness config is written with a placeholder the cluster fills in.
    h = await startAirlock({ extraConnections: GUARDED, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(`set role app; ${CORPUS_SETUP_SQL}`, 'app');
    token = await h.server.createToken({ name: 'corpus-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
  });

  const fingerprint = () => h.cluster.psql(FINGERPRINT, 'app');

  async function viaPsql(sql: string): Promise<Outcome> {
    const pgAddr = h.server.addresses.postgres!;
    const child = execFile(
      'psql',
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
        `host=${pgAddr.host} port=${pgAddr.port} dbname=guarded user=x sslmode=disable`,
      ],
      { env: { ...process.env, PGPASSWORD: token, PGOPTIONS: '-c statement_timeout=5000' }, timeout: 15_000 },
    );
    // COPY ... FROM STDIN reads psql's standard input: give it an empty one, never a pipe left open.
    child.stdin?.end();
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { blocked: code !== 0 && stderr.includes('blocked by airlock:'), message: stderr };
  }

  async function check(transport: string, run: (sql: string) => Promise<Outcome>) {
    const wrong: string[] = [];
    const counts = { blocked: 0, allowed: 0 };
    for (const c of WIRE_CORPUS) {
      // psql runs a leading backslash as its own meta-command (\d becomes catalog queries), so
      // such a text never reaches a server as typed; the extended run still sends it verbatim.
      if (transport === 'psql' && c.sql.trimStart().startsWith('\\')) continue;
      const expectBlock = c.verdict !== 'allow';
      const before = expectBlock ? await fingerprint() : '';
      const outcome = await run(c.sql);
      if (outcome.blocked) counts.blocked++;
      else counts.allowed++;
      if (outcome.blocked !== expectBlock) {
        wrong.push(
          `${transport}: expected ${c.verdict}, ${outcome.blocked ? 'blocked' : 'ran'}: ${c.sql}\n${outcome.message}`,
        );
      } else if (expectBlock && (await fingerprint()) !== before) {
        wrong.push(`${transport}: blocked but the database changed: ${c.sql}`);
      }
    }
    assert.deepEqual(wrong, []);
    return counts;
  }

  test(`all ${WIRE_CORPUS.length} wire-sendable corpus texts through psql (simple protocol)`, async () => {
    const counts = await check('psql', viaPsql);
    assert.ok(counts.blocked > 100 && counts.allowed > 50, JSON.stringify(counts));
  });

  test(`all ${WIRE_CORPUS.length} wire-sendable corpus texts through node-postgres (extended protocol), one session throughout`, async () => {
    const client = new pg.Client({ connectionString: h.url(token, 'guarded') });
    await client.connect();
    await client.query('set statement_timeout = 5000');
    try {
      const counts = await check('extended', async (sql) => {
        try {
          await client.query({ text: sql, values: [] });
          return { blocked: false, message: '' };
        } catch (err) {
          const e = err as { code?: string; message: string };
          return {
            blocked: e.code === '42501' && e.message.startsWith('blocked by airlock:'),
            message: e.message,
          };
        } finally {
          // A text that opened a transaction must not carry it into the next case, nor a name it
          // prepared (Airlock judges a later EXECUTE of it by that body; after DEALLOCATE ALL every
          // name is unknown again, as each corpus text expects).
          await client.query('rollback').catch(() => {});
          await client.query('deallocate all').catch(() => {});
        }
      });
      assert.ok(counts.blocked > 100, JSON.stringify(counts));
    } finally {
      await client.end();
    }
  });
});
