import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { accessList } from './fields.js';
import { Findings } from './problems.js';
import { readReviews } from './reviews.js';

const ISSUE_EXAMPLE = `
maxAge: 30d
approvers: [group:dba]
minApprovals: 1
wait: 10m
onStale: hold
fallback:
  - { after: 5m, approvers: [group:sre-oncall] }
then: deny
grace: 3d
expireUnusedAfter: 30d
`;

test('the issue example reads as written', () => {
  const findings = new Findings();
  const reviews = readReviews(findings, parse(ISSUE_EXAMPLE), 'connections[0].reviews');
  assert.deepEqual(findings.problems, []);
  assert.deepEqual(reviews, {
    maxAgeMs: 30 * 86_400_000,
    approvers: ['group:dba'],
    minApprovals: 1,
    waitMs: 600_000,
    onStale: 'hold',
    fallback: [{ afterMs: 300_000, approvers: ['group:sre-oncall'] }],
    onTimeout: 'deny',
    graceMs: 3 * 86_400_000,
    expireUnusedAfterMs: 30 * 86_400_000,
  });
});

test('every bad key is named with what was expected', () => {
  const findings = new Findings();
  readReviews(
    findings,
    parse(`
maxAge: soon
minApprovals: 0
onStale: allow
then: approve
fallback:
  - { after: 5m, approvers: [group:b] }
  - { after: 1m, approvers: [group:c] }
surprise: 1
`),
    'r',
  );
  const text = findings.problems.join('\n');
  assert.match(text, /r\.maxAge: expected a duration/);
  assert.match(text, /r\.approvers: required key is missing/);
  assert.match(text, /r\.minApprovals: expected an integer 1-10/);
  assert.match(text, /r\.onStale: expected "hold" or "deny"/);
  assert.match(text, /r\.then: expected "deny"/);
  assert.match(text, /r\.fallback\[1\]\.after: fallback steps must be in increasing/);
  assert.match(text, /surprise/);
});

test('access entries: plain principals are admin, {who, scope} narrows', () => {
  const findings = new Findings();
  const { refs, scopes } = accessList(
    findings,
    parse('[group:agents, {who: group:readers, scope: read}, {who: user:bob, scope: admin}]'),
    'access',
  );
  assert.deepEqual(findings.problems, []);
  assert.deepEqual(refs, ['group:agents', 'group:readers', 'user:bob']);
  assert.deepEqual(scopes, { 'group:readers': 'read' });
  const bad = new Findings();
  accessList(bad, parse('[{who: group:x, scope: everything}, {scope: read}]'), 'access');
  assert.equal(bad.problems.length, 2);
});
