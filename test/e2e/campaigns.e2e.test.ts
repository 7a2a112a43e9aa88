/**
 * Recertification campaigns end to end with psql and node-postgres through Airlock to a real
 * PostgreSQL (docs/reviews.md, Campaigns): usage evidence from the audit trail with delegates
 * grouped under their root, a narrowing suggestion, reviewer rules (agents and people reviewing
 * their own access refused), narrow (a write is then refused, a read works), certify (the next
 * session is not held), revoke (the live session ends within a second), overdue items getting
 * `onStale` (hold and deny), and the auditor report.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Clock } from '../../src/core/clock.js';
import type { CampaignItemView, CampaignReport, CampaignView } from '../../src/reviews/campaigns.js';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const DAY = 86_400_000;

function connection(name: string, onStale: 'hold' | 'deny'): string {
  return `  - name: ${name}
    type: postgres
    host: 127.0.0.1
    port: PGPORT
    database: app
    user: app
    password: { file: ./app-password }
    tls: { mode: disable }
    access: [group:agents]
    reviews:
      maxAge: 30d
      approvers: [group:dba]
      wait: 2s
      onStale: ${onStale}
`;
}

interface PsqlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    client.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('recertification campaigns', () => {
  let h: AirlockHarness;
  let api: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    h = await startAirlock({
      upstreamPortPlaceholder: 'PGPORT',
      extraConnections: connection('camp', 'hold') + connection('campdeny', 'deny'),
    });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    await h.cluster.psql(
      'create table items (id int primary key, name text); insert into items select g, $$item $$ || g from generate_series(1, 5) g; alter table items owner to app',
      'app',
    );
    for (const [name, groups, kind] of [
      ['dana', ['dba'], 'human'],
      ['dba-bot', ['dba'], 'agent'],
      ['worker', [], 'agent'],
      ['fresh-bot', ['agents'], 'agent'],
      ['live-bot', ['agents'], 'agent'],
      ['deny-bot', ['agents'], 'agent'],
    ] as const) {
      tokens[name] = await h.server.createToken({ name, groups: [...groups], kind, ttlMs: 90 * DAY });
    }
  });
  after(async () => {
    await h?.stop();
  });

  function psql(token: string, db: string, sql: string): Promise<PsqlResult> {
    const addr = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
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

  /** Opens a session (admitted, usage recorded) without running a statement. */
  async function connect(token: string, db: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: h.url(token, db), connectionTimeoutMillis: 5000 });
    await client.connect();
    return client;
  }

  /** Runs `sql` as `who`; its stale review is held, approved by dana, and the statement runs. */
  async function reviewedRun(who: string, db: string, sql: string): Promise<PsqlResult> {
    const running = psql(tokens[who]!, db, sql);
    for (let i = 0; i < 100; i++) {
      const listed = JSON.parse(
        (await h.cli(['approvals', 'list', '--status', 'pending', '--json'])).stdout,
      ) as {
        id: number;
        rootSubject: string;
      }[];
      const found = listed.find((r) => r.rootSubject === who);
      if (found) {
        const ok = await h.cli([
          'approvals',
          'approve',
          String(found.id),
          '--reason',
          'setup',
          '--token',
          tokens.dana!,
        ]);
        assert.equal(ok.code, 0, ok.stderr);
        return running;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending review of ${who}`);
  }

  function decide(item: number, as: string, ...args: string[]) {
    return h.cli(['reviews', 'decide', String(item), ...args, '--token', tokens[as]!]);
  }

  let campaign: CampaignView;
  let live: pg.Client;
  const item = (entry: RegExp, subject: string): CampaignItemView => {
    const found = campaign.items?.find((i) => entry.test(i.entry) && i.subject === subject);
    assert.ok(found, `no item for ${subject} ${entry}`);
    return found;
  };

  test('a campaign shows usage evidence, delegates under their root, and a narrowing suggestion', async () => {
    const granted = await h.cli([
      'grant',
      'create',
      '--connection',
      'camp',
      '--identity',
      'worker',
      '--scope',
      'write',
      '--reason',
      'etl',
    ]);
    assert.equal(granted.code, 0, granted.stderr);
    const first = await reviewedRun('worker', 'camp', 'select count(*) from items');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      (await psql(tokens.worker!, 'camp', 'select name from items where id = 1')).stdout.trim(),
      'item 1',
    );
    const made = await h.cli([
      '--server',
      api,
      'delegate',
      '--token',
      tokens.worker!,
      '--name',
      'worker-sub',
      '--scope',
      'camp:read',
    ]);
    assert.equal(made.code, 0, made.stderr);
    tokens['worker-sub'] = made.stdout.trim().split('\n').at(-1) ?? '';
    const sub = await psql(tokens['worker-sub'], 'camp', 'select count(*) from items');
    assert.equal(sub.code, 0, sub.stderr);
    (await connect(tokens['fresh-bot']!, 'camp')).end();
    live = await connect(tokens['live-bot']!, 'camp');
    await h.server.flushAudit();

    const created = await h.cli([
      'reviews',
      'campaign',
      'create',
      '--connections',
      'camp',
      '--reviewers',
      'group:dba',
      '--due',
      '14d',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    campaign = JSON.parse(created.stdout.slice(0, created.stdout.lastIndexOf('}') + 1)) as CampaignView;
    const worker = item(/^grant:/, 'worker');
    assert.equal(worker.scope, 'write');
    assert.equal(worker.suggestion, 'read');
    assert.deepEqual(worker.evidence.usedActions, ['sql.select']);
    assert.ok(worker.evidence.root.statementsByAction['sql.select']! >= 2);
    assert.deepEqual(
      worker.evidence.delegates.map((d) => [d.name, Object.keys(d.evidence.statementsByAction)]),
      [['worker-sub', ['sql.select']]],
    );
    assert.equal(item(/^access:group:agents$/, 'fresh-bot').suggestion, 'revoke');
    const shown = await h.cli(['reviews', 'campaign', 'show', String(campaign.id)]);
    assert.match(shown.stdout, /delegate worker-sub of worker used sql\.select/);
    const listed = await h.cli(['reviews', 'campaign', 'list', '--json']);
    assert.ok((JSON.parse(listed.stdout) as CampaignView[]).some((c) => c.id === campaign.id));
  });

  test('reviewers only: an agent in the reviewer group and an identity outside it are refused', async () => {
    const worker = item(/^grant:/, 'worker');
    const bot = await decide(worker.id, 'dba-bot', 'certify', '--reason', 'x');
    assert.notEqual(bot.code, 0);
    assert.match(bot.stderr, /not a reviewer/);
    const self = await decide(worker.id, 'worker', 'certify', '--reason', 'mine');
    assert.notEqual(self.code, 0);
    assert.match(self.stderr, /not a reviewer/);
  });

  test('narrow to read: the live session on the old scope ends; a write is refused, a read works', async () => {
    const worker = item(/^grant:/, 'worker');
    const open = await connect(tokens.worker!, 'camp');
    await open.query('select 1');
    const ending = ended(open, 2500);
    const narrowed = await decide(
      worker.id,
      'dana',
      'narrow',
      '--scope',
      'read',
      '--reason',
      'only reads in 90 days',
    );
    assert.equal(narrowed.code, 0, narrowed.stderr);
    assert.match(narrowed.stdout, /narrowed to read/);
    assert.match((await ending).message, /was narrowed to read; reconnect to use it/);
    await open.end().catch(() => {});
    const write = await psql(tokens.worker!, 'camp', "insert into items values (100, 'x')");
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /read|not allowed|denied/i);
    const read = await psql(tokens.worker!, 'camp', 'select count(*) from items');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout.trim(), '5');
    assert.doesNotMatch(read.stderr, /review required/, 'narrowing is a review: no hold');
  });

  test('certify: the next session runs without a hold', async () => {
    const fresh = item(/^access:/, 'fresh-bot');
    const certified = await decide(fresh.id, 'dana', 'certify', '--reason', 'needed for reports');
    assert.equal(certified.code, 0, certified.stderr);
    const run = await psql(tokens['fresh-bot']!, 'camp', 'select 1');
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /review required/);
  });

  test('revoke: the live session ends within 1 s and new ones are refused', async () => {
    const target = item(/^access:/, 'live-bot');
    const ending = ended(live, 2500);
    const started = Date.now();
    const revoked = await decide(target.id, 'dana', 'revoke', '--reason', 'project over');
    assert.equal(revoked.code, 0, revoked.stderr);
    const err = await ending;
    assert.ok(Date.now() - started < 1500, `ended after ${Date.now() - started} ms`);
    assert.match(err.message, /access of "live-bot" to "camp" was suspended \(campaign-revoked\)/);
    await live.end().catch(() => {});
    const again = await psql(tokens['live-bot']!, 'camp', 'select 1');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /suspended/);
  });

  test('overdue: onStale hold holds the next session for a review; onStale deny suspends', async () => {
    // onStale deny refuses at connect with a review request; approved, the next session runs.
    const refused = await reviewedRun('deny-bot', 'campdeny', 'select 1');
    assert.match(refused.stderr, /access review required/);
    const denyFirst = await psql(tokens['deny-bot']!, 'campdeny', 'select 1');
    assert.equal(denyFirst.code, 0, denyFirst.stderr);
    const created = await h.cli([
      'reviews',
      'campaign',
      'create',
      '--connections',
      'camp,campdeny',
      '--reviewers',
      'group:dba',
      '--due',
      '1d',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const second = JSON.parse(created.stdout.slice(0, created.stdout.lastIndexOf('}') + 1)) as CampaignView;
    const ahead: Clock = { now: () => new Date(Date.now() + 2 * DAY), nowMs: () => Date.now() + 2 * DAY };
    const upkeep = await h.server.runReviewUpkeep(ahead);
    assert.deepEqual(upkeep.reminded, [second.id]);
    assert.ok(upkeep.overdue.length >= 2, JSON.stringify(upkeep));
    const held = await psql(tokens.worker!, 'camp', 'select 1');
    assert.notEqual(held.code, 0, 'nobody approves: the held statement times out');
    assert.match(held.stderr, /access review required: request \d+ is waiting for group:dba/);
    const denied = await psql(tokens['deny-bot']!, 'campdeny', 'select 1');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /suspended \(campaign-overdue/);
    const shown = JSON.parse(
      (await h.cli(['reviews', 'campaign', 'show', String(second.id), '--json'])).stdout,
    ) as CampaignView;
    assert.ok(shown.items?.every((i) => i.status === 'overdue'));
  });

  test('the report lists who reviewed what, when, with what evidence and why', async () => {
    const report = JSON.parse(
      (await h.cli(['reviews', 'report', String(campaign.id), '--json'])).stdout,
    ) as CampaignReport;
    const worker = report.lines.find((l) => l.subject === 'worker');
    assert.deepEqual(
      worker && [
        worker.status,
        worker.newScope,
        worker.decidedBy,
        worker.reason,
        worker.evidence.usedActions,
      ],
      ['narrowed', 'read', 'dana', 'only reads in 90 days', ['sql.select']],
    );
    assert.deepEqual(
      worker?.evidence.delegates.map((d) => d.name),
      ['worker-sub'],
    );
    assert.ok(worker?.decidedAt);
    // The same through the REST API, as a reviewer.
    const remote = await h.cli([
      '--server',
      api,
      'reviews',
      'report',
      String(campaign.id),
      '--json',
      '--token',
      tokens.dana!,
    ]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.deepEqual((JSON.parse(remote.stdout) as CampaignReport).lines, report.lines);
    const text = await h.cli(['reviews', 'report', String(campaign.id)]);
    assert.match(text.stdout, /worker .*narrowed → read .*dana/);
    assert.match(text.stdout, /live-bot .*revoked .*dana .*project over/);
    await h.server.flushAudit();
    const events = JSON.parse(
      (await h.cli(['audit', 'search', '--type', 'campaign.decided', '--json'])).stdout,
    ) as {
      decision: string;
      subject: string;
    }[];
    assert.ok(events.some((e) => e.decision === 'narrow' && e.subject === 'worker'));
    assert.ok(events.some((e) => e.decision === 'overdue-deny' && e.subject === 'deny-bot'));
  });
});
