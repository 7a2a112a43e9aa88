/**
 * End to end with real clients: psql and pgbench through Airlock to a throwaway PostgreSQL, the CLI
 * both ways (--config and --server), the REST API, TLS, and the audit trail with its hash chain.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const execFileAsync = promisify(execFile);

async function psql(h: AirlockHarness, token: string, args: string[], sslmode = 'require') {
  const pgAddr = h.server.addresses.postgres!;
  return execFileAsync(
    'psql',
    [
      '-X',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      `host=${pgAddr.host} port=${pgAddr.port} dbname=appdb user=anyname sslmode=${sslmode}`,
      ...args,
    ],
    { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' } },
  );
}

describe('PostgreSQL through Airlock, end to end', () => {
  let h: AirlockHarness;
  let agent: string;
  let admin: string;
  let auditor: string;

  before(async () => {
    h = await startAirlock();
    const created = await h.cli([
      'token',
      'create',
      '--name',
      'e2e-agent',
      '--group',
      'agents',
      '--kind',
      'agent',
      '--ttl',
      '1h',
    ]);
    assert.equal(created.code, 0, created.stderr);
    agent = created.stdout.trim().split('\n').at(-1)!;
    admin = await h.server.createToken({ name: 'e2e-admin', groups: ['platform'], kind: 'human' });
    auditor = await h.server.createToken({ name: 'e2e-auditor', groups: ['security'], kind: 'human' });
  });
  after(async () => {
    await h?.stop();
  });

  test('token create prints the token as the last line, and list never shows secrets', async () => {
    assert.match(agent, /^alk_/);
    const list = await h.cli(['token', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const tokens = JSON.parse(list.stdout) as { name: string; groups: string[] }[];
    assert.ok(tokens.some((t) => t.name === 'e2e-agent' && t.groups.includes('agents')));
    assert.ok(!list.stdout.includes(agent.split('_')[2]!), 'no token secret in the listing');
  });

  test('psql -c over TLS and in clear from loopback', async () => {
    const tls = await psql(h, agent, [
      '-c',
      "select 'over tls', ssl from pg_stat_ssl where pid = pg_backend_pid()",
    ]);
    assert.match(tls.stdout, /over tls\|f/); // Airlock terminates TLS; its upstream leg is plain here
    const clear = await psql(h, agent, ['-c', 'select 40 + 2'], 'disable');
    assert.equal(clear.stdout.trim(), '42');
  });

  test('psql runs a script from stdin with several statements, COPY and a notice', async () => {
    const script = [
      'create table if not exists items (id int primary key, label text);',
      "insert into items values (1, 'one'), (2, 'two');",
      '\\copy items to stdout',
      "do $$ begin raise notice 'hello from do'; end $$;",
      'select count(*) from items;',
    ].join('\n');
    const pgAddr = h.server.addresses.postgres!;
    const child = execFile(
      'psql',
      [
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        `host=${pgAddr.host} port=${pgAddr.port} dbname=appdb user=x sslmode=require`,
      ],
      { env: { ...process.env, PGPASSWORD: agent } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.stdin?.end(script);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /1\tone\n2\ttwo/);
    assert.match(stderr, /NOTICE: {2}hello from do/);
    assert.match(stdout, /\n2\n?$/);
  });

  test('the target refuses a direct connection without the held password', async () => {
    const direct = new pg.Client({
      host: '127.0.0.1',
      port: h.cluster.port,
      user: 'app',
      database: 'app',
      password: agent,
    });
    await assert.rejects(direct.connect(), /password authentication failed/);
  });

  test('pgbench runs through Airlock, simple and prepared', async () => {
    const pgAddr = h.server.addresses.postgres!;
    const env = { ...process.env, PGPASSWORD: agent, PGSSLMODE: 'disable' };
    const conn = ['-h', pgAddr.host, '-p', String(pgAddr.port), '-U', 'bench', 'appdb'];
    await execFileAsync('pgbench', ['-i', '-s', '1', '-q', ...conn], { env });
    for (const mode of ['simple', 'prepared']) {
      const { stdout } = await execFileAsync('pgbench', ['-S', '-M', mode, '-c', '4', '-t', '50', ...conn], {
        env,
      });
      assert.match(stdout, /number of transactions actually processed: 200\/200/, mode);
    }
  });

  test('connections list shows what the caller may use and the exact psql command', async () => {
    const asAgent = await h.cli(['--server', apiUrl(h), '--token', agent, 'connections', 'list', '--json']);
    assert.equal(asAgent.code, 0, asAgent.stderr);
    const list = JSON.parse(asAgent.stdout) as { name: string; connect: string; access?: string[] }[];
    assert.deepEqual(list.map((c) => c.name).sort(), ['appdb', 'nowhere']);
    assert.equal(list[0]?.access, undefined, 'agents do not see access lists');
    assert.match(
      list.find((c) => c.name === 'appdb')!.connect,
      /psql "host=127\.0\.0\.1 port=\d+ dbname=appdb user=e2e-agent sslmode=require"/,
    );
    const human = await h.cli(['connections', 'list']);
    assert.match(human.stdout, /appdb\s+postgres\s+env=test/);
  });

  test('the CLI through the API acts as its token and is checked as that identity', async () => {
    const denied = await h.cli(['--server', apiUrl(h), '--token', agent, 'token', 'list']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /needs the admin or auditor role/);
    const created = await h.cli([
      '--server',
      apiUrl(h),
      '--token',
      admin,
      'token',
      'create',
      '--name',
      'via-api',
      '--group',
      'agents',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim().split('\n').at(-1)!;
    const { stdout } = await psql(h, token, ['-c', 'select current_user']);
    assert.equal(stdout.trim(), 'app', 'the session runs as the held upstream role');
    const listed = await h.cli(['--server', apiUrl(h), '--token', auditor, 'token', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const revoke = await h.cli(['--server', apiUrl(h), '--token', auditor, 'token', 'revoke', 'via-api']);
    assert.notEqual(revoke.code, 0, 'auditors are read-only');
  });

  test('the API answers problem+json, serves OpenAPI, health and metrics', async () => {
    const base = apiUrl(h);
    const anonymous = await fetch(`${base}/api/v1/tokens`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await anonymous.json()) as { code: string; action: string };
    assert.equal(problem.code, 'ERR_UNAUTHENTICATED');
    const forbidden = await fetch(`${base}/api/v1/audit/events`, {
      headers: { authorization: `Bearer ${agent}` },
    });
    assert.equal(forbidden.status, 403);
    const openapi = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.ok(openapi.paths['/api/v1/tokens'] && openapi.paths['/api/v1/audit/events']);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /airlock_sessions_total\{protocol="postgres",outcome="success",code=""\} \d+/);
    assert.match(metrics, /airlock_statements_total\{outcome="allow"\} \d+/);
    assert.match(metrics, /airlock_decision_seconds_bucket/);
    assert.match(metrics, /airlock_relay_seconds_bucket/);
    assert.match(metrics, /airlock_sessions_open\{protocol="postgres"\} \d+/);
  });

  test('sessions list and audit search filter by identity, connection, type and time', async () => {
    await psql(h, agent, ['-c', "select 'audited statement'"]);
    await h.server.flushAudit();
    const sessions = await h.cli(['sessions', 'list', '--identity', 'e2e-agent', '--json']);
    const rows = JSON.parse(sessions.stdout) as {
      subject: string;
      connection: string;
      statements: number;
      endedAt: string | null;
    }[];
    assert.ok(rows.length >= 2 && rows.every((r) => r.subject === 'e2e-agent' && r.connection === 'appdb'));
    const found = await h.cli([
      'audit',
      'search',
      '--identity',
      'e2e-agent',
      '--type',
      'command',
      '--since',
      '1h',
      '--json',
    ]);
    const commands = JSON.parse(found.stdout) as { text: string; identity: { subject: string } }[];
    assert.ok(commands.some((c) => c.text.includes("'audited statement'")));
    const byGroup = await h.cli(['audit', 'search', '--group', 'agents', '--connection', 'appdb', '--json']);
    assert.ok((JSON.parse(byGroup.stdout) as unknown[]).length > 0);
    const future = await h.cli(['audit', 'search', '--since', '2099-01-01T00:00:00Z', '--json']);
    assert.deepEqual(JSON.parse(future.stdout), []);
    const bad = await h.cli(['audit', 'search', '--since', 'yesterday-ish']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since: expected an ISO time/);
  });

  test('bound parameters of the extended protocol are audited, password literals are not', async () => {
    const client = new pg.Client({ connectionString: h.url(agent) });
    await client.connect();
    await client.query('select $1::text as p', ['param-value-1']);
    await client.query("select 'x' where 'password' = 'PASSWORD ''not-a-secret'''");
    await client
      .query("do $$ begin execute 'create role tmp_role password ''s3cr3t-literal'''; end $$")
      .catch(() => {});
    await client.end();
    await h.server.flushAudit();
    const found = await h.cli(['audit', 'search', '--identity', 'e2e-agent', '--type', 'command', '--json']);
    assert.ok(found.stdout.includes('param-value-1'));
    // app may not alter another role: the statement fails upstream, but it was journaled first.
    await assert.rejects(
      psql(h, agent, ['-c', "alter role stranger password 'rotated-by-agent'"]),
      /permission denied/,
    );
    await h.server.flushAudit();
    const after = await h.cli(['audit', 'search', '--type', 'command', '--json']);
    assert.ok(!after.stdout.includes('rotated-by-agent'), 'ALTER ROLE ... PASSWORD literal redacted');
  });

  test('audit verify passes, then names the first edited event and detects truncation', async () => {
    await h.server.flushAudit();
    const ok = await h.cli(['audit', 'verify']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit chain OK/);
    const db = new Database(`${h.dir}/airlock.db`);
    try {
      const victim = db
        .prepare("select node, seq, record from audit_events where type = 'command' order by seq limit 1")
        .get() as {
        node: string;
        seq: number;
        record: string;
      };
      db.prepare('update audit_events set record = ? where node = ? and seq = ?').run(
        victim.record.replace('select', 'SELECT'),
        victim.node,
        victim.seq,
      );
      const edited = await h.cli(['audit', 'verify']);
      assert.notEqual(edited.code, 0);
      assert.match(edited.stderr, new RegExp(`${victim.node}#${victim.seq}`));
      db.prepare('update audit_events set record = ? where node = ? and seq = ?').run(
        victim.record,
        victim.node,
        victim.seq,
      );
      assert.equal((await h.cli(['audit', 'verify'])).code, 0);
      const last = db.prepare("select max(seq) as seq from audit_events where node = 'e2e'").get() as {
        seq: number;
      };
      const saved = db
        .prepare("select * from audit_events where node = 'e2e' and seq = ?")
        .get(last.seq) as Record<string, unknown>;
      db.prepare("delete from audit_events where node = 'e2e' and seq = ?").run(last.seq);
      const truncated = await h.cli(['audit', 'verify']);
      assert.notEqual(truncated.code, 0);
      assert.match(truncated.stderr, /e2e#/);
      const columns = Object.keys(saved);
      db.prepare(
        `insert into audit_events (${columns.join(',')}) values (${columns.map(() => '?').join(',')})`,
      ).run(...columns.map((c) => saved[c]));
    } finally {
      db.close();
    }
  });
});

function apiUrl(h: AirlockHarness): string {
  const api = h.server.addresses.api;
  return `http://${api.host}:${api.port}`;
}
