/**
 * `airlock sessions show ID` end to end: statements through node-postgres (simple and extended
 * protocol) and psql to a real PostgreSQL behind a guarded connection, one refused by a guardrail,
 * then the session read back from the audit trail with the CLI acting locally (--config) and through
 * the API (--server) as its owner, an auditor and a stranger.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import type { SessionDetailView } from '../../src/admin/service.js';
import { type AirlockHarness, appConnection, startAirlock } from '../harness/airlock.js';

const execFileAsync = promisify(execFile);

const GUARDED = appConnection(
  'guarded',
  `    access: [group:agents]
    guardrails:
      deny: [drop]
`,
);
// Deletes wait for a DBA; the secret column is masked (and e-mail addresses wherever they show).
const HELD_MASKED = appConnection(
  'heldmask',
  `    access: [group:agents]
    guardrails:
      review: [delete]
    reviews:
      approvers: [group:dba]
      wait: 60s
    masking:
      columns:
        items.secret: redact
      detect: [EMAIL]
`,
);

describe('sessions show', () => {
  let h: AirlockHarness;
  let agent: string;
  let other: string;
  let auditor: string;
  let sessionId: string;
  let psqlSessionId: string;
  let refusedRule: string;
  let api: string;

  before(async () => {
    h = await startAirlock({ extraConnections: GUARDED + HELD_MASKED, upstreamPortPlaceholder: 'PORT' });
    agent = await h.server.createToken({ name: 'show-agent', groups: ['agents'] });
    other = await h.server.createToken({ name: 'other-agent', groups: ['agents'] });
    auditor = await h.server.createToken({ name: 'show-auditor', groups: ['security'], kind: 'human' });
    api = `http://${h.server.addresses.api.host}:${h.server.addresses.api.port}`;

    const client = new pg.Client({
      connectionString: h.url(agent, 'guarded', 'application_name=detail-test'),
    });
    await client.connect();
    try {
      await client.query('create table items (id int, secret text)');
      await client.query("insert into items values (1, 'a'), (2, 'b'), (3, 'c')");
      await client.query({ text: 'select id from items where id >= $1', values: [2] });
      await assert.rejects(client.query('drop table items'), (err: { code?: string; message: string }) => {
        assert.equal(err.code, '42501');
        refusedRule = /^blocked by airlock: (\S+): /.exec(err.message)?.[1] ?? '';
        return true;
      });
      await assert.rejects(client.query('select * from missing_table'), { code: '42P01' });
    } finally {
      await client.end();
    }
    const pgAddr = h.server.addresses.postgres!;
    await execFileAsync(
      'psql',
      [
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        "select count(*) from items where secret <> 'x'",
        `host=${pgAddr.host} port=${pgAddr.port} dbname=guarded user=x sslmode=disable`,
      ],
      { env: { ...process.env, PGPASSWORD: agent, PGCONNECT_TIMEOUT: '5' }, timeout: 15_000 },
    );
    await h.server.flushAudit();

    const listed = await h.cli(['sessions', 'list', '--identity', 'show-agent', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const sessions = JSON.parse(listed.stdout) as { id: string; statements: number }[];
    assert.equal(sessions.length, 2, listed.stdout);
    // Oldest first: the node-postgres session, then psql's.
    sessionId = sessions[0]!.id;
    psqlSessionId = sessions[1]!.id;
  });
  after(async () => {
    await h?.stop();
  });

  test('--json (local, --config) has the header and every statement in order, joined to its result', async () => {
    const shown = await h.cli(['sessions', 'show', sessionId, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const detail = JSON.parse(shown.stdout) as SessionDetailView;
    const s = detail.session;
    assert.equal(s.id, sessionId);
    assert.equal(s.identity?.subject, 'show-agent');
    assert.deepEqual(s.identity?.chain, []);
    assert.equal(s.connection, 'guarded');
    assert.equal(s.client?.address, '127.0.0.1');
    assert.equal(s.client?.application, 'detail-test');
    assert.equal(s.outcome, 'success');
    assert.ok(s.endedAt && s.endedAt >= s.startedAt);
    assert.ok(s.bytesFromClient > 0 && s.bytesToClient > 0);
    assert.equal(s.statements, 5);
    assert.equal(detail.truncated, false);

    const rows = detail.statements.map((c) => [
      c.text,
      c.decision,
      c.result?.outcome ?? null,
      c.result?.rows ?? null,
    ]);
    assert.deepEqual(rows, [
      // CREATE TABLE's CommandComplete tag carries no row count.
      ['create table items (id int, secret text)', 'allow', 'success', null],
      ["insert into items values (1, 'a'), (2, 'b'), (3, 'c')", 'allow', 'success', 3],
      ['select id from items where id >= $1', 'allow', 'success', 2],
      ['drop table items', 'deny', null, null],
      ['select * from missing_table', 'allow', 'error', null],
    ]);
    const [create, , select, drop, missing] = detail.statements;
    assert.equal(create?.rule, 'default');
    assert.equal(select?.channel, 'extended');
    assert.deepEqual(select?.parameters, ['2']);
    assert.ok(refusedRule, 'the client was told which rule refused it');
    assert.equal(drop?.rule, refusedRule);
    assert.equal(drop?.refusal?.code, 'ERR_POLICY_DENIED');
    assert.equal(missing?.result?.error?.code, '42P01');
    for (const c of detail.statements) {
      assert.ok(c.commandId > 0 && c.time >= s.startedAt);
      if (c.result) assert.ok(c.result.durationMs >= 0);
      assert.equal(c.approval, undefined, 'no review gate held anything');
      assert.equal(c.masked, undefined, 'nothing was masked');
    }
    const ids = detail.statements.map((c) => c.commandId);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  });

  test('the human table shows the header and one line per statement', async () => {
    const shown = await h.cli(['sessions', 'show', sessionId]);
    assert.equal(shown.code, 0, shown.stderr);
    const out = shown.stdout;
    assert.match(out, new RegExp(`^Session +${sessionId}$`, 'm'));
    assert.match(out, /^Identity +show-agent \(agent, airlock, groups agents\)$/m);
    assert.match(out, /^Connection +guarded \(postgres, node e2e\)$/m);
    assert.match(out, /^Client +127\.0\.0\.1:\d+ detail-test$/m);
    assert.match(out, /^Outcome +success$/m);
    assert.match(out, /^#\s+TIME\s+CHANNEL\s+DECISION\s+RULE\s+RESULT\s+MS\s+ROWS\s+ERROR\s+TEXT$/m);
    assert.match(
      out,
      new RegExp(`deny\\s+${refusedRule}\\s+-\\s+-\\s+-\\s+ERR_POLICY_DENIED\\s+drop table items$`, 'm'),
    );
    assert.match(out, /allow\s+default\s+success\s+\d+(\.\d+)?\s+3\s+-\s+insert into items/);
    assert.match(out, /allow\s+default\s+error\s+\S+\s+-\s+42P01\s+select \* from missing_table$/m);
    assert.doesNotMatch(out, /APPROVAL|MASKED/, 'columns nobody filled are not shown');
  });

  test('through the API (--server): the owner sees it, an auditor too, another agent does not', async () => {
    const mine = await h.cli([
      '--server',
      api,
      '--token',
      agent,
      'sessions',
      'show',
      psqlSessionId,
      '--json',
    ]);
    assert.equal(mine.code, 0, mine.stderr);
    const detail = JSON.parse(mine.stdout) as SessionDetailView;
    assert.deepEqual(
      detail.statements.map((c) => [c.channel, c.text, c.decision, c.result?.rows]),
      [['simple', "select count(*) from items where secret <> 'x'", 'allow', 1]],
    );
    assert.equal(detail.session.client?.application, 'psql');

    const audited = await h.cli(['--server', api, '--token', auditor, 'sessions', 'show', sessionId]);
    assert.equal(audited.code, 0, audited.stderr);
    assert.match(audited.stdout, /drop table items/);

    const stranger = await h.cli(['--server', api, '--token', other, 'sessions', 'show', sessionId]);
    assert.equal(stranger.code, 4, stranger.stdout);
    assert.match(stranger.stderr, /no session with id/);
    assert.doesNotMatch(stranger.stderr + stranger.stdout, /drop table items/);

    const unknown = await h.cli(['sessions', 'show', '00000000-0000-0000-0000-000000000000']);
    assert.equal(unknown.code, 4);
  });

  test('a held statement shows its approval request and reviewer; masked values are counted', async () => {
    const dana = await h.server.createToken({ name: 'dana', groups: ['dba'], kind: 'human' });
    const client = new pg.Client({ connectionString: h.url(agent, 'heldmask') });
    await client.connect();
    const pending = async (kind: string) => {
      for (let i = 0; i < 100; i++) {
        const listed = await h.cli(['approvals', 'list', '--status', 'pending', '--json']);
        const found = (JSON.parse(listed.stdout) as { id: number; kind: string }[]).find(
          (r) => r.kind === kind,
        );
        if (found) return found.id;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`no pending ${kind} request`);
    };
    const approve = async (id: number) => {
      const approved = await h.cli(['approvals', 'approve', String(id), '--reason', 'ok', '--token', dana]);
      assert.equal(approved.code, 0, approved.stderr);
    };
    let request = 0;
    try {
      // The session's access review first (no review yet), then the delete on its own.
      const first = client.query("select id, secret, 'x@example.com' as contact from items order by id");
      await approve(await pending('review'));
      const read = await first;
      assert.equal(read.rowCount, 3);
      assert.ok(
        read.rows.every((r: { secret: string }) => !['a', 'b', 'c'].includes(r.secret)),
        'masked',
      );
      const held = client.query('delete from items where id = 3');
      request = await pending('command');
      await approve(request);
      assert.equal((await held).rowCount, 1);
    } finally {
      await client.end();
    }
    await h.server.flushAudit();
    const listed = await h.cli(['sessions', 'list', '--connection', 'heldmask', '--json']);
    const id = (JSON.parse(listed.stdout) as { id: string }[])[0]?.id;
    assert.ok(id, listed.stdout);
    let detail: SessionDetailView | undefined;
    for (let i = 0; i < 100; i++) {
      const shown = await h.cli(['sessions', 'show', id, '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      detail = JSON.parse(shown.stdout) as SessionDetailView;
      // The reviewers column is tagged by the review service a moment after the release.
      if (detail.session.endedAt && detail.session.reviewers && detail.statements.every((c) => c.result))
        break;
      await new Promise((r) => setTimeout(r, 100));
      await h.server.flushAudit();
    }
    assert.deepEqual(detail!.session.reviewers, ['dana'], 'who certified the session');
    const [select, del] = detail!.statements;
    assert.equal(detail!.statements.length, 2);
    assert.equal(select?.decision, 'allow');
    assert.equal(select?.result?.rows, 3);
    assert.deepEqual(
      [...(select?.masked ?? [])].sort((a, b) => a.entity.localeCompare(b.entity)),
      [
        { entity: 'EMAIL', values: 3 },
        { entity: 'items.secret', values: 3 },
      ],
      JSON.stringify(select?.masked),
    );
    assert.equal(select?.approval, undefined);
    assert.equal(del?.text, 'delete from items where id = 3');
    assert.equal(del?.decision, 'allow');
    assert.deepEqual(del?.approval, { request, approvedBy: ['dana'] });
    assert.equal(del?.result?.rows, 1);
    assert.ok((del?.result?.durationMs ?? -1) >= 0);
    assert.equal(del?.masked, undefined);

    const table = await h.cli(['sessions', 'show', id]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\bAPPROVAL\s+MASKED\s+TEXT$/m);
    assert.match(
      table.stdout,
      new RegExp(`#${request} by dana\\s+-\\s+delete from items where id = 3$`, 'm'),
    );
    assert.match(table.stdout, /(EMAIL×3,items\.secret×3|items\.secret×3,EMAIL×3)\s+select id, secret/);
  });

  test('the API answer matches its documented schema in the OpenAPI document', async () => {
    const response = await fetch(`${api}/api/v1/sessions/${sessionId}?limit=2`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    assert.equal(response.status, 200);
    const detail = (await response.json()) as SessionDetailView;
    assert.equal(detail.statements.length, 2);
    assert.equal(detail.truncated, true);
    const openapi = (await (await fetch(`${api}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
    };
    const op = openapi.paths['/api/v1/sessions/{id}']?.get;
    assert.ok(op?.responses['200']?.content, 'the 200 response has a schema');
  });
});
