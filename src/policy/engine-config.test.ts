import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AirlockError } from '../core/errors.js';
import { PolicyEngine } from './engine.js';
import {
  agent,
  engineWith,
  guardrails,
  ISSUE_EXAMPLE,
  identity,
  prod,
  st,
  staging,
} from './testing/fixtures.js';
import type { PolicyConnection } from './types.js';

describe('PolicyEngine configuration problems', () => {
  const problemsOf = (connections: PolicyConnection[], files: Record<string, string> = {}): string => {
    try {
      engineWith(connections, files);
    } catch (err) {
      assert.ok(err instanceof AirlockError);
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      return err.detail ?? '';
    }
    assert.fail('expected ERR_CONFIG_INVALID');
  };

  it('refuses unknown shorthand names instead of skipping them', () => {
    const detail = problemsOf([{ ...prod, guardrails: guardrails({ deny: ['drop', 'dorp'] }) }]);
    assert.match(
      detail,
      /^connection prod: guardrails\.deny\[1\]: unknown guardrail "dorp"; did you mean "drop"\?/,
    );
  });

  it('refuses Cedar that does not parse, naming file, line and column', () => {
    const detail = problemsOf([{ ...prod, guardrails: guardrails({ policies: ['/bad.cedar'] }) }], {
      '/bad.cedar': 'permit (principal, action, resource);\nforbid (principal, action resource);',
    });
    assert.match(detail, /^connection prod: \/bad\.cedar: 2:\d+: /);
  });

  it('refuses unreadable files, unknown @airlock values and review on a permit', () => {
    const detail = problemsOf(
      [{ ...prod, guardrails: guardrails({ policies: ['/missing.cedar', '/a.cedar'] }) }],
      {
        '/a.cedar':
          '@id("x") @airlock("hold") forbid (principal, action, resource);\n' +
          '@id("y") @airlock("review") permit (principal, action, resource);',
      },
    );
    assert.match(detail, /cannot read \/missing\.cedar: ENOENT/);
    assert.match(detail, /x: @airlock\("hold"\) is not known/);
    assert.match(detail, /y: @airlock\("review"\) holds only on a forbid/);
  });

  it('reports a broken or careless global policy once, not once per connection', () => {
    const connections = [{ ...prod }, { ...staging }];
    assert.throws(
      () => engineWith(connections, {}, ['forbid (principal, action resource);']),
      (err: AirlockError) =>
        err.detail?.split('\n').length === 1 && /^global policies: 1:\d+: /.test(err.detail),
    );
    const warned = engineWith(connections, {}, [
      'forbid (principal, action, resource) when { context has boundd };',
    ]);
    assert.equal(warned.warnings.length, 1);
    assert.match(warned.warnings[0]!, /^global policies: global:policy0: .*impossible/);
  });

  it('refuses policy templates', () => {
    const detail = problemsOf([{ ...prod, guardrails: guardrails({ policies: ['/t.cedar'] }) }], {
      '/t.cedar': 'forbid (principal == ?principal, action, resource);',
    });
    assert.match(detail, /templates .* are not supported/);
  });
});

describe('PolicyEngine decision cache', () => {
  it('answers a repeated statement from the cache with the same decision', () => {
    const engine = engineWith([{ ...prod, guardrails: ISSUE_EXAMPLE }]);
    const drop = st('sql.drop');
    const first = engine.decide(agent, prod, [drop]);
    assert.deepEqual(engine.cacheStats, { hits: 0, misses: 1, size: 1 });
    assert.equal(engine.decide(agent, prod, [drop]), first, 'the cached object itself');
    // Equal facts in new objects and an equal identity from another session hit too.
    assert.equal(engine.decide(identity(), { ...prod }, [st('sql.drop')]), first);
    assert.equal(engine.cacheStats.hits, 2);
    assert.ok(Object.isFrozen(first), 'callers cannot change a cached decision');
  });

  it('keys on principal attributes and the connection, not only the statement', () => {
    const engine = engineWith([{ ...prod, guardrails: guardrails({ policies: ['/g.cedar'] }) }], {
      '/g.cedar': 'forbid (principal in Airlock::Group::"interns", action, resource);',
    });
    const select = st('sql.select');
    assert.equal(engine.decide(agent, prod, [select]).outcome, 'allow');
    assert.equal(engine.decide(identity({ groups: ['interns'] }), prod, [select]).outcome, 'deny');
    assert.equal(engine.cacheStats.misses, 2);
  });

  it('stays bounded and still decides with caching off', () => {
    const small = new PolicyEngine({ connections: [{ ...prod, guardrails: ISSUE_EXAMPLE }], cacheSize: 2 });
    for (const table of ['a', 'b', 'c', 'd']) small.decide(agent, prod, [st('sql.drop', {}, [table])]);
    assert.equal(small.cacheStats.size, 2);
    const off = new PolicyEngine({ connections: [{ ...prod, guardrails: ISSUE_EXAMPLE }], cacheSize: 0 });
    assert.equal(off.decide(agent, prod, [st('sql.drop')]).outcome, 'deny');
    assert.equal(off.decide(agent, prod, [st('sql.drop')]).outcome, 'deny');
    assert.deepEqual(off.cacheStats, { hits: 0, misses: 2, size: 0 });
  });
});
