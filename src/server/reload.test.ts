import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { AuditEventBody, AuditLog, AuditRecord, ConfigReloadEvent } from '../audit/events.js';
import type { AirlockConfig } from '../core/config.js';
import type { AirlockError } from '../core/errors.js';
import type { LiveSession } from '../core/gate.js';
import { OPERATOR } from '../core/identity.js';
import type { Session } from '../core/session.js';
import type { PolicyEngine } from '../policy/index.js';
import { ConfigReloader, diffConnections, LivePolicy, prepareConfig } from './reload.js';

const connection = (name: string, extra = '') =>
  `  - { name: ${name}, type: postgres, host: 127.0.0.1, database: app, user: app, password: { env: PW }, access: [group:agents]${extra} }`;

function yaml(connections: string[], extra = ''): string {
  return `store: sqlite:./airlock.db\nnode: n1\nlisten: { api: "127.0.0.1:0", postgres: "127.0.0.1:0" }\n${extra}connections:\n${connections.join('\n')}\n`;
}

describe('prepareConfig', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-reload-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('compiles guardrails and reports Cedar problems that key validation cannot see', async () => {
    writeFileSync(join(dir, 'broken.cedar'), 'forbid (principal, action, resource) when { nonsense };');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml([connection('a', ', guardrails: { deny: [drop] }, policies: [broken.cedar]')]));
    const result = await prepareConfig(file, { PW: 'x' });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.problems.some((p) => p.includes('broken.cedar')), JSON.stringify(result));
  });

  test('lists every key problem of a file at once', async () => {
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, 'conections: []\nlisten: { api: 8009 }\n');
    const result = await prepareConfig(file, {});
    assert.ok(!result.ok);
    assert.equal(result.problems.length, 2, result.problems.join('\n'));
  });

  test('key problems and Cedar problems are listed together, so one run shows everything to fix', async () => {
    writeFileSync(join(dir, 'broken2.cedar'), 'forbid (principal, action, resource) when { context.x == };');
    const file = join(dir, 'both.yaml');
    writeFileSync(
      file,
      yaml(
        [
          connection('a', ', policies: [broken2.cedar]'),
          connection('b', ', guardrails: { deny: [dorp] }'),
          connection('c', ', guardrails: { deny: [drop] }'),
        ],
        'loging: { level: info }\nretention: { recordings: 1h }\n',
      ),
    );
    const result = await prepareConfig(file, { PW: 'x' });
    assert.ok(!result.ok);
    const text = result.problems.join('\n');
    assert.match(text, /unknown key "loging"/);
    assert.match(text, /retention\.recordings/);
    assert.match(text, /connections\[1\]\.guardrails\.deny\[0\]/);
    assert.match(
      text,
      /connection a: .*broken2\.cedar/,
      'the Cedar problem is not hidden by the key problems',
    );
    assert.equal(result.problems.length, 4, text);
  });

  test('a valid file comes with its compiled policy', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, yaml([connection('a', ', guardrails: { deny: [drop] }')]));
    const result = await prepareConfig(file, { PW: 'x' });
    assert.ok(result.ok);
    assert.match(result.policy.policyText('a'), /drop/);
  });
});

test('diffConnections names added, changed and removed connections', async () => {
  const base = { type: 'postgres', host: 'h', port: 5432, database: 'd', user: 'u' } as const;
  const common = { ...base, password: { env: 'P' }, tls: { mode: 'disable' }, tags: {}, access: [] } as const;
  const before = [
    { name: 'kept', ...common },
    { name: 'edited', ...common },
    { name: 'gone', ...common },
  ];
  const after = [
    { name: 'kept', ...common },
    { name: 'edited', ...common, port: 5433 },
    { name: 'new', ...common },
  ];
  assert.deepEqual(diffConnections(before, after), {
    added: ['new'],
    changed: ['edited'],
    removed: ['gone'],
  });
});

describe('ConfigReloader', () => {
  let dir: string;
  let file: string;
  let current: AirlockConfig;
  const events: AuditEventBody[] = [];
  const terminated: [string, AirlockError][] = [];
  const live: LiveSession[] = [];
  let failAudit = false;
  const audit: AuditLog = {
    append(event) {
      if (failAudit) throw new Error('disk full');
      events.push(event);
      return event as AuditRecord;
    },
  };
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
  const applied: PolicyEngine[] = [];
  let reloader: ConfigReloader;

  function session(id: string, connectionName: string, groups: string[]): LiveSession {
    const conn = current.connections.find((c) => c.name === connectionName)!;
    const s = {
      id,
      protocol: 'postgres',
      identity: { ...OPERATOR, subject: id, issuer: 'airlock', groups },
      connection: conn,
    } as unknown as Session;
    return { session: s, terminate: (err) => terminated.push([id, err]) };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-reloader-'));
    file = join(dir, 'airlock.yaml');
    writeFileSync(file, yaml([connection('keep'), connection('drop-me'), connection('narrow')]));
    const first = await prepareConfig(file, { PW: 'x' });
    assert.ok(first.ok);
    current = first.config;
    reloader = new ConfigReloader({
      log,
      audit,
      env: { PW: 'x' },
      gate: { liveSessions: () => live.values() },
      current: () => current,
      apply(config, policy) {
        current = config;
        applied.push(policy);
      },
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an invalid file is rejected, every problem logged and audited, the config untouched', async () => {
    const before = current;
    writeFileSync(file, 'conections: []\nlisten: { api: 8009 }\n');
    const report = await reloader.reload(OPERATOR, 'signal');
    assert.equal(report.outcome, 'failure');
    assert.equal(report.problems.length, 2);
    assert.equal(current, before);
    assert.equal(applied.length, 0);
    const event = events.at(-1) as ConfigReloadEvent;
    assert.equal(event.type, 'config.reload');
    assert.equal(event.outcome, 'failure');
    assert.deepEqual(event.problems, report.problems);
    assert.equal(event.actor.subject, 'operator');
    assert.equal(logs.filter((l) => l.includes('config reload: problem')).length, 2);
  });

  test('a valid file is applied: diff, restart keys kept, sessions on removed or narrowed connections end', async () => {
    live.push(session('on-keep', 'keep', ['agents']), session('on-drop', 'drop-me', ['agents']));
    live.push(session('on-narrow', 'narrow', ['agents']), session('still-ok', 'narrow', ['ops']));
    const listenBefore = current.listen;
    writeFileSync(
      file,
      yaml(
        [
          connection('keep'),
          connection('narrow').replace('[group:agents]', '[group:ops]'),
          connection('fresh', ', guardrails: { deny: [drop] }'),
        ],
        'auditors: [group:security]\n',
      ).replace('listen: { api: "127.0.0.1:0"', 'listen: { api: "127.0.0.1:9999"'),
    );
    const report = await reloader.reload(OPERATOR, 'api');
    assert.equal(report.outcome, 'success', report.problems.join('\n'));
    assert.deepEqual([report.added, report.changed, report.removed], [['fresh'], ['narrow'], ['drop-me']]);
    assert.deepEqual(report.restartRequired, ['listen']);
    assert.equal(current.listen, listenBefore, 'listeners keep their running addresses');
    assert.deepEqual(current.auditors, ['group:security'], 'role lists apply at once');
    assert.equal(report.sessionsEnded, 2);
    assert.deepEqual(
      terminated.map(([id, err]) => [id, err.code]),
      [
        ['on-drop', 'ERR_SESSION_TERMINATED'],
        ['on-narrow', 'ERR_SESSION_TERMINATED'],
      ],
    );
    assert.match(terminated[0]![1].userMessage, /connection "drop-me" was removed/);
    assert.match(terminated[1]![1].userMessage, /no longer has access to connection "narrow"/);
    const event = events.at(-1) as ConfigReloadEvent;
    assert.equal(event.outcome, 'success');
    assert.equal(event.sessionsEnded, 2);
    assert.equal(event.trigger, 'api');
    assert.match(applied[0]!.policyText('fresh'), /drop/);
    assert.ok(logs.some((l) => l.includes('listen changed; restart airlock')));
  });

  test('nothing is applied when the reload cannot be journaled', async () => {
    const before = current;
    writeFileSync(file, yaml([connection('keep'), connection('another')]));
    failAudit = true;
    try {
      await assert.rejects(reloader.reload(OPERATOR, 'api'), { code: 'ERR_AUDIT_UNAVAILABLE' });
    } finally {
      failAudit = false;
    }
    assert.equal(current, before);
  });

  test('export sinks and retention periods are not swapped live: restart required, running values kept', async () => {
    const before = current;
    writeFileSync(
      file,
      yaml(
        [connection('keep'), connection('narrow')],
        'retention: { audit: 30d }\naudit: { export: [{ name: s, type: jsonl, path: ./x.jsonl }] }\n',
      ),
    );
    const report = await reloader.reload(OPERATOR, 'api');
    assert.equal(report.outcome, 'success', report.problems.join('\n'));
    assert.deepEqual(report.restartRequired, ['audit', 'retention']);
    assert.deepEqual(current.audit, before.audit, 'the running exporter keeps its sinks');
    assert.deepEqual(current.retention, before.retention, 'the running retention job keeps its periods');
    assert.ok(logs.some((l) => l.includes('retention changed; restart airlock')));
  });
});

test('LivePolicy decides with whichever engine was swapped in last', async () => {
  const verdict = (rule: string) => ({ outcome: 'allow' as const, rule });
  const a = { decide: () => verdict('a') } as unknown as PolicyEngine;
  const b = { decide: () => verdict('b') } as unknown as PolicyEngine;
  const live = new LivePolicy(a);
  const args = [OPERATOR, {} as never, []] as const;
  assert.equal(live.decide(...args).rule, 'a');
  live.swap(b);
  assert.equal(live.decide(...args).rule, 'b');
});
