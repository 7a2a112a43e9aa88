import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Connection } from '../core/connection.js';
import { type Identity, OPERATOR } from '../core/identity.js';
import { AutoApprover, questionActions } from './auto-approve.js';

const STAGING_READS = `@id("staging-reads")
permit (principal, action == Airlock::Action::"scope.read", resource)
when { resource.hasTag("env") && resource.getTag("env") == "staging" };`;
const AGENT_SELECTS = `permit (principal, action == Airlock::Action::"sql.select", resource)
when { principal.kind == "agent" && principal.chainDepth == 0 };`;
const NO_INTERNS = `forbid (principal in Airlock::Group::"interns", action, resource);`;

const FILES: Record<string, string> = {
  '/p/staging-reads.cedar': STAGING_READS,
  '/p/agent-selects.cedar': AGENT_SELECTS,
  '/p/no-interns.cedar': NO_INTERNS,
  '/p/broken.cedar': 'permit (principal, action, resource) when {',
};

function connection(tags: Record<string, string>, files: string[]): Connection {
  return {
    name: 'orders',
    type: 'postgres',
    host: 'h',
    port: 5432,
    database: 'd',
    user: 'u',
    password: { value: 'x' },
    tls: { mode: 'disable' },
    tags,
    access: [],
    reviews: {
      maxAgeMs: 1,
      approvers: ['group:dba'],
      minApprovals: 1,
      waitMs: 1,
      onStale: 'hold',
      fallback: [],
      onTimeout: 'deny',
      graceMs: 0,
      autoApprove: files,
    },
  };
}

const agent: Identity = { ...OPERATOR, subject: 'bot', kind: 'agent', groups: ['agents'] };
const intern: Identity = { ...agent, subject: 'ian', groups: ['interns'] };

describe('autoApprove', () => {
  const warnings: string[] = [];
  const approver = new AutoApprover({
    warn: (m) => warnings.push(m),
    readFile: (path) => {
      const text = FILES[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    },
  });
  const ask = (
    tags: Record<string, string>,
    files: string[],
    rest: { scope?: string; action?: string },
    who = agent,
  ) =>
    approver.reviewer({
      kind: rest.action ? 'command' : 'review',
      requester: who,
      connection: connection(tags, files),
      ...rest,
    });

  test('a permit names its file as the reviewer; anything else is left to people', () => {
    const files = ['/p/staging-reads.cedar', '/p/agent-selects.cedar', '/p/no-interns.cedar'];
    assert.equal(ask({ env: 'staging' }, files, { scope: 'read' }), 'policy:staging-reads.cedar');
    assert.equal(ask({ env: 'prod' }, files, { scope: 'read' }), undefined);
    assert.equal(ask({ env: 'staging' }, files, { scope: 'write' }), undefined);
    assert.equal(ask({}, files, { action: 'sql.select' }), 'policy:agent-selects.cedar');
    assert.equal(ask({}, files, { action: 'sql.delete' }), undefined);
    // A forbid in any file wins over a permit in another.
    assert.equal(ask({ env: 'staging' }, files, { scope: 'read' }, intern), undefined);
    // A comma-list scope needs every one of its actions permitted.
    assert.equal(ask({}, files, { scope: 'sql.select' }), 'policy:agent-selects.cedar');
    assert.equal(ask({}, files, { scope: 'sql.select,sql.insert' }), undefined);
    assert.deepEqual(warnings, []);
  });

  test('a file that cannot be read or parsed approves nothing, and says why', () => {
    assert.equal(
      ask({ env: 'staging' }, ['/p/staging-reads.cedar', '/p/broken.cedar'], { scope: 'read' }),
      undefined,
    );
    assert.equal(ask({ env: 'staging' }, ['/p/missing.cedar'], { scope: 'read' }), undefined);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /broken\.cedar/);
    assert.match(warnings[1]!, /cannot read \/p\/missing\.cedar/);
  });

  test('scopes become scope.* actions', () => {
    assert.deepEqual(questionActions({ scope: 'read' }), ['scope.read']);
    assert.deepEqual(questionActions({}), ['scope.admin']);
    assert.deepEqual(questionActions({ scope: 'sql.select, sql.show' }), ['sql.select', 'sql.show']);
    assert.deepEqual(questionActions({ scope: 'write', action: 'sql.delete' }), ['sql.delete']);
  });
});
