import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AuditEventBody } from '../audit/events.js';
import { Journal } from '../audit/journal.js';
import { ManualClock } from '../core/clock.js';
import { SessionRecorder } from './recorder.js';

const key = Buffer.alloc(32, 5);
const identity = { subject: 'bot', kind: 'agent', groups: ['agents'], issuer: 'airlock', chain: [] } as const;
const scoped = (sessionId: string) =>
  ({ sessionId, identity, connection: 'appdb', protocol: 'postgres' }) as const;

const start = (sessionId: string, outcome: 'success' | 'failure' = 'success'): AuditEventBody => ({
  type: 'session.start',
  ...scoped(sessionId),
  client: { address: '127.0.0.1', port: 50123, tls: true, application: 'psql' },
  outcome,
  ...(outcome === 'failure' ? { error: { code: 'ERR_ACCESS_DENIED', message: 'no access' } } : {}),
});
const command = (sessionId: string, commandId: number, text: string, extra = {}): AuditEventBody => ({
  type: 'command',
  ...scoped(sessionId),
  commandId,
  channel: 'extended',
  text,
  parameters: ['alice@example.com', null],
  action: 'sql.select',
  objects: ['customers'],
  decision: 'allow',
  rule: 'default',
  ...extra,
});

describe('SessionRecorder', () => {
  let dir: string;
  let clock: ManualClock;
  let journal: Journal;
  let recorder: SessionRecorder;
  let errors: string[];
  const lines = (id: string) =>
    readFileSync(join(dir, 'recordings', `${id}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-recorder-'));
    clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 0));
    journal = Journal.open({ dir: join(dir, 'state'), node: 'gw-1', clock, key });
    errors = [];
    recorder = new SessionRecorder({
      dir: join(dir, 'recordings'),
      onError: (err, id) => errors.push(`${id}: ${(err as NodeJS.ErrnoException).code}`),
    });
    recorder.attach(journal);
  });
  afterEach(async () => {
    await recorder.close();
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one file per session: header, statements and results with time offsets, end; nothing secret', async () => {
    journal.append(start('s1'));
    clock.advance(1500);
    journal.append(command('s1', 1, "select email from customers where id = $1 and pw = '***'"));
    clock.advance(20);
    journal.append({
      type: 'command.result',
      ...scoped('s1'),
      commandId: 1,
      outcome: 'success',
      rows: 3,
      durationMs: 18,
      masked: { 'customers.email': 3, EMAIL: 1 },
    });
    clock.advance(1000);
    journal.append(
      command('s1', 2, 'drop table customers', {
        decision: 'deny',
        rule: 'deny:drop',
        error: { code: 'ERR_POLICY_DENIED', message: 'refused by guardrail deny:drop' },
      }),
    );
    clock.advance(500);
    journal.append(
      command('s1', 3, 'insert into customers values ($1)', { approval: 7, approvedBy: ['alice'] }),
    );
    journal.append({
      type: 'command.result',
      ...scoped('s1'),
      commandId: 3,
      outcome: 'error',
      durationMs: 2,
      error: {
        code: '23505',
        message: 'duplicate key value violates unique constraint: Key (email)=(alice@example.com)',
      },
    });
    assert.equal(recorder.isOpen('s1'), true);
    clock.advance(3000);
    journal.append({
      type: 'session.end',
      ...scoped('s1'),
      durationMs: 6020,
      bytesFromClient: 400,
      bytesToClient: 900,
      statements: 3,
      outcome: 'success',
    });
    await recorder.flush();
    assert.equal(recorder.isOpen('s1'), false, 'closed at the end line');

    assert.deepEqual(lines('s1'), [
      {
        type: 'header',
        format: 'airlock.db-session',
        v: 1,
        sessionId: 's1',
        node: 'gw-1',
        protocol: 'postgres',
        connection: 'appdb',
        identity,
        client: { address: '127.0.0.1', port: 50123, tls: true, application: 'psql' },
        start: '2026-03-02T09:00:00.000Z',
      },
      {
        t: 1500,
        type: 'statement',
        commandId: 1,
        channel: 'extended',
        text: "select email from customers where id = $1 and pw = '***'",
        action: 'sql.select',
        objects: ['customers'],
        decision: 'allow',
        rule: 'default',
      },
      {
        t: 1520,
        type: 'result',
        commandId: 1,
        outcome: 'success',
        rows: 3,
        durationMs: 18,
        masked: { 'customers.email': 3, EMAIL: 1 },
      },
      {
        t: 2520,
        type: 'statement',
        commandId: 2,
        channel: 'extended',
        text: 'drop table customers',
        action: 'sql.select',
        objects: ['customers'],
        decision: 'deny',
        rule: 'deny:drop',
        refusal: 'ERR_POLICY_DENIED',
      },
      {
        t: 3020,
        type: 'statement',
        commandId: 3,
        channel: 'extended',
        text: 'insert into customers values ($1)',
        action: 'sql.select',
        objects: ['customers'],
        decision: 'allow',
        rule: 'default',
        approval: 7,
        approvedBy: ['alice'],
      },
      { t: 3020, type: 'result', commandId: 3, outcome: 'error', durationMs: 2, error: '23505' },
      {
        t: 6020,
        type: 'end',
        outcome: 'success',
        durationMs: 6020,
        statements: 3,
        bytesFromClient: 400,
        bytesToClient: 900,
      },
    ]);
    const text = readFileSync(join(dir, 'recordings', 's1.jsonl'), 'utf8');
    assert.ok(!text.includes('alice@example.com'), 'no bound parameter, no target error message');
    assert.equal(statSync(join(dir, 'recordings', 's1.jsonl')).mode & 0o777, 0o600);
    assert.deepEqual(errors, []);
  });

  test('interleaved sessions each get their own file in order; refused sessions and strangers none', async () => {
    journal.append(start('a'));
    journal.append(start('refused', 'failure'));
    journal.append(start('b'));
    for (let i = 1; i <= 50; i++) {
      journal.append(command('a', i, `select ${i}`));
      journal.append(command('b', i, `select ${100 + i}`));
      journal.append(command('stranger', i, 'select 0'));
    }
    await recorder.flush();
    assert.deepEqual(readdirSync(join(dir, 'recordings')).sort(), ['a.jsonl', 'b.jsonl']);
    assert.deepEqual(
      lines('a')
        .slice(1)
        .map((l) => l.commandId),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(lines('b')[50]?.text, 'select 150');
  });

  test('a recording that cannot be written is reported and dropped; the journal goes on', async () => {
    mkdirSync(join(dir, 'recordings', 'x.jsonl'));
    journal.append(start('x'));
    await recorder.flush();
    journal.append(command('x', 1, 'select 1'));
    await recorder.flush();
    assert.deepEqual(errors, ['x: EISDIR']);
    assert.equal(recorder.isOpen('x'), false);
    assert.equal(journal.seq, 2);
  });

  test('an unsafe session id names no file', async () => {
    journal.append(start('../escape'));
    await recorder.flush();
    assert.equal(existsSync(join(dir, 'escape.jsonl')), false);
    assert.deepEqual(readdirSync(join(dir, 'recordings')), []);
  });

  test('the end written at start for a session an earlier run left open closes its recording', async () => {
    journal.append(start('left-open'));
    journal.append(command('left-open', 1, 'select 1'));
    await recorder.close();
    // The next run: a new recorder on the journal hears the end the server writes for the orphan.
    recorder = new SessionRecorder({ dir: join(dir, 'recordings') });
    recorder.attach(journal);
    clock.advance(60_000);
    journal.append({
      type: 'session.end',
      ...scoped('left-open'),
      durationMs: 60_000,
      bytesFromClient: 0,
      bytesToClient: 0,
      statements: 1,
      outcome: 'failure',
      error: { code: 'ERR_SESSION_TERMINATED', message: 'the gateway stopped without closing this session' },
    });
    journal.append({ ...(start('never-recorded') as object), type: 'session.end' } as AuditEventBody);
    await recorder.flush();
    assert.deepEqual(lines('left-open').slice(1), [
      {
        t: 0,
        type: 'statement',
        commandId: 1,
        channel: 'extended',
        text: 'select 1',
        action: 'sql.select',
        objects: ['customers'],
        decision: 'allow',
        rule: 'default',
      },
      {
        t: 60_000,
        type: 'end',
        outcome: 'failure',
        durationMs: 60_000,
        statements: 1,
        bytesFromClient: 0,
        bytesToClient: 0,
        error: 'ERR_SESSION_TERMINATED',
      },
    ]);
    assert.deepEqual(readdirSync(join(dir, 'recordings')), ['left-open.jsonl']);
  });
});
