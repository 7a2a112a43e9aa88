import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Identity } from '../core/identity.js';
import { approversAt, checkApprover, lifetimeMs, stepAt, tally } from './rules.js';
import { isReadOnly, parseScope } from './scopes.js';

const settings = {
  approvers: ['group:dba'] as const,
  minApprovals: 2,
  fallback: [
    { afterMs: 5 * 60_000, approvers: ['group:sre'] as const },
    { afterMs: 8 * 60_000, approvers: ['user:cto'] as const },
  ],
  waitMs: 10 * 60_000,
} as const;

function person(subject: string, groups: string[], kind: Identity['kind'] = 'human'): Identity {
  return {
    subject,
    displayName: subject,
    kind,
    groups,
    issuer: 'airlock',
    tokenId: undefined,
    expiresAt: undefined,
    chain: [],
  };
}

const request = {
  id: 42,
  requester: {
    subject: 'bot',
    kind: 'agent' as const,
    groups: ['dba'],
    issuer: 'airlock',
    chain: [{ subject: 'alice', kind: 'human' as const }],
  },
};

test('fallback steps start at their `after` from creation and approver sets accumulate', () => {
  assert.equal(stepAt(settings, 0), 0);
  assert.equal(stepAt(settings, 5 * 60_000 - 1), 0);
  assert.equal(stepAt(settings, 5 * 60_000), 1);
  assert.equal(stepAt(settings, 9 * 60_000), 2);
  assert.deepEqual(approversAt(settings, 0), ['group:dba']);
  assert.deepEqual(approversAt(settings, 1), ['group:dba', 'group:sre']);
  assert.deepEqual(approversAt(settings, 2), ['group:dba', 'group:sre', 'user:cto']);
  // The last step lasts `wait`.
  assert.equal(lifetimeMs(settings), 18 * 60_000);
  assert.equal(lifetimeMs({ ...settings, fallback: [] }), 10 * 60_000);
});

test('requesters, their chain, agents, services and non-approvers can never decide', () => {
  assert.throws(() => checkApprover(settings, request, 0, person('bot', ['dba'])), {
    code: 'ERR_APPROVAL_SELF',
  });
  assert.throws(() => checkApprover(settings, request, 0, person('alice', ['dba'])), {
    code: 'ERR_APPROVAL_SELF',
  });
  assert.throws(() => checkApprover(settings, request, 0, person('ops-bot', ['dba'], 'agent')), {
    code: 'ERR_APPROVAL_NOT_ALLOWED',
  });
  assert.throws(() => checkApprover(settings, request, 0, person('svc', ['dba'], 'service')), {
    code: 'ERR_APPROVAL_NOT_ALLOWED',
  });
  assert.throws(() => checkApprover(settings, request, 0, person('sam', ['sre'])), {
    code: 'ERR_APPROVAL_NOT_ALLOWED',
  });
  checkApprover(settings, request, 1, person('sam', ['sre']));
  checkApprover(settings, request, 0, person('dana', ['dba']));
  // A delegate named like an approver (minted by the requester's root, or by anyone) never decides.
  const cto = { ...person('cto', []), chain: [{ subject: 'alice', kind: 'human' as const }] };
  assert.throws(() => checkApprover(settings, request, 2, cto), { code: 'ERR_APPROVAL_NOT_ALLOWED' });
  const viaMallory = { ...person('cto', []), chain: [{ subject: 'mallory', kind: 'human' as const }] };
  assert.throws(() => checkApprover(settings, request, 2, viaMallory), { code: 'ERR_APPROVAL_NOT_ALLOWED' });
  checkApprover(settings, request, 2, person('cto', []));
});

test('N-of-M counts distinct approvers; one deny decides', () => {
  assert.equal(tally(settings, [{ approver: 'dana', decision: 'approve' }]), 'pending');
  assert.equal(
    tally(settings, [
      { approver: 'dana', decision: 'approve' },
      { approver: 'dana', decision: 'approve' },
    ]),
    'pending',
  );
  assert.equal(
    tally(settings, [
      { approver: 'dana', decision: 'approve' },
      { approver: 'eve', decision: 'approve' },
    ]),
    'approved',
  );
  assert.equal(
    tally(settings, [
      { approver: 'dana', decision: 'approve' },
      { approver: 'eve', decision: 'deny' },
    ]),
    'denied',
  );
});

test('scopes: read ⊂ write ⊂ admin; read runs read-only upstream', () => {
  const read = parseScope('read');
  assert.ok(read.actions.includes('sql.select'));
  assert.ok(!read.actions.includes('sql.insert'));
  assert.equal(isReadOnly(read), true);
  assert.equal(isReadOnly(parseScope('write')), false);
  assert.deepEqual(parseScope('admin').actions, []);
  assert.equal(isReadOnly(parseScope('admin')), false);
  assert.deepEqual(parseScope('sql.select, sql.show'), {
    scope: 'custom',
    actions: ['sql.select', 'sql.show'],
  });
  assert.throws(() => parseScope('everything please'), { code: 'ERR_BAD_REQUEST' });
});
