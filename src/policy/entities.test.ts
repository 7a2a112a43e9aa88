import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Identity } from '../core/identity.js';
import { actionEntity, factValue, principalEntity, resourceEntity, statementContext } from './entities.js';

const delegate: Identity = {
  subject: 'subagent-7',
  displayName: 'sub agent',
  kind: 'agent',
  groups: ['agents', 'readers'],
  issuer: 'airlock',
  tokenId: 'tok-1',
  expiresAt: new Date(0),
  chain: [
    { subject: 'alice', kind: 'human' },
    { subject: 'orchestrator', kind: 'agent' },
  ],
};

describe('Cedar entities', () => {
  it('maps an identity to a principal with groups as parents and chain facts', () => {
    assert.deepEqual(principalEntity(delegate), {
      uid: { type: 'Airlock::Identity', id: 'subagent-7' },
      attrs: {
        kind: 'agent',
        issuer: 'airlock',
        chainDepth: 2,
        rootSubject: 'alice',
        rootKind: 'human',
        rootGroups: [],
        chain: ['alice', 'orchestrator'],
        chainKinds: ['human', 'agent'],
      },
      parents: [
        { type: 'Airlock::Group', id: 'agents' },
        { type: 'Airlock::Group', id: 'readers' },
      ],
    });
  });

  it('makes a direct caller its own root', () => {
    const direct = principalEntity({ ...delegate, chain: [], kind: 'service' });
    assert.equal(direct.attrs.rootSubject, 'subagent-7');
    assert.equal(direct.attrs.rootKind, 'service');
    assert.equal(direct.attrs.chainDepth, 0);
  });

  it('puts each action under its protocol group', () => {
    assert.deepEqual(actionEntity('sql.delete').parents, [{ type: 'Airlock::Action', id: 'sql' }]);
    assert.deepEqual(actionEntity('ungrouped').parents, []);
  });

  it('gives the connection its tags as Cedar entity tags', () => {
    assert.deepEqual(resourceEntity({ name: 'prod', tags: { env: 'prod', team: 'core' } }), {
      uid: { type: 'Airlock::Connection', id: 'prod' },
      attrs: { name: 'prod' },
      parents: [],
      tags: { env: 'prod', team: 'core' },
    });
  });
});

describe('statement context', () => {
  it('carries facts (absent ones omitted, lists as sets) and the objects', () => {
    const context = statementContext({
      action: 'sql.delete',
      objects: ['public.customers'],
      facts: { bounded: false, innerActions: ['sql.drop'], multiStatement: 2, custom: 'kept' },
    });
    assert.deepEqual(context, {
      bounded: false,
      innerActions: ['sql.drop'],
      multiStatement: 2,
      custom: 'kept',
      objects: ['public.customers'],
    });
    const loose = statementContext({ action: 'sql.select', objects: [], facts: { gone: null as never } });
    assert.deepEqual(loose, { objects: [] });
  });

  it('coerces known facts to their Cedar type, failing closed', () => {
    assert.equal(factValue('copyProgram', 'gzip > /tmp/x'), true, 'a flag that names what it found is true');
    assert.equal(factValue('copyProgram', ''), false);
    assert.equal(factValue('dynamicSql', ['EXECUTE']), true);
    assert.equal(factValue('bounded', true), true);
    assert.equal(factValue('bounded', 'true'), false, 'only exactly true proves a WHERE');
    assert.equal(factValue('bounded', 1), false);
    assert.deepEqual(factValue('dangerousFunctions', 'pg_read_file'), ['pg_read_file']);
    assert.equal(factValue('multiStatement', 2.7), 2);
    assert.equal(factValue('preparedAction', ['sql.drop']), 'sql.drop');
    assert.equal(factValue('unknownRatio', 0.5), '0.5', 'Cedar has no fractions');
    assert.equal(factValue('unknownCount', 3), 3);
  });
});
