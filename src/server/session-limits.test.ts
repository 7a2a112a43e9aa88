import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AirlockError } from '../core/errors.js';
import type { Gate } from '../core/gate.js';
import type { Identity } from '../core/identity.js';
import type { Session } from '../core/session.js';
import { formatMs, SessionSupervisor, sessionsOf } from './session-limits.js';

function person(subject: string, issuer = 'airlock'): Identity {
  return {
    subject,
    displayName: subject,
    kind: 'human',
    groups: ['agents'],
    issuer,
    tokenId: undefined,
    expiresAt: undefined,
    chain: [],
  };
}

function delegateOf(root: Identity, subject: string, ancestors: string[]): Identity {
  return {
    subject,
    displayName: subject,
    kind: 'agent',
    groups: [],
    issuer: 'airlock',
    tokenId: undefined,
    expiresAt: undefined,
    chain: ancestors.map((s) => ({ subject: s, kind: 'agent' as const })),
    delegation: {
      root: { subject: root.subject, kind: root.kind, groups: root.groups, issuer: root.issuer },
      scopes: [],
    },
  };
}

/** The one thing `sessionsOf` reads from a gate: its live sessions. */
function liveOf(...sessions: [Identity, string][]) {
  const live = sessions.map(([identity, connection], i) => ({
    session: { id: `s${i}`, identity, connection: { name: connection } } as unknown as Session,
  }));
  return { liveSessions: () => live.values() };
}

describe('sessionsOf counts per root identity', () => {
  const alice = person('alice');
  const planner = delegateOf(alice, 'planner', ['alice']);
  const sub = delegateOf(alice, 'sql-sub', ['alice', 'planner']);

  test("a delegate's sessions count against its root, on the same connection only", () => {
    const gate = liveOf([alice, 'appdb'], [planner, 'appdb'], [sub, 'appdb'], [sub, 'other']);
    for (const who of [alice, planner, sub]) assert.equal(sessionsOf(gate, who, 'appdb'), 3, who.subject);
    assert.equal(sessionsOf(gate, alice, 'other'), 1);
  });

  test('other roots, and the same subject from another issuer, are counted apart', () => {
    const bob = person('bob');
    const corpAlice = person('alice', 'corp');
    const gate = liveOf(
      [alice, 'appdb'],
      [delegateOf(bob, 'bob-agent', ['bob']), 'appdb'],
      [corpAlice, 'appdb'],
    );
    assert.equal(sessionsOf(gate, planner, 'appdb'), 1);
    assert.equal(sessionsOf(gate, bob, 'appdb'), 1);
    assert.equal(sessionsOf(gate, corpAlice, 'appdb'), 1);
  });

  test('an exchanged token acting as an OIDC person counts with that person', () => {
    const corpAlice = person('corp:alice', 'corp');
    // What tokens.ts builds for an exchanged (non-delegate) token: the person, issued by Airlock.
    const acting: Identity = {
      ...corpAlice,
      issuer: 'airlock',
      delegation: {
        root: { subject: 'corp:alice', kind: 'human', groups: ['agents'], issuer: 'corp' },
        scopes: [],
      },
    };
    const gate = liveOf([corpAlice, 'appdb'], [acting, 'appdb']);
    assert.equal(sessionsOf(gate, corpAlice, 'appdb'), 2);
  });
});

describe('formatMs', () => {
  test('names the largest units', () => {
    assert.equal(formatMs(90_000), '1m30s');
    assert.equal(formatMs(600), '600ms');
    assert.equal(formatMs(0), '0s');
  });
});

describe('SessionSupervisor.sweep ends what outlived its allowance', () => {
  const start = Date.UTC(2026, 0, 1);
  const connection = { name: 'orders', limits: { idleMs: 60_000, maxSessionMs: 3_600_000 } };

  /** A gate double: live sessions with their last activity, recording what each was told. */
  function gateOf(sessions: { id: string; identity: Identity; access?: object; activeAt: number }[]) {
    const told = new Map<string, string>();
    const live = sessions.map((s) => ({
      session: {
        id: s.id,
        identity: s.identity,
        connection,
        startedAt: new Date(start),
        ...(s.access ? { access: s.access } : {}),
      } as unknown as Session,
      terminate: (err: AirlockError) => told.set(s.id, `${err.code}: ${err.userMessage}`),
    }));
    const gate = {
      liveSessions: () => live.values(),
      lastActiveMs: (id: string) => sessions.find((s) => s.id === id)?.activeAt,
    } as unknown as Gate;
    return { gate, told };
  }

  test('token expiry, grant end, maxSession and idle, each with its own message', () => {
    const clock = new ManualClock(start);
    const expiring = {
      ...delegateOf(person('alice'), 'brief', ['alice']),
      expiresAt: new Date(start + 600_000),
    };
    const { gate, told } = gateOf([
      { id: 'token', identity: expiring, activeAt: start + 3_599_000 },
      {
        id: 'grant',
        identity: person('bob'),
        access: { grantId: 'g1', expiresAt: new Date(start + 1_800_000) },
        activeAt: start + 3_599_000,
      },
      // Busy to the last second: the session's length, not idleness, ends it.
      { id: 'long', identity: person('carol'), activeAt: start + 3_599_000 },
      { id: 'idle', identity: person('dan'), activeAt: start + 3_000_000 },
    ]);
    const supervisor = new SessionSupervisor({
      gate,
      clock,
      connections: () => new Map([['orders', connection]]) as never,
    });

    clock.advance(3_599_999);
    assert.equal(supervisor.sweep(), 3, 'token, grant and idle are due; the busy one is not yet');
    assert.match(
      told.get('token') ?? '',
      /^ERR_SESSION_TIMEOUT: the token of "brief" expired at 2026-01-01T00:10:00\.000Z$/,
    );
    assert.match(
      told.get('grant') ?? '',
      /the grant that admitted this session \(g1\) ended at 2026-01-01T00:30:00\.000Z/,
    );
    assert.match(told.get('idle') ?? '', /the session was idle for 1m on "orders"/);
    assert.equal(told.has('long'), false);

    clock.advance(1);
    supervisor.sweep();
    assert.match(told.get('long') ?? '', /the session reached the maximum length of 1h on "orders"/);
  });
});
