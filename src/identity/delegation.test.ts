import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Connection } from '../core/connection.js';
import type { Identity } from '../core/identity.js';
import type { SessionAccess } from '../core/session.js';
import { READ_ACTIONS } from '../reviews/scopes.js';
import {
  accessPrincipal,
  chainActions,
  checkNarrowing,
  narrowAccess,
  parseScopeGrant,
} from './delegation.js';

const root = { subject: 'alice', kind: 'human' as const, groups: ['agents'], issuer: 'airlock' };
const orders = { name: 'orders' } as Connection;
const admin: SessionAccess = {
  scope: 'admin',
  readOnly: false,
  source: 'access:group:agents',
  freshness: 'unreviewed',
};

function delegate(scopes: string[][]): Identity {
  return {
    subject: 'sub',
    displayName: 'sub',
    kind: 'agent',
    groups: [],
    issuer: 'airlock',
    tokenId: 't',
    expiresAt: undefined,
    chain: [
      { subject: 'alice', kind: 'human' },
      { subject: 'planner', kind: 'agent' },
    ],
    delegation: { root, scopes: scopes.map((list) => list.map((s) => parseScopeGrant(s))) },
  };
}

test('parseScopeGrant reads CONNECTION:scope, and bare scopes with an audience', () => {
  assert.deepEqual(parseScopeGrant('orders:read').actions, READ_ACTIONS);
  assert.deepEqual(parseScopeGrant('write', 'orders').connection, 'orders');
  assert.deepEqual(parseScopeGrant('orders:sql.select,sql.insert').actions, ['sql.select', 'sql.insert']);
  assert.throws(() => parseScopeGrant('read'), /CONNECTION:read/);
  assert.throws(() => parseScopeGrant('orders:drop everything'), /scope/);
});

test('effective rights are the intersection of every scope list and the root access', () => {
  const id = delegate([['orders:read'], ['orders:write']]);
  const narrowed = narrowAccess(id, orders, admin);
  assert.equal(narrowed.scope, 'read');
  assert.equal(narrowed.readOnly, true);
  assert.ok(narrowed.actions?.has('sql.select'));
  assert.ok(!narrowed.actions?.has('sql.insert'));
  // The root itself only reads now (a grant narrowed): a write-scoped delegate reads too.
  const rootRead: SessionAccess = { ...admin, scope: 'read', actions: new Set(READ_ACTIONS), readOnly: true };
  assert.ok(!narrowAccess(delegate([['orders:write']]), orders, rootRead).actions?.has('sql.insert'));
});

test('a chain with no entry for the connection has no rights there', () => {
  assert.equal(chainActions([[parseScopeGrant('billing:read')]], 'orders'), null);
  assert.throws(
    () => narrowAccess(delegate([['billing:read']]), orders, admin),
    /no scope on connection "orders"/,
  );
  assert.equal(chainActions([[parseScopeGrant('*:admin')]], 'orders'), undefined);
});

test('a direct identity keeps its access; a delegate is checked as its root', () => {
  const direct = { ...delegate([]), delegation: undefined, chain: [] };
  assert.equal(narrowAccess(direct, orders, admin), admin);
  const principal = accessPrincipal(delegate([['orders:read']]));
  assert.deepEqual([principal.subject, principal.groups, principal.chain], ['alice', ['agents'], []]);
});

test('checkNarrowing refuses anything wider than the parent chain', () => {
  const parent = [[parseScopeGrant('orders:write')]];
  checkNarrowing([parseScopeGrant('orders:read')], parent);
  checkNarrowing([parseScopeGrant('orders:read')], []);
  assert.throws(() => checkNarrowing([parseScopeGrant('orders:admin')], parent), /wider than the parent/);
  assert.throws(() => checkNarrowing([parseScopeGrant('billing:read')], parent), /wider than the parent/);
  assert.throws(() => checkNarrowing([parseScopeGrant('*:read')], parent), /wider than the parent/);
});
