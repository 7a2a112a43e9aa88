import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEventBody, AuditLog, AuditRecord } from '../audit/events.js';
import { ManualClock } from './clock.js';
import type { Command } from './command.js';
import type { Connection } from './connection.js';
import { AirlockError } from './errors.js';
import { Gate } from './gate.js';
import type { Identity } from './identity.js';

const agent: Identity = {
  subject: 'agent-1',
  displayName: 'agent-1',
  kind: 'agent',
  groups: ['agents'],
  issuer: 'airlock',
  tokenId: 't1',
  expiresAt: undefined,
  chain: [],
};

const appdb: Connection = {
  name: 'appdb',
  type: 'postgres',
  host: '127.0.0.1',
  port: 5432,
  database: 'app',
  user: 'app',
  password: { value: 'held-secret' },
  tls: { mode: 'disable' },
  tags: { env: 'prod' },
  access: ['group:agents'],
};

class MemoryAudit implements AuditLog {
  readonly events: AuditEventBody[] = [];
  failing = false;
  append(event: AuditEventBody): AuditRecord {
    if (this.failing) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'disk full');
    this.events.push(event);
    return {
      ...event,
      v: 1,
      node: 'n',
      seq: this.events.length,
      time: '',
      prevHash: '',
      hash: '',
    } as AuditRecord;
  }
}

function makeGate(audit = new MemoryAudit()) {
  const gate = new Gate({
    authenticator: {
      async authenticate(secret) {
        if (secret === 'good') return agent;
        throw new AirlockError('ERR_TOKEN_INVALID');
      },
    },
    connections: () => new Map([[appdb.name, appdb]]),
    audit,
    clock: new ManualClock(),
  });
  return { gate, audit };
}

const loopback = { address: '127.0.0.1', port: 5000, tls: false };
const request = (overrides: object = {}) => ({
  protocol: 'postgres' as const,
  connectionName: 'appdb',
  secret: 'good',
  client: loopback,
  ...overrides,
});

test('a session opens for an identity in the access list and is audited', async () => {
  const { gate, audit } = makeGate();
  const session = await gate.openSession(request(), () => {});
  assert.equal(session.identity.subject, 'agent-1');
  assert.equal(session.connection.name, 'appdb');
  assert.equal(audit.events[0]?.type, 'session.start');
  assert.equal((audit.events[0] as { outcome: string }).outcome, 'success');
  assert.equal([...gate.liveSessions()].length, 1);
  gate.closeSession(session, { bytesFromClient: 1, bytesToClient: 2, statements: 0 });
  assert.equal(audit.events[1]?.type, 'session.end');
  assert.equal([...gate.liveSessions()].length, 0);
});

test('refusals carry the catalog code and are audited as failed session starts', async () => {
  const cases: [object, string][] = [
    [{ secret: '' }, 'ERR_TOKEN_MISSING'],
    [{ secret: 'bad' }, 'ERR_TOKEN_INVALID'],
    [{ connectionName: 'nope' }, 'ERR_CONNECTION_UNKNOWN'],
    [{ client: { address: '10.0.0.5', port: 1, tls: false } }, 'ERR_CLEARTEXT_REFUSED'],
  ];
  for (const [overrides, code] of cases) {
    const { gate, audit } = makeGate();
    await assert.rejects(
      gate.openSession(request(overrides), () => {}),
      { code },
    );
    const event = audit.events[0] as { type: string; outcome: string; error: { code: string } };
    assert.equal(event.type, 'session.start');
    assert.equal(event.outcome, 'failure');
    assert.equal(event.error.code, code);
  }
});

test('an identity outside the access list is refused with ERR_ACCESS_DENIED', async () => {
  const outsider = { ...agent, subject: 'other', groups: ['nobody'] };
  const gate = new Gate({
    authenticator: { authenticate: async () => outsider },
    connections: () => new Map([[appdb.name, appdb]]),
    audit: new MemoryAudit(),
    clock: new ManualClock(),
  });
  await assert.rejects(
    gate.openSession(request(), () => {}),
    { code: 'ERR_ACCESS_DENIED' },
  );
});

test('TLS clients from any address may present a token', async () => {
  const { gate } = makeGate();
  const session = await gate.openSession(
    request({ client: { address: '10.0.0.5', port: 1, tls: true } }),
    () => {},
  );
  assert.equal(session.client.tls, true);
});

test('commands are journaled with redacted text before the allow is returned', async () => {
  const { gate, audit } = makeGate();
  const session = await gate.openSession(request(), () => {});
  const command: Command = {
    id: 1,
    channel: 'simple',
    text: "alter role app password 'hunter2'",
    action: 'sql.unclassified',
    objects: [],
  };
  const decision = gate.checkCommand(session, command);
  assert.equal(decision.outcome, 'allow');
  const event = audit.events.at(-1) as { type: string; text: string };
  assert.equal(event.type, 'command');
  assert.ok(!event.text.includes('hunter2'), 'password literal redacted');
});

test('an unwritable journal turns allow into a deny with ERR_AUDIT_UNAVAILABLE', async () => {
  const { gate, audit } = makeGate();
  const session = await gate.openSession(request(), () => {});
  audit.failing = true;
  const decision = gate.checkCommand(session, {
    id: 1,
    channel: 'simple',
    text: 'select 1',
    action: 'sql.unclassified',
    objects: [],
  });
  assert.equal(decision.outcome, 'deny');
  assert.equal(decision.outcome === 'deny' && decision.error.code, 'ERR_AUDIT_UNAVAILABLE');
});

test('terminateWhere ends matching sessions and draining refuses new ones', async () => {
  const { gate } = makeGate();
  const ended: string[] = [];
  await gate.openSession(request(), (err) => ended.push(err.code));
  assert.equal(
    gate.terminateWhere((s) => s.identity.subject === 'agent-1', new AirlockError('ERR_TOKEN_REVOKED')),
    1,
  );
  assert.deepEqual(ended, ['ERR_TOKEN_REVOKED']);
  gate.startDraining();
  await assert.rejects(
    gate.openSession(request(), () => {}),
    { code: 'ERR_SHUTTING_DOWN' },
  );
});
