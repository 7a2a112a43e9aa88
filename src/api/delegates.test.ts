import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDelegated } from '../admin/delegated.js';
import type { Identity } from '../core/identity.js';
import { testIdentity } from '../core/testing/doubles.js';
import { checkDelegateRoute, refusalOf } from './delegates.js';

const alice = testIdentity('alice', ['platform'], 'human');
const root = { subject: 'alice', kind: 'human' as const, groups: ['platform'], issuer: 'airlock' };
const delegate: Identity = {
  ...testIdentity('planner', [], 'agent'),
  chain: [{ subject: 'alice', kind: 'human' }],
  delegation: { root, scopes: [[{ connection: 'appdb', scope: 'read', actions: ['sql.select'] }]] },
};
// alice's token exchanged with a scope but no actor: alice herself, narrowed.
const scoped: Identity = {
  ...alice,
  delegation: { root, scopes: [[{ connection: 'appdb', scope: 'read', actions: ['sql.select'] }]] },
};
// `airlock login`: an unscoped exchange is the person.
const login: Identity = { ...alice, delegation: { root, scopes: [] } };

test('delegated: any chain or any scope; an unscoped login token is its person', () => {
  assert.equal(isDelegated(alice), false);
  assert.equal(isDelegated(login), false);
  assert.equal(isDelegated(delegate), true);
  assert.equal(isDelegated(scoped), true);
  // An OIDC token with an act claim: a chain, no scope.
  assert.equal(isDelegated({ ...delegate, delegation: { root, scopes: [] } }), true);
});

test('routes: the listed ones are open, the rest refused by class, unknown routes fall to other', () => {
  assert.equal(refusalOf('GET', '/api/v1/approvals/:id/wait'), undefined);
  assert.equal(refusalOf('POST', '/api/v1/approvals'), undefined);
  assert.equal(refusalOf('POST', '/api/v1/approvals/:id/approve'), 'approve');
  assert.equal(refusalOf('POST', '/api/v1/approvals/:id/deny'), 'approve');
  assert.equal(refusalOf('POST', '/api/v1/approvals/break-glass'), 'break-glass');
  assert.equal(refusalOf('GET', '/api/v1/grants'), 'grants');
  assert.equal(refusalOf('POST', '/api/v1/reviews/items/:id/decide'), 'reviews');
  assert.equal(refusalOf('POST', '/api/v1/sessions/:id/terminate'), 'locks');
  assert.equal(refusalOf('DELETE', '/api/v1/locks/:id'), 'locks');
  assert.equal(refusalOf('GET', '/api/v1/audit/verify'), 'audit');
  assert.equal(refusalOf('POST', '/api/v1/sessions'), 'other', 'only GET of sessions is open');
  assert.equal(refusalOf('POST', '/api/v1/something-new'), 'other', 'a new route starts closed');
});

test('checkDelegateRoute refuses delegated callers only, with what to do instead', () => {
  for (const who of [alice, login]) checkDelegateRoute(who, 'POST', '/api/v1/approvals/:id/approve');
  assert.throws(
    () => checkDelegateRoute(delegate, 'POST', '/api/v1/approvals/:id/approve'),
    (err: Error & { code?: string; userMessage?: string }) =>
      err.code === 'ERR_DELEGATE_FORBIDDEN' &&
      /^"planner" acts for alice: delegated tokens cannot approve or deny requests; ask a human approver/.test(
        err.userMessage ?? '',
      ),
  );
  assert.throws(
    () => checkDelegateRoute(scoped, 'POST', '/api/v1/tokens'),
    (err: Error & { userMessage?: string }) =>
      /^this token is a scoped exchange of "alice": delegated tokens cannot create/.test(
        err.userMessage ?? '',
      ),
  );
  // No such route: the 404 everyone gets, not a refusal.
  checkDelegateRoute(delegate, 'GET', undefined);
  // HEAD goes with GET.
  checkDelegateRoute(delegate, 'HEAD', '/api/v1/whoami');
});
