import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PolicyEngine } from './engine.js';
import { agent, engineWith, guardrails, human, identity, prod, st, staging } from './testing/fixtures.js';

describe('PolicyEngine with raw Cedar policies', () => {
  const GLOBAL = `
@id("agents-no-prod-delete")
@reason("agents may not delete on production")
forbid (principal in Airlock::Group::"agents", action == Airlock::Action::"sql.delete", resource)
when { resource.hasTag("env") && resource.getTag("env") == "prod" };

@id("deep-delegates-read-only")
forbid (principal, action in Airlock::Action::"sql", resource)
when {
  principal.chainDepth >= 2 &&
  !(action in [Airlock::Action::"sql.select", Airlock::Action::"sql.show", Airlock::Action::"sql.explain"])
};
`;
  const PROD_FILE = `
@id("agent-ddl-needs-review")
@airlock("review")
forbid (principal, action in [Airlock::Action::"sql.create", Airlock::Action::"sql.alter"], resource)
when { principal.kind == "agent" };

@id("salaries-agents")
forbid (principal, action, resource)
when { context.objects.contains("public.salaries") && principal.rootKind == "agent" };

@id("mallory-anything")
forbid (principal, action in Airlock::Action::"sql", resource)
when { principal.rootSubject == "mallory" };

@id("reads-ok")
permit (principal, action == Airlock::Action::"sql.select", resource);
`;
  const engine = engineWith(
    [
      { ...prod, guardrails: guardrails({ policies: ['/etc/airlock/prod.cedar'] }) },
      { ...staging, guardrails: guardrails({}) },
    ],
    { '/etc/airlock/prod.cedar': PROD_FILE },
    [GLOBAL],
  );

  it('builds without warnings: the policies fit the schema', () => {
    assert.deepEqual(engine.warnings, []);
  });

  it('groups and tags: agents may not delete on env=prod', () => {
    const deleteRow = st('sql.delete', { bounded: true }, ['public.orders']);
    assert.deepEqual(engine.decide(agent, prod, [deleteRow]), {
      outcome: 'deny',
      rule: 'agents-no-prod-delete',
      reason: 'agents may not delete on production (DELETE on public.orders)',
    });
    assert.equal(engine.decide(human, prod, [deleteRow]).outcome, 'allow');
    assert.equal(engine.decide(agent, staging, [deleteRow]).outcome, 'allow');
  });

  it('chain depth: delegates of depth ≥ 2 may only read', () => {
    const deep = identity({
      subject: 'sub',
      chain: [
        { subject: 'alice', kind: 'human' },
        { subject: 'orchestrator', kind: 'agent' },
      ],
    });
    const shallow = identity({ subject: 'orch', chain: [{ subject: 'alice', kind: 'human' }] });
    const insert = st('sql.insert');
    const denied = engine.decide(deep, staging, [insert]);
    assert.equal(denied.rule, 'deep-delegates-read-only');
    assert.equal(
      denied.outcome === 'deny' && denied.reason,
      'INSERT on public.t matches a policy that forbids it',
    );
    assert.equal(engine.decide(deep, staging, [st('sql.select')]).outcome, 'allow');
    assert.equal(engine.decide(shallow, staging, [insert]).outcome, 'allow');
  });

  it('kind and @airlock("review"): agents’ DDL is held, people’s is not', () => {
    assert.deepEqual(engine.decide(agent, prod, [st('sql.create', {}, ['public.x'])]), {
      outcome: 'review',
      rule: 'agent-ddl-needs-review',
      reason: 'CREATE on public.x matches a policy that requires review',
    });
    assert.equal(engine.decide(human, prod, [st('sql.alter')]).outcome, 'allow');
  });

  it('context facts and the root of the chain', () => {
    const delegatedByAgent = identity({ kind: 'service', chain: [{ subject: 'planner', kind: 'agent' }] });
    const salaries = st('sql.select', {}, ['public.salaries']);
    assert.equal(engine.decide(delegatedByAgent, prod, [salaries]).rule, 'salaries-agents');
    assert.equal(engine.decide(human, prod, [salaries]).outcome, 'allow');
    const mallory = identity({ subject: 'mallory', kind: 'human' });
    assert.equal(engine.decide(mallory, prod, [st('sql.select')]).rule, 'mallory-anything');
  });

  it('reports the permit that allowed a statement when it is not the default', () => {
    assert.deepEqual(engine.decide(human, prod, [st('sql.select')]), { outcome: 'allow', rule: 'reads-ok' });
    assert.deepEqual(engine.decide(human, prod, [st('sql.update', { bounded: true })]), {
      outcome: 'allow',
      rule: 'default',
    });
  });

  it('names policies without @id after their file, in file order', () => {
    const many = Array.from(
      { length: 12 },
      (_, i) => `forbid (principal, action == Airlock::Action::"sql.x${i}", resource);`,
    ).join('\n');
    const numbered = engineWith([{ ...prod, guardrails: guardrails({ policies: ['/p/rules.cedar'] }) }], {
      '/p/rules.cedar': many,
    });
    for (const i of [0, 2, 10, 11]) {
      assert.equal(numbered.decide(agent, prod, [st(`sql.x${i}`)]).rule, `rules.cedar:policy${i}`);
    }
  });

  it('counts a forbid whose condition fails to evaluate as matched, and warns about it at load', () => {
    const careless = engineWith([{ ...prod, guardrails: guardrails({ policies: ['/c.cedar'] }) }], {
      '/c.cedar':
        '@id("careless")\nforbid (principal, action == Airlock::Action::"sql.delete", resource)\nwhen { context.bounded == false };',
    });
    const decision = careless.decide(agent, prod, [st('sql.delete')]);
    assert.equal(decision.outcome, 'deny');
    assert.equal(decision.rule, 'careless');
    assert.match(
      decision.outcome === 'deny' ? decision.reason : '',
      /could not be evaluated .*bounded.*counts as matched/,
    );
    assert.equal(careless.decide(agent, prod, [st('sql.delete', { bounded: true })]).outcome, 'allow');
    assert.equal(careless.warnings.length, 1);
    assert.match(careless.warnings[0]!, /^connection prod: \/c\.cedar: careless: .*bounded/);
  });

  it('warns about policies that can never match (typos)', () => {
    const typo = engineWith([{ ...prod, guardrails: guardrails({ policies: ['/t.cedar'] }) }], {
      '/t.cedar':
        '@id("typo")\nforbid (principal, action, resource) when { context has boundd };\n' +
        '@id("typo2")\nforbid (principal, action == Airlock::Action::"sql.dorp", resource);',
    });
    assert.ok(
      typo.warnings.some((w) => /typo: .*impossible/.test(w)),
      typo.warnings.join('\n'),
    );
    assert.ok(
      typo.warnings.some((w) => /typo2: .*sql\.dorp/.test(w)),
      typo.warnings.join('\n'),
    );
  });

  it('reads policy files from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-policy-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'prod.cedar');
    writeFileSync(
      path,
      '@id("no-truncate") forbid (principal, action == Airlock::Action::"sql.truncate", resource);',
    );
    const fromDisk = new PolicyEngine({
      connections: [{ ...prod, guardrails: guardrails({ policies: [path] }) }],
    });
    assert.equal(fromDisk.decide(agent, prod, [st('sql.truncate')]).rule, 'no-truncate');
    assert.match(fromDisk.policyText('prod'), /no-truncate/);
  });
});
