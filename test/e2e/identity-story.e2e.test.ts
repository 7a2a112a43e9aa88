/**
 * The identity lifecycle told once, end to end with real clients on a real PostgreSQL and the
 * suite's real OpenID Provider: a person logs in (`airlock login`, device flow), delegates to an
 * orchestrator with the stored login, the orchestrator delegates to a subagent, and the subagent
 * runs psql through Airlock. Around it, what a skeptical reviewer asks of issue 6: the RFC 8693
 * answer for an OIDC token is short enough to type at a password prompt, a root that loses its
 * grant is refused at the grandchild's very next statement, the chain reaches recordings and
 * Cedar (docs/policy.md's two chain examples), a session ends when its token expires, and a config
 * reload that does not touch a delegate's rights leaves its session up.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { run } from '../../src/cli/run.js';
import type { CampaignView } from '../../src/reviews/campaigns.js';
import { type AirlockHarness, appConnection, runCli, startAirlock } from '../harness/airlock.js';
import { startOidcProvider, type TestOidcProvider } from '../harness/oidc-provider.js';

const execFileAsync = promisify(execFile);

/** The two chain examples of docs/policy.md, read from the page so the page is what is proven. */
const CHAIN_POLICIES = [
  ...readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8').matchAll(
    /```cedar\n([\s\S]*?)```/g,
  ),
]
  .map((m) => m[1]!)
  .filter((text) => /@id\("(deep-delegates-read-only|agent-writes-review)"\)/.test(text))
  .join('\n');

/**
 * Password prompts that cut long passwords: mysql's get_tty_password reads into 80 bytes, psql
 * before PostgreSQL 14 read at most 100 characters, OpenSSH's readpassphrase 1024. An Airlock token
 * must fit the smallest, with its terminating byte.
 */
const SHORTEST_PROMPT = 79;

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

type PgError = Error & { code?: string };

/** Resolves with the error that ends `client`'s connection, or rejects after `ms`. */
function ended(client: pg.Client, ms: number): Promise<PgError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`session still open after ${ms} ms`)), ms);
    client.on('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

describe('identity lifecycle: login → orchestrator → subagent → psql', () => {
  let h: AirlockHarness;
  let corp: TestOidcProvider;
  let api: string;
  let home: string;
  let policyDir: string;
  let env: NodeJS.ProcessEnv;
  let orchestrator: string;
  let subagent: string;
  const clients: pg.Client[] = [];

  before(async () => {
    corp = await startOidcProvider({
      audience: 'airlock',
      publicClients: ['airlock-cli'],
      // alice audits too (auditors: [group:security]): she searches what her delegates did herself.
      accounts: { alice: { groups: ['agents', 'security', 'dba'], name: 'Alice' } },
      clients: [{ clientId: 'pipeline', secret: 'pipeline-secret', extraClaims: { groups: ['agents'] } }],
    });
    policyDir = mkdtempSync(join(tmpdir(), 'airlock-chain-policies-'));
    assert.match(CHAIN_POLICIES, /deep-delegates-read-only[\s\S]*agent-writes-review/);
    writeFileSync(join(policyDir, 'chain.cedar'), CHAIN_POLICIES);
    h = await startAirlock({
      extraYaml: `identity:
  oidc:
    - { name: corp, issuer: ${corp.issuer}, audience: airlock, groupsClaim: groups, kind: human }
  login: { issuer: corp, clientId: airlock-cli, scope: openid airlock }`,
      upstreamPortPlaceholder: 'PORT',
      extraConnections:
        appConnection(
          'guarded',
          `    tls: { mode: disable }\n    access: [group:agents]\n    policies: [${join(policyDir, 'chain.cedar')}]\n`,
        ) +
        appConnection('granted', '    tls: { mode: disable }\n    access: []\n') +
        appConnection(
          'capped',
          '    tls: { mode: disable }\n    access: [group:agents]\n    limits: { idle: 1m, maxSession: 1500ms }\n',
        ) +
        appConnection(
          'reviewed',
          '    tls: { mode: disable }\n    access: [group:agents]\n    reviews: { maxAge: 30d, approvers: [group:dba], wait: 20s, onStale: hold, then: deny }\n    guardrails: { review: [delete] }\n',
        ),
    });
    api = `http://127.0.0.1:${h.server.addresses.api.port}`;
    home = mkdtempSync(join(tmpdir(), 'airlock-story-'));
    env = {
      ...process.env,
      AIRLOCK_CONFIG: undefined,
      AIRLOCK_SERVER: undefined,
      AIRLOCK_TOKEN: undefined,
      XDG_CONFIG_HOME: join(home, 'config'),
    };
    await h.cluster.psql('create table notes (id int, body text); alter table notes owner to app', 'app');
  });
  after(async () => {
    for (const client of clients) await client.end().catch(() => {});
    await execFileAsync('tmux', ['-L', tmuxSocket, 'kill-server']).catch(() => {});
    await h?.stop();
    await corp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  /** Runs `airlock login --server API` in-process and approves the printed code as `account`. */
  async function login(account: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    let approval: Promise<void> | undefined;
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const userCode = /enter the code (\S+)/.exec(out)?.[1];
      if (!approval && userCode) approval = corp.approveDevice(userCode, account);
    });
    const code = await run(['login', '--server', api], { stdout, stderr, env, cwd: home });
    await approval;
    return { code, stdout: out, stderr: err };
  }

  /** The CLI as the person who logged in: no --server, no --token, no config. */
  const asPerson = (argv: string[]) => runCli(argv, env, home);

  function psql(token: string, sql: string, connection = 'appdb') {
    const addr = h.server.addresses.postgres!;
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'psql',
        [
          '-X',
          '-At',
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
          `host=${addr.host} port=${addr.port} dbname=${connection} user=agent sslmode=disable`,
        ],
        { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' }, timeout: 20_000 },
        (e, out, errText) =>
          resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errText }),
      );
    });
  }

  async function connect(token: string, connection = 'appdb'): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: h.url(token, connection) });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    return client;
  }

  async function delegate(parent: string, name: string, ...flags: string[]): Promise<string> {
    const made = await h.cli(['delegate', '--token', parent, '--name', name, ...flags]);
    assert.equal(made.code, 0, made.stderr);
    return lastLine(made.stdout);
  }

  test('a person logs in, delegates with the stored login, and the subagent runs psql with less', async () => {
    const loggedIn = await login('alice');
    assert.equal(loggedIn.code, 0, loggedIn.stderr);

    // The orchestrator is minted from the stored login: no --token, no --server.
    const orch = await asPerson([
      'delegate',
      '--name',
      'orchestrator',
      '--scope',
      'appdb:write',
      '--scope',
      'guarded:write',
      '--scope',
      'reviewed:write',
      '--ttl',
      '10m',
    ]);
    assert.equal(orch.code, 0, orch.stderr);
    orchestrator = lastLine(orch.stdout);
    const orchExpires = Date.parse(/expires (\S+)/.exec(orch.stdout)?.[1] ?? '');

    // The subagent asks for more time than its parent has: capped at the parent's expiry.
    const sub = await runCli(
      [
        '--server',
        api,
        'delegate',
        '--token',
        orchestrator,
        '--name',
        'subagent',
        '--scope',
        'appdb:read',
        '--scope',
        'guarded:read',
        '--ttl',
        '2h',
      ],
      env,
      home,
    );
    assert.equal(sub.code, 0, sub.stderr);
    subagent = lastLine(sub.stdout);
    const subExpires = Date.parse(/expires (\S+)/.exec(sub.stdout)?.[1] ?? '');
    assert.ok(subExpires <= orchExpires, `subagent ${subExpires} outlives orchestrator ${orchExpires}`);
    for (const token of [orchestrator, subagent]) assert.ok(token.length <= SHORTEST_PROMPT, token);

    const read = await psql(subagent, 'select count(*) from notes');
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout.trim(), '0');
    const write = await psql(subagent, "insert into notes values (1, 'sub')");
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /scope read: sql\.insert is outside your read access/);
    const orchWrite = await psql(orchestrator, "insert into notes values (1, 'orchestrator')");
    assert.equal(orchWrite.code, 0, orchWrite.stderr);
    const again = await psql(subagent, 'select body from notes');
    assert.equal(again.stdout.trim(), 'orchestrator');

    await h.server.flushAudit();
    const found = await asPerson(['audit', 'search', '--on-behalf-of', 'corp:alice', '--type', 'command']);
    assert.equal(found.code, 0, found.stderr);
    const rows = found.stdout
      .split('\n')
      .filter((line) => line.includes('corp:alice → orchestrator → subagent'));
    assert.ok(
      rows.some((row) => row.includes('allow select count(*) from notes')),
      found.stdout,
    );
    assert.ok(
      rows.some((row) => row.includes('deny insert into notes')),
      found.stdout,
    );
    console.log(`# $ airlock audit search --on-behalf-of corp:alice --type command`);
    for (const line of found.stdout.trimEnd().split('\n')) console.log(`# ${line}`);
  });

  test("the subagent's recording names the whole chain in its header", async () => {
    const sessions = await h.cli(['sessions', 'list', '--identity', 'subagent', '--json']);
    assert.equal(sessions.code, 0, sessions.stderr);
    const list = JSON.parse(sessions.stdout) as { id: string }[];
    assert.ok(list.length > 0);
    const file = join(h.server.config.stateDir, 'recordings', `${list[0]!.id}.jsonl`);
    // Recordings are written in the background (every 250 ms): wait for the header, bounded.
    for (let i = 0; i < 50 && !(existsSync(file) && readFileSync(file, 'utf8').includes('\n')); i++)
      await new Promise((r) => setTimeout(r, 100));
    const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as {
      type: string;
      identity: { subject: string; chain: { subject: string; kind: string }[] };
    };
    assert.equal(header.type, 'header');
    assert.equal(header.identity.subject, 'subagent');
    assert.deepEqual(header.identity.chain, [
      { subject: 'corp:alice', kind: 'human' },
      { subject: 'orchestrator', kind: 'agent' },
    ]);
  });

  test('docs/policy.md chain examples: depth ≥ 2 only reads; a human-rooted chain reads without review', async () => {
    // Depth 2 (alice → orchestrator → subagent), scope write on purpose: the policy, not the scope, refuses.
    const deep = await delegate(orchestrator, 'deep-writer', '--scope', 'guarded:write');
    const deepRead = await psql(deep, 'select count(*) from notes', 'guarded');
    assert.equal(deepRead.code, 0, deepRead.stderr);
    const deepWrite = await psql(deep, "insert into notes values (2, 'deep')", 'guarded');
    assert.notEqual(deepWrite.code, 0);
    assert.match(deepWrite.stderr, /blocked by airlock: deep-delegates-read-only/);

    // Depth 1, an agent whose chain a person started: reads pass without review, writes need one.
    const orchRead = await psql(orchestrator, 'select count(*) from notes', 'guarded');
    assert.equal(orchRead.code, 0, orchRead.stderr);
    const orchWrite = await psql(orchestrator, "insert into notes values (3, 'orch')", 'guarded');
    assert.notEqual(orchWrite.code, 0);
    assert.match(
      orchWrite.stderr,
      /agent-writes-review: writes by agents need approval unless a person started the chain/,
    );

    // An agent no person started (its own Airlock token): even its reads need review.
    const bot = await h.server.createToken({ name: 'lone-bot', groups: ['agents'], kind: 'agent' });
    const botRead = await psql(bot, 'select count(*) from notes', 'guarded');
    assert.notEqual(botRead.code, 0);
    assert.match(botRead.stderr, /agent-writes-review/);
    // A delegate of that agent is rooted in an agent: held too.
    const botChild = await delegate(bot, 'lone-bot-child', '--scope', 'guarded:read');
    assert.match((await psql(botChild, 'select 1', 'guarded')).stderr, /agent-writes-review/);
  });

  /** The newest pending request of `requester` of `kind`, polled as an approver would. */
  async function pending(
    requester: string,
    kind: string,
  ): Promise<{ id: number; requester: { chain: unknown } }> {
    for (let i = 0; i < 100; i++) {
      const listed = await h.cli(['approvals', 'list', '--status', 'pending', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const found = (
        JSON.parse(listed.stdout) as {
          id: number;
          kind: string;
          requester: { subject: string; chain: unknown };
        }[]
      ).find((r) => r.requester.subject === requester && r.kind === kind);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no pending ${kind} request of ${requester}`);
  }

  test("approvals carry the chain, and nobody in it can approve the subagent's request", async () => {
    const dana = await h.server.createToken({ name: 'dana-dba', groups: ['dba'], kind: 'human' });
    const worker = await delegate(orchestrator, 'review-worker', '--scope', 'reviewed:write');
    await h.cluster.psql(
      'create table if not exists items (id int); insert into items values (1), (2)',
      'app',
    );
    await h.cluster.psql('alter table items owner to app', 'app');
    const client = await connect(worker, 'reviewed');
    const chain = [
      { subject: 'corp:alice', kind: 'human' },
      { subject: 'orchestrator', kind: 'agent' },
    ];
    // The session's access review first (the root's freshness: alice's), then the held delete.
    const first = client.query('select 1');
    const review = await pending('review-worker', 'review');
    assert.deepEqual(review.requester.chain, chain);
    const asAlice = await asPerson(['approvals', 'approve', String(review.id), '--reason', 'mine']);
    assert.notEqual(asAlice.code, 0, 'the root of the chain approved its own delegate');
    assert.match(
      asAlice.stderr,
      /"corp:alice" made request \d+ or is in its identity chain and cannot decide it/,
    );
    const byDana = ['--reason', 'ok', '--token', dana];
    assert.equal((await h.cli(['approvals', 'approve', String(review.id), ...byDana])).code, 0);
    await first;

    const held = client.query('delete from items where id = 1');
    const request = await pending('review-worker', 'command');
    assert.deepEqual(request.requester.chain, chain);
    const refused = await asPerson(['approvals', 'approve', String(request.id), '--reason', 'mine']);
    assert.match(refused.stderr, /is in its identity chain and cannot decide it/);
    assert.equal((await h.cli(['approvals', 'approve', String(request.id), ...byDana])).code, 0);
    assert.equal((await held).rowCount, 1);

    await h.server.flushAudit();
    const events = await h.cli([
      'audit',
      'search',
      '--on-behalf-of',
      'corp:alice',
      '--connection',
      'reviewed',
      '--json',
    ]);
    const records = JSON.parse(events.stdout) as {
      type: string;
      text?: string;
      approvedBy?: unknown;
      identity?: { chain: unknown };
      requester?: { chain: unknown };
    }[];
    const deleted = records.find((e) => e.type === 'command' && e.text?.startsWith('delete from items'));
    assert.deepEqual(deleted?.identity?.chain, chain);
    assert.ok(deleted?.approvedBy, JSON.stringify(deleted));
    const requested = records.filter((e) => e.type.startsWith('approval.'));
    assert.ok(requested.length > 0, events.stdout);
  });

  test('a campaign lists the depth-2 delegate under its root with what it used', async () => {
    await h.server.flushAudit();
    const created = await h.cli([
      'reviews',
      'campaign',
      'create',
      '--connections',
      'reviewed',
      '--reviewers',
      'group:dba',
      '--due',
      '14d',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const campaign = JSON.parse(created.stdout.slice(0, created.stdout.lastIndexOf('}') + 1)) as CampaignView;
    const items = campaign.items ?? [];
    const root = items.find((i) => i.subject === 'corp:alice');
    assert.ok(root, `no item for the root: ${items.map((i) => `${i.entry} ${i.subject}`).join(', ')}`);
    assert.equal(root.entry, 'access:group:agents');
    assert.ok(!items.some((i) => i.subject === 'review-worker'), 'the delegate has no item of its own');
    const used = root.evidence.delegates.find((d) => d.name === 'review-worker');
    assert.ok(used, JSON.stringify(root.evidence));
    assert.ok((used.evidence.statementsByAction['sql.delete'] ?? 0) >= 1, JSON.stringify(used.evidence));
  });

  test('an OIDC access token becomes a token short enough for a password prompt (RFC 8693 shape)', async () => {
    const jwt = await corp.token('pipeline');
    assert.ok(jwt.length > 200, 'a JWT is too long for some password prompts');
    const exchange = (fields: Record<string, string>) =>
      fetch(`${api}/api/v1/token/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: jwt,
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          ...fields,
        }),
      });
    const refused = await exchange({ requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' });
    assert.equal(refused.status, 400);
    const refusal = (await refused.json()) as { error: string; error_description: string };
    assert.equal(refusal.error, 'invalid_request');
    assert.match(
      refusal.error_description,
      /requested_token_type must be urn:ietf:params:oauth:token-type:access_token/,
    );

    const answer = await exchange({
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'appdb',
      scope: 'read',
      requested_lifetime: '300',
    });
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as Record<string, unknown>;
    assert.equal(body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'appdb:read');
    assert.ok(Number(body.expires_in) <= 300 && Number(body.expires_in) > 290, String(body.expires_in));
    const token = String(body.access_token);
    assert.ok(token.length <= SHORTEST_PROMPT, `${token.length} characters`);

    // Typed at psql's own password prompt in a real terminal.
    const addr = h.server.addresses.postgres!;
    await tmux(
      'new-session',
      '-d',
      '-s',
      'psql',
      '-x',
      '160',
      '-y',
      '50',
      `psql -X -W "host=${addr.host} port=${addr.port} dbname=appdb user=pipeline sslmode=disable"`,
    );
    await screenUntil(/Password.*:\s*$/m);
    await tmux('send-keys', '-t', 'psql', '-l', token);
    await tmux('send-keys', '-t', 'psql', 'Enter');
    await screenUntil(/appdb=>\s*$/m);
    await tmux('send-keys', '-t', 'psql', '-l', 'select current_user as who');
    await tmux('send-keys', '-t', 'psql', '-H', '3b');
    await tmux('send-keys', '-t', 'psql', 'Enter');
    await screenUntil(/\bapp\n\(1 row\)/);
    await tmux('send-keys', '-t', 'psql', '-l', '\\q');
    await tmux('send-keys', '-t', 'psql', 'Enter');
  });

  test("a root that loses its grant: the grandchild's statements stop within a poll of the change", async () => {
    const dana = await h.server.createToken({ name: 'dana', groups: ['analysts'], kind: 'human' });
    const granted = await h.cli([
      'grant',
      'create',
      '--connection',
      'granted',
      '--identity',
      'dana',
      '--scope',
      'write',
      '--reason',
      'story',
    ]);
    assert.equal(granted.code, 0, granted.stderr);
    const grantId = lastLine(granted.stdout);
    const planner = await delegate(dana, 'dana-planner', '--scope', 'granted:write');
    const worker = await delegate(planner, 'dana-worker', '--scope', 'granted:read');
    const session = await connect(worker, 'granted');
    assert.equal((await session.query('select 1 as one')).rows[0].one, 1);

    // The grandchild keeps issuing statements while another process revokes its root's grant.
    let revokedAt = Number.POSITIVE_INFINITY;
    let lastRan = 0;
    const ending = ended(session, 5000);
    const busy = (async () => {
      for (;;) {
        await session.query('select 1');
        lastRan = Date.now();
      }
    })();
    const revoked = await h.cli(['grant', 'revoke', grantId]);
    revokedAt = Date.now();
    assert.equal(revoked.code, 0, revoked.stderr);
    // The FATAL reaches the query in flight or the connection's error event, whichever is waiting.
    const stopped = (await busy.catch((err: PgError) => err)) as PgError;
    const said = `${stopped.message} | ${(await ending).message}`;
    assert.match(said, new RegExp(`grant that admitted this session \\(${grantId}\\) was revoked`));
    const window = lastRan - revokedAt;
    assert.ok(window < 1000, `a statement ran ${window} ms after the revocation was stored`);
    console.log(
      `# grandchild's last statement ran ${Math.max(0, window)} ms after the revoke command returned`,
    );
    await assert.rejects(
      new pg.Client({ connectionString: h.url(worker, 'granted') }).connect(),
      (err: PgError) => err.code === '28000',
    );
  });

  test('a session ends when its token expires', async () => {
    const brief = await delegate(orchestrator, 'brief-agent', '--scope', 'appdb:read', '--ttl', '2s');
    const session = await connect(brief);
    const ending = ended(session, 4000);
    await session.query('select 1');
    const err = await ending;
    assert.match(err.message, /the token of "brief-agent" expired at/);
  });

  test('limits.maxSession ends a busy session at its length', async () => {
    const busyAgent = await h.server.createToken({ name: 'busy-agent', groups: ['agents'], kind: 'agent' });
    const session = await connect(busyAgent, 'capped');
    const opened = Date.now();
    const ending = ended(session, 4000);
    let ran = 0;
    const busy = (async () => {
      for (;;) {
        await session.query('select 1');
        ran++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const stopped = (await busy.catch((err: PgError) => err)) as PgError;
    const lasted = Date.now() - opened;
    assert.match(
      `${stopped.message} | ${(await ending).message}`,
      /reached the maximum length of 1s500ms on "capped"/,
    );
    assert.ok(ran > 5, `the session was busy (${ran} statements), so idle did not end it`);
    assert.ok(lasted >= 1500 && lasted < 2500, `ended after ${lasted} ms`);
  });

  test("a config reload that does not change a delegate's rights leaves its session up", async () => {
    const session = await connect(subagent);
    await session.query('select 1');
    const text = readFileSync(h.configFile, 'utf8');
    writeFileSync(h.configFile, text.replace('tags: { env: test }', 'tags: { env: test, team: data }'));
    const report = await h.server.reloadConfig();
    assert.equal(report.outcome, 'success', JSON.stringify(report));
    assert.deepEqual(report.changed, ['appdb']);
    assert.equal(report.sessionsEnded, 0, 'no session lost its access');
    assert.equal((await session.query('select 1 as one')).rows[0].one, 1);

    // The root's entry goes: the delegate's session rests on it and ends.
    const ending = ended(session, 3000);
    writeFileSync(
      h.configFile,
      readFileSync(h.configFile, 'utf8').replace('access: [group:agents, user:solo]', 'access: [user:solo]'),
    );
    const removed = await h.server.reloadConfig();
    assert.equal(removed.outcome, 'success', JSON.stringify(removed));
    assert.match((await ending).message, /"subagent" no longer has access to connection "appdb"/);
  });
});

const tmuxSocket = `airlock-story-${randomBytes(4).toString('hex')}`;
const tmux = (...args: string[]) => execFileAsync('tmux', ['-L', tmuxSocket, ...args]);

async function screenUntil(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = (await tmux('capture-pane', '-p', '-t', 'psql', '-S', '-100')).stdout;
    if (pattern.test(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`terminal never showed ${pattern}:\n${screen}`);
}
