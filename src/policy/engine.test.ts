import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agent, engineWith, guardrails, ISSUE_EXAMPLE, prod, st, staging } from './testing/fixtures.js';

describe('PolicyEngine decisions', () => {
  const engine = engineWith([{ ...prod, guardrails: ISSUE_EXAMPLE }, { ...staging }]);

  it('allows what no rule names, denies and holds what the shorthand names', () => {
    assert.deepEqual(engine.decide(agent, prod, [st('sql.select')]), { outcome: 'allow', rule: 'default' });
    assert.deepEqual(engine.decide(agent, prod, [st('sql.drop', {}, ['public.customers'])]), {
      outcome: 'deny',
      rule: 'deny:drop',
      reason: 'DROP on public.customers',
    });
    assert.deepEqual(
      engine.decide(agent, prod, [st('sql.delete', { bounded: true }, ['public.customers'])]),
      {
        outcome: 'review',
        rule: 'review:delete',
        reason: 'DELETE on public.customers',
      },
    );
    // Both deny:unbounded-delete and review:delete match: deny wins.
    const unbounded = engine.decide(agent, prod, [
      st('sql.delete', { bounded: false }, ['public.customers']),
    ]);
    assert.equal(unbounded.outcome, 'deny');
    assert.equal(unbounded.rule, 'deny:unbounded-delete');
  });

  it('combines statements: deny beats review beats allow', () => {
    const select = st('sql.select');
    const update = st('sql.update', { bounded: true });
    const drop = st('sql.drop');
    assert.equal(engine.decide(agent, prod, [select, select]).outcome, 'allow');
    assert.deepEqual(engine.decide(agent, prod, [select, update, select]), {
      outcome: 'review',
      rule: 'review:update',
      reason: 'UPDATE on public.t',
    });
    assert.equal(engine.decide(agent, prod, [update, drop, select]).rule, 'deny:drop');
    assert.equal(engine.decide(agent, prod, [drop, update]).rule, 'deny:drop');
    assert.deepEqual(engine.decide(agent, prod, []), { outcome: 'allow', rule: 'default' });
  });

  it('allows everything on a connection without guardrails, but never an unparsed statement', () => {
    assert.equal(engine.decide(agent, staging, [st('sql.drop')]).outcome, 'allow');
    assert.deepEqual(engine.decide(agent, staging, { unparsed: 'syntax error at or near "DORP"' }), {
      outcome: 'deny',
      rule: 'unparsed',
      reason:
        'the statement could not be classified (syntax error at or near "DORP"), and statements Airlock cannot check never run',
    });
  });

  it('decides unparsed statements by onUnparsed', () => {
    const held = engineWith([{ ...prod, guardrails: guardrails({ onUnparsed: 'review' }) }]);
    const decision = held.decide(agent, prod, { unparsed: 'x'.repeat(500) });
    assert.ok(decision.outcome === 'review', 'held, not denied or allowed');
    assert.equal(decision.rule, 'unparsed');
    assert.ok(decision.reason.length < 320, 'long causes are cut');
    assert.equal(engine.decide(agent, prod, { unparsed: 'bad' }).outcome, 'deny');
  });

  it('gives dynamic SQL the strictest outcome any rule on the connection can produce', () => {
    const dynamic = st('sql.do', { dynamicSql: true, innerActions: ['sql.select'] }, []);
    const denied = engine.decide(agent, prod, [dynamic]);
    assert.equal(denied.outcome, 'deny');
    assert.equal(denied.rule, 'dynamic-sql');
    assert.match(denied.outcome === 'deny' ? denied.reason : '', /cannot see before it runs.*\(deny:drop\)$/);
    const reviewOnly = engineWith([{ ...prod, guardrails: guardrails({ review: ['delete'] }) }]);
    assert.equal(reviewOnly.decide(agent, prod, [dynamic]).outcome, 'review');
    assert.equal(
      engine.decide(agent, staging, [dynamic]).outcome,
      'allow',
      'no rules: nothing to be strict about',
    );
    assert.equal(engine.decide(agent, prod, [st('sql.do', { dynamicSql: false })]).outcome, 'allow');
  });

  it('falls back to the global policies for a connection it was not built with', () => {
    const globals = engineWith([], {}, [
      'forbid (principal, action == Airlock::Action::"sql.drop", resource);',
    ]);
    const decision = globals.decide(agent, { name: 'elsewhere', tags: {} }, [st('sql.drop')]);
    assert.equal(decision.outcome, 'deny');
    assert.equal(decision.rule, 'global:policy0');
  });
});
