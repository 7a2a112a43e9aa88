import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Identity } from '../core/identity.js';
import { type LockView, lockCovers } from './locks.js';

function lock(targetKind: LockView['targetKind'], target: string): LockView {
  return {
    id: 'l1',
    targetKind,
    target,
    reason: 'test',
    createdBy: 'operator',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: null,
    removedAt: null,
    removedBy: null,
  };
}

const alice: Identity = {
  subject: 'alice',
  displayName: 'alice',
  kind: 'human',
  groups: ['analysts', 'agents'],
  issuer: 'airlock',
  tokenId: 't-alice',
  expiresAt: undefined,
  chain: [],
};

/** A delegate of `root` whose ancestors (root first) are `chain`; delegates carry no groups of their own. */
function delegate(subject: string, chain: string[], root: Identity = alice): Identity {
  return {
    subject,
    displayName: subject,
    kind: 'agent',
    groups: [],
    issuer: 'airlock',
    tokenId: `t-${subject}`,
    expiresAt: undefined,
    chain: chain.map((s, i) => ({ subject: s, kind: i === 0 ? root.kind : 'agent' })),
    delegation: {
      root: { subject: root.subject, kind: root.kind, groups: root.groups, issuer: root.issuer },
      scopes: [],
    },
  };
}

const planner = delegate('planner-agent', ['alice']);
const subagent = delegate('sql-subagent', ['alice', 'planner-agent']);

describe('lockCovers', () => {
  test('a lock on a person covers the person and every delegate of their chain', () => {
    const l = lock('identity', 'alice');
    for (const who of [alice, planner, subagent])
      assert.equal(lockCovers(l, who, 'appdb'), true, who.subject);
  });

  test('a lock on a delegate covers it and its descendants, not its ancestors', () => {
    const l = lock('identity', 'planner-agent');
    assert.equal(lockCovers(l, planner, 'appdb'), true);
    assert.equal(lockCovers(l, subagent, 'appdb'), true);
    assert.equal(lockCovers(l, alice, 'appdb'), false);
  });

  test('user:SUBJECT names the same identity as SUBJECT', () => {
    assert.equal(lockCovers(lock('identity', 'user:alice'), subagent, 'appdb'), true);
    assert.equal(lockCovers(lock('identity', 'user:bob'), alice, 'appdb'), false);
  });

  test("group:NAME covers members and delegates whose root's groups include NAME", () => {
    const l = lock('identity', 'group:analysts');
    assert.equal(lockCovers(l, alice, 'appdb'), true);
    assert.equal(lockCovers(l, planner, 'appdb'), true);
    assert.equal(lockCovers(l, subagent, 'appdb'), true);
    const bob: Identity = { ...alice, subject: 'bob', groups: ['ops'] };
    assert.equal(lockCovers(l, bob, 'appdb'), false);
    assert.equal(lockCovers(l, delegate('bob-agent', ['bob'], bob), 'appdb'), false);
  });

  test('group:NAME also covers an identity that is itself in the group', () => {
    // A delegate has no groups of its own today; if it ever carries some, they count too.
    const grouped: Identity = { ...planner, groups: ['contractors'] };
    assert.equal(lockCovers(lock('identity', 'group:contractors'), grouped, 'appdb'), true);
  });

  test('a group lock does not match a subject that happens to be named group:x', () => {
    const odd: Identity = { ...alice, subject: 'group:analysts', groups: [] };
    assert.equal(lockCovers(lock('identity', 'group:analysts'), odd, 'appdb'), false);
  });

  test('a connection lock covers only that connection', () => {
    assert.equal(lockCovers(lock('connection', 'appdb'), subagent, 'appdb'), true);
    assert.equal(lockCovers(lock('connection', 'appdb'), subagent, 'other'), false);
  });
});
