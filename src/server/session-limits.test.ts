import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Identity } from '../core/identity.js';
import type { Session } from '../core/session.js';
import { formatMs, sessionsOf } from './session-limits.js';

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
