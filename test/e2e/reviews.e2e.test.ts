/**
 * The review gate end to end, with psql and node-postgres through Airlock to a real PostgreSQL:
 * a stale access review holds the first statement (the client sees the notice, no upstream backend
 * is used), the CLI (--config: the store and the change feed) approves or denies it, the statement
 * then runs or fails with 42501 / 57014 carrying the request id; fallback steps, self-approval and
 * agent approvers refused, N-of-M, per-command approvals (single use and window), JIT requests,
 * grants with scopes, and 200 held clients at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const REVIEWS = `    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 3s
      onStale: hold
      fallback:
        - { after: 1s, approvers: [group:sre] }
      then: deny`;

function connection(name: string, extra: string): string {
  return appConnection(name, `    access: [group:agents, { who: group:readers, scope: read }]\n${extra}\n`);
}

const CONNECTIONS = [
  connection('reviewed', REVIEWS),
  connection(
    'nofm',
    REVIEWS.replace('approvers: [group:dba]\n', 'approvers: [group:dba]\n      minApprovals: 2\n'),
  ),
  connection('guarded', `${REVIEWS}\n    guardrails:\n      review: [delete]`),
  connection('graceful', REVIEWS.replace('then: deny', 'then: deny\n      grace: 3d')),
  connection('strict', REVIEWS.replace('onStale: hold', 'onStale: deny')),
  // Longer steps than the others: a loaded machine must not reach the fallback step by accident.
  connection('fallback', REVIEWS.replace('wait: 3s', 'wait: 15s').replace('after: 1s', 'after: 4s')),
  // The 200-client test waits on conditions, not on a clock: its request must outlive a slow run.
  connection('swarm', REVIEWS.replace('wait: 3s', 'wait: 5m').replace(/\n +fallback:\n.*\n/, '\n')),
].join('');

/** How long the 200-client test may take to see every client held before it fails. */
const SWARM_DEADLINE_MS = 60_000;

interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('the review gate through Airlock to a real PostgreSQL', () => {
  let h: AirlockHarness;
  const tokens: Record<string, string> = {};

  before(async () => {
    h = await startAirlock({ extraConnections: CONNECTIONS, upstreamPortPlaceholder: 'PORT' });
    await h.cluster.psql(
      'create table items (id int primary key, name text); insert into items select g, $$item $$ || g from generate_series(1, 10) g; grant all on items to app',
      'app',
    );
    await h.cluster.psql('alter table items owner to app', 'app');
    for (const [name, groups, kind] of [
      ['dana', ['dba'], 'human'],
      ['eve', ['dba'], 'human'],
      ['sam', ['sre'], 'human'],
      ['ops-bot', ['dba'], 'agent'],
      ['visitor', [], 'agent'],
    ] as const) {
      tokens[name] = await h.server.createToken({ name, groups: [...groups], kind });
    }
  });
  after(async () => {
    await h?.stop();
  });

  async function agent(name: string, groups: string[] = ['agents']): Promise<string> {
    tokens[name] ??= await h.server.createToken({ name, groups, kind: 'agent' });
    return tokens[name]!;
  }

  function psql(token: string, db: string, sql: string): Promise<PsqlResult> {
    const addr = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
          '-v',
          'VERBOSITY=verbose',
          '-At',
          '-c',
          sql,
          `host=${addr.host} port=${addr.port} dbname=${db} user=x sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function client(
    token: string,
    db: string,
    connectionTimeoutMillis = 5000,
  ): Promise<{ c: pg.Client; notices: string[] }> {
    const c = new pg.Client({ connectionString: h.url(token, db), connectionTimeoutMillis });
    const notices: string[] = [];
    c.on('notice', (n) => notices.push(n.message ?? ''));
    await c.connect();
    return { c, notices };
  }

  /** The newest pending request of `requester`, polled through the CLI (as an admin would). */
  async function pendingOf(requester: string, kind = 'review'): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const listed = await h.cli(['approvals', 'list', '--status', 'pending', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const found = (
        JSON.parse(listed.stdout) as { id: number; kind: string; requester: { subject: string } }[]
      ).find((r) => r.requester.subject === requester && r.kind === kind);
      if (found) return found.id;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending ${kind} request of ${requester}`);
  }

  function approve(id: number, as: string, ...extra: string[]) {
    return h.cli([
      'approvals',
      'approve',
      String(id),
      '--reason',
      `ok from ${as}`,
      '--token',
      tokens[as]!,
      ...extra,
    ]);
  }

  test('stale review: held at the first statement, approved from the CLI, the statement runs, audit shows the reviewer', async () => {
    const token = await agent('bot-1');
    const running = psql(token, 'reviewed', 'select count(*) from items');
    const id = await pendingOf('bot-1');
    // Held: no upstream backend serves this session yet.
    const backends = await h.cluster.psql(
      `select count(*) from pg_stat_activity where datname = 'app' and usename = 'app' and application_name = 'psql'`,
    );
    assert.equal(backends.trim(), '0');
    const shown = await h.cli(['approvals', 'show', String(id)]);
    assert.match(shown.stdout, /requester: bot-1 \(agent\)/);
    assert.match(shown.stdout, /waiting for: group:dba/);
    assert.match(shown.stdout, /evidence \(30 days\)/);
    const approved = await approve(id, 'dana');
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`request ${id} approved`));
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '10');
    assert.match(
      result.stderr,
      new RegExp(
        `access review required: request ${id} is waiting for group:dba \\(approve: airlock approvals approve ${id}\\)`,
      ),
    );
    // Fresh now: the next session runs at once.
    const again = await psql(token, 'reviewed', 'select 1');
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /review required/);
    await h.server.flushAudit();
    const certs = await h.cli(['audit', 'search', '--type', 'certification.recorded', '--json']);
    const cert = (
      JSON.parse(certs.stdout) as {
        rootSubject: string;
        reviewers: string[];
        request: number;
        sessionId: string;
      }[]
    ).find((c) => c.request === id);
    assert.ok(cert, certs.stdout);
    assert.deepEqual(cert.reviewers, ['dana']);
    assert.equal(cert.rootSubject, 'bot-1');
    const sessions = await h.cli(['sessions', 'list', '--identity', 'bot-1', '--json']);
    assert.ok((JSON.parse(sessions.stdout) as { id: string }[]).some((s) => s.id === cert.sessionId));
  });

  test('denied: 42501 with the request id in the detail', async () => {
    const token = await agent('bot-2');
    const running = psql(token, 'reviewed', 'select 1');
    const id = await pendingOf('bot-2');
    const denied = await h.cli([
      'approvals',
      'deny',
      String(id),
      '--reason',
      'not this week',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(denied.code, 0, denied.stderr);
    const result = await running;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ERROR:\s+42501: request \d+ was denied: not this week/);
    assert.match(result.stderr, new RegExp(`DETAIL:\\s+request: ${id}`));
  });

  test('timed out: 57014 with the request id; approve later, retry in the same session', async () => {
    const token = await agent('bot-3');
    const { c, notices } = await client(token, 'reviewed');
    try {
      const started = Date.now();
      await assert.rejects(c.query('select 42 as n'), (err: { code: string; detail: string }) => {
        assert.equal(err.code, '57014');
        assert.match(err.detail, /^request: \d+$/);
        return true;
      });
      assert.ok(Date.now() - started >= 2900, 'held for the configured wait');
      const id = Number(/request (\d+)/.exec(notices[0] ?? '')?.[1]);
      // The request outlives the client's wait (its last step lasts another second): still approvable.
      const approved = await approve(id, 'dana');
      assert.equal(approved.code, 0, approved.stderr);
      const waited = await h.cli([
        'approvals',
        'wait',
        String(id),
        '--timeout',
        '5s',
        '--token',
        tokens['bot-3']!,
      ]);
      assert.equal(waited.code, 0, waited.stderr);
      const { rows } = await c.query('select 42 as n');
      assert.equal(rows[0].n, 42);
    } finally {
      await c.end();
    }
  });

  test('fallback: sre may approve only once its step started; self and agent approvals refused', async () => {
    const token = await agent('bot-4', ['agents', 'dba']);
    const running = psql(token, 'fallback', 'select 2');
    const id = await pendingOf('bot-4');
    const shown = await h.cli(['approvals', 'show', String(id), '--json']);
    const stepStarts = Date.parse((JSON.parse(shown.stdout) as { createdAt: string }).createdAt) + 4000;
    const self = await h.cli(['approvals', 'approve', String(id), '--token', token]);
    assert.equal(self.code, 3);
    assert.match(self.stderr, /cannot decide it/);
    const bot = await approve(id, 'ops-bot');
    assert.equal(bot.code, 3);
    assert.match(bot.stderr, /only people decide approval requests/);
    const asked = Date.now();
    const early = await approve(id, 'sam');
    if (asked < stepStarts - 200) {
      assert.notEqual(early.code, 0, 'sre approved before its fallback step');
      assert.match(early.stderr, /not an approver of request/);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, stepStarts + 200 - Date.now())));
    const late = early.code === 0 ? early : await approve(id, 'sam');
    assert.equal(late.code, 0, late.stderr);
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '2');
  });

  test('N-of-M: two distinct dba approvals release the session', async () => {
    const token = await agent('bot-5');
    const running = psql(token, 'nofm', 'select 5');
    const id = await pendingOf('bot-5');
    const first = await approve(id, 'dana');
    assert.match(first.stdout, /still pending \(needs more approvers\)/);
    const twice = await approve(id, 'dana');
    assert.equal(twice.code, 4);
    const second = await approve(id, 'eve');
    assert.match(second.stdout, new RegExp(`request ${id} approved`));
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '5');
  });

  test('per-command approval: bound to the statement, single use; --window covers the action', async () => {
    const token = await agent('bot-6');
    const { c, notices } = await client(token, 'guarded');
    try {
      // The session's own review first.
      const review = c.query('select 1');
      await approve(await pendingOf('bot-6'), 'dana');
      await review;
      const held = c.query('delete from items where id = 1');
      const id = await pendingOf('bot-6', 'command');
      const shown = JSON.parse((await h.cli(['approvals', 'show', String(id), '--json'])).stdout) as {
        statement: string;
        paramsHash: string;
      };
      assert.equal(shown.statement, 'delete from items where id = 1');
      assert.match(shown.paramsHash, /^[0-9a-f]{64}$/);
      await approve(id, 'dana');
      assert.equal((await held).rowCount, 1);
      assert.ok(notices.some((n) => n.includes(`request ${id} is waiting for group:dba`)));
      // Single use: the same statement asks again.
      const again = c.query('delete from items where id = 1');
      const second = await pendingOf('bot-6', 'command');
      assert.notEqual(second, id);
      await approve(second, 'dana', '--window', '1h');
      assert.equal((await again).rowCount, 0);
      // The window covers other deletes of this identity on this connection.
      const windowed = await c.query('delete from items where id = 2');
      assert.equal(windowed.rowCount, 1);
      await h.server.flushAudit();
      const commands = JSON.parse(
        (await h.cli(['audit', 'search', '--identity', 'bot-6', '--type', 'command', '--json'])).stdout,
      ) as {
        text: string;
        decision: string;
        approval?: number;
        approvedBy?: string[];
      }[];
      const first = commands.find((e) => e.approval === id);
      assert.ok(first);
      assert.equal(first.decision, 'allow');
      assert.deepEqual(first.approvedBy, ['dana']);
    } finally {
      await c.end();
    }
  });

  test('extended protocol: the first batch is held for review, a held Execute waits for its approval', async () => {
    const token = await agent('bot-10');
    const { c } = await client(token, 'guarded');
    try {
      const first = c.query('select $1::int as n', [5]);
      await approve(await pendingOf('bot-10'), 'dana');
      assert.equal((await first).rows[0].n, 5);
      const held = c.query('delete from items where id = $1', [4]);
      const id = await pendingOf('bot-10', 'command');
      const shown = JSON.parse((await h.cli(['approvals', 'show', String(id), '--json'])).stdout) as {
        statement: string;
      };
      assert.equal(shown.statement, 'delete from items where id = $1');
      await approve(id, 'dana');
      assert.equal((await held).rowCount, 1);
      // The same text with other parameters is another statement: held again, and denied this time.
      const other = c.query('delete from items where id = $1', [5]);
      const second = await pendingOf('bot-10', 'command');
      assert.notEqual(second, id);
      await h.cli([
        'approvals',
        'deny',
        String(second),
        '--reason',
        'one is enough',
        '--token',
        tokens.dana!,
      ]);
      await assert.rejects(other, (err: { code: string }) => err.code === '42501');
      const { rows } = await c.query('select count(*)::int as n from items where id in (4, 5)');
      assert.equal(rows[0].n, 1);
    } finally {
      await c.end();
    }
  });

  test('per-command denial and the connection without reviews keep refusing', async () => {
    const token = await agent('bot-7');
    const { c } = await client(token, 'guarded');
    try {
      const review = c.query('select 1');
      await approve(await pendingOf('bot-7'), 'dana');
      await review;
      const held = c.query('delete from items where id = 3');
      const id = await pendingOf('bot-7', 'command');
      await h.cli(['approvals', 'deny', String(id), '--reason', 'no', '--token', tokens.dana!]);
      await assert.rejects(
        held,
        (err: { code: string; detail: string }) => err.code === '42501' && err.detail === `request: ${id}`,
      );
      const { rows } = await c.query('select count(*)::int as n from items where id = 3');
      assert.equal(rows[0].n, 1, 'nothing ran');
    } finally {
      await c.end();
    }
  });

  test('JIT request → time-boxed read grant; read scope refuses writes and runs read-only upstream', async () => {
    const refused = await psql(tokens.visitor!, 'reviewed', 'select 1');
    assert.match(refused.stderr, /has no access to connection/);
    const requested = await h.cli([
      'request',
      '--connection',
      'reviewed',
      '--scope',
      'read',
      '--reason',
      'incident 7',
      '--ttl',
      '1h',
      '--token',
      tokens.visitor!,
    ]);
    assert.equal(requested.code, 0, requested.stderr);
    const id = Number(requested.stdout.trim().split('\n').at(-1));
    assert.match(requested.stdout, new RegExp(`request ${id} is waiting for group:dba`));
    await approve(id, 'dana');
    const grants = JSON.parse(
      (await h.cli(['grant', 'list', '--connection', 'reviewed', '--json'])).stdout,
    ) as {
      principal: string;
      scope: string;
      source: string;
      grantedBy: string;
      expiresAt: string;
      lastUsedAt: string | null;
    }[];
    const grant = grants.find((g) => g.principal === 'user:visitor');
    assert.ok(grant);
    assert.equal(grant.source, 'jit');
    assert.equal(grant.grantedBy, 'dana');
    assert.equal(grant.scope, 'read');
    const read = await psql(tokens.visitor!, 'reviewed', 'select count(*) from items');
    assert.equal(read.code, 0, read.stderr);
    const write = await psql(tokens.visitor!, 'reviewed', 'insert into items values (100, $$x$$)');
    assert.match(
      write.stderr,
      /42501: blocked by airlock: scope read: sql.insert is outside your read access/,
    );
    const readOnly = await psql(tokens.visitor!, 'reviewed', 'show default_transaction_read_only');
    assert.equal(readOnly.stdout.trim(), 'on');
  });

  test('grant create, list and revoke from the CLI', async () => {
    const created = await h.cli([
      'grant',
      'create',
      '--connection',
      'appdb',
      '--group',
      'analysts',
      '--scope',
      'read',
      '--reason',
      'quarterly report',
      '--ttl',
      '30d',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim().split('\n').at(-1)!;
    assert.match(id, /^g[0-9a-f]{10}$/);
    const token = await h.server.createToken({ name: 'analyst-1', groups: ['analysts'], kind: 'agent' });
    const read = await psql(token, 'appdb', 'select 7');
    assert.equal(read.stdout.trim(), '7');
    const listed = JSON.parse((await h.cli(['grant', 'list', '--json'])).stdout) as {
      id: string;
      grantedBy: string;
      reason: string;
      lastUsedAt: string | null;
    }[];
    const grant = listed.find((g) => g.id === id);
    assert.equal(grant?.grantedBy, 'operator');
    assert.equal(grant?.reason, 'quarterly report');
    assert.ok(grant?.lastUsedAt, 'last use recorded');
    const revoked = await h.cli(['grant', 'revoke', id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await psql(token, 'appdb', 'select 7');
    assert.match(after.stderr, /has no access to connection/);
  });

  test('through the REST API (--server): list, show, approve wakes the held client in-process', async () => {
    const token = await agent('bot-8');
    const api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    const running = psql(token, 'reviewed', 'select 8');
    const id = await pendingOf('bot-8');
    // The agent sees its own request; an approver sees what it may decide.
    const own = await h.cli([
      '--server',
      api,
      '--token',
      token,
      'approvals',
      'list',
      '--status',
      'pending',
      '--json',
    ]);
    assert.ok(
      (JSON.parse(own.stdout) as { id: number }[]).some((r) => r.id === id),
      own.stderr,
    );
    const stranger = await h.cli([
      '--server',
      api,
      '--token',
      tokens.visitor!,
      'approvals',
      'show',
      String(id),
    ]);
    assert.equal(stranger.code, 4, 'hidden from identities that neither made nor may decide it');
    const refused = await h.cli(['--server', api, '--token', token, 'approvals', 'approve', String(id)]);
    assert.equal(refused.code, 3);
    const started = Date.now();
    const approved = await h.cli([
      '--server',
      api,
      '--token',
      tokens.dana!,
      'approvals',
      'approve',
      String(id),
      '--reason',
      'api',
    ]);
    assert.equal(approved.code, 0, approved.stderr);
    const result = await running;
    assert.equal(result.stdout.trim(), '8', result.stderr);
    assert.ok(Date.now() - started < 1000, 'woken within a second');
  });

  test('within grace: allowed with a WARNING; onStale deny: refused at connect with the request id', async () => {
    const token = await agent('bot-9');
    await h.server.store.db
      .insertInto('certifications')
      .values({
        root_subject: 'bot-9',
        connection: 'graceful',
        scope: 'admin',
        reviewers: '["dana"]',
        reason: null,
        evidence: null,
        request_id: null,
        valid_until: new Date(Date.now() - 3600_000).toISOString(),
        created_at: new Date(Date.now() - 31 * 86_400_000).toISOString(),
      })
      .execute();
    const graced = await psql(token, 'graceful', 'select 9');
    assert.equal(graced.stdout.trim(), '9', graced.stderr);
    assert.match(graced.stderr, /WARNING:\s+access review of "bot-9" on "graceful" expired at/);
    const strict = await psql(token, 'strict', 'select 1');
    assert.notEqual(strict.code, 0);
    assert.match(
      strict.stderr,
      /FATAL:\s+access review required: "bot-9" has no recent review of "strict"; request (\d+) is waiting for group:dba/,
    );
    assert.match(strict.stderr, /DETAIL:\s+request: \d+/);
  });

  /** The server's `airlock_held_requests` gauge: statements waiting for a reviewer now. */
  async function heldNow(): Promise<number> {
    const { host, port } = h.server.addresses.api;
    const text = await (await fetch(`http://${host}:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('airlock_held_requests '));
    return Number(line?.split(' ')[1] ?? 0);
  }

  /** Polls `check` every 50 ms until it holds; fails with `describe()` once `deadline` passes. */
  async function until(check: () => Promise<boolean> | boolean, deadline: number, describe: () => string) {
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`gave up waiting: ${describe()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('200 held clients: one request, no upstream backends, little CPU, all released by one decision', async () => {
    const token = await agent('swarm');
    const deadline = Date.now() + SWARM_DEADLINE_MS;
    const clients = await Promise.all(Array.from({ length: 200 }, () => client(token, 'swarm', 30_000)));
    try {
      const queries = clients.map(({ c }) =>
        c.query('select 1 as one').then(
          () => 'ok',
          (err: { code: string }) => err.code,
        ),
      );
      const id = await pendingOf('swarm');
      // Every client is held (the gauge counts held statements) and has been told why.
      let held = 0;
      const told = () => clients.filter(({ notices }) => notices.some((n) => n.includes(`request ${id}`)));
      await until(
        async () => {
          held = await heldNow();
          return held >= 200 && told().length === 200;
        },
        deadline,
        () => `${held} of 200 statements held, ${told().length} of 200 clients told about request ${id}`,
      );
      const pending = JSON.parse(
        (await h.cli(['approvals', 'list', '--status', 'pending', '--json'])).stdout,
      ) as { id: number; requester: { subject: string } }[];
      assert.deepEqual(
        pending.filter((r) => r.requester.subject === 'swarm').map((r) => r.id),
        [id],
        'one request for all 200 holds',
      );
      const backends = await h.cluster.psql(`select count(*) from pg_stat_activity where datname = 'app'`);
      assert.ok(Number(backends.trim()) <= 2, `held clients use no backends (${backends.trim()})`);
      const cpuBefore = process.cpuUsage();
      await new Promise((r) => setTimeout(r, 1000));
      const cpu = process.cpuUsage(cpuBefore);
      console.log(
        `# 200 held clients: ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU in 1 s (test process: Airlock and the 200 clients)`,
      );
      assert.ok(
        (cpu.user + cpu.system) / 1000 < 150,
        `held clients cost little CPU (${(cpu.user + cpu.system) / 1000} ms in 1 s)`,
      );
      await h.cli(['approvals', 'deny', String(id), '--reason', 'swarm', '--token', tokens.dana!]);
      const outcomes = await Promise.all(queries);
      assert.deepEqual(new Set(outcomes), new Set(['42501']));
    } finally {
      await Promise.all(clients.map(({ c }) => c.end().catch(() => {})));
    }
  });
});
