/**
 * docs/policy.md against the code: every shorthand name and context fact has its table row, the
 * schema block is the schema Airlock validates with, the compiled example is what the compiler
 * emits, and every Cedar example users may copy parses and fits the schema without a warning.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FACT_TYPES } from './entities.js';
import { buildPolicySet } from './policy-set.js';
import { cedarSchema } from './schema.js';
import { compileRule } from './shorthand.js';
import { SHORTHAND_NAMES, SHORTHAND_RULES } from './shorthand-rules.js';
import { engineWith, guardrails, identity, st, staging } from './testing/fixtures.js';

const doc = readFileSync(new URL('../../docs/policy.md', import.meta.url), 'utf8');

function blocks(language: string): string[] {
  return [...doc.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

function row(first: string): string[] | undefined {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${first}\` |`));
  return line?.split(' | ').map((cell) => cell.replace(/^\| /, '').replace(/ \|$/, ''));
}

describe('docs/policy.md', () => {
  it('lists every shorthand name with the facts it reads', () => {
    for (const name of SHORTHAND_NAMES) {
      const cells = row(name);
      assert.ok(cells, `no row for ${name}`);
      assert.equal(cells.at(-1), SHORTHAND_RULES[name]!.facts, `facts of ${name}`);
    }
  });

  it('lists every context fact', () => {
    for (const fact of [...Object.keys(FACT_TYPES), 'objects']) assert.ok(row(fact), `no row for ${fact}`);
  });

  it('shows the schema Airlock validates with', () => {
    assert.deepEqual(blocks('cedarschema'), [cedarSchema()]);
  });

  it('shows what the compiler really emits', () => {
    assert.equal(blocks('cedar')[0], compileRule('drop', 'deny', 'prod'));
  });

  it('has examples that parse and fit the schema', () => {
    const examples = blocks('cedar');
    assert.ok(examples.length >= 6);
    examples.forEach((text, index) => {
      const built = buildPolicySet([{ origin: `example ${index}`, label: 'example', text, validate: true }]);
      assert.deepEqual([...built.problems, ...built.warnings], [], text);
    });
  });

  describe('the two chain examples do what the page says (each is one policy)', () => {
    const example = (id: string) => {
      const found = blocks('cedar').find((text) => text.includes(`@id("${id}")`));
      assert.ok(found, `docs/policy.md has no example @id("${id}")`);
      return found;
    };
    const alice = { subject: 'alice', kind: 'human' as const };
    const robot = { subject: 'robot', kind: 'agent' as const };
    const planner = identity({ subject: 'planner', chain: [alice] });
    const subagent = identity({ subject: 'sub', chain: [alice, { subject: 'planner', kind: 'agent' }] });
    const robotChild = identity({ subject: 'robot-child', chain: [robot] });
    const person = identity({ subject: 'alice', kind: 'human', groups: [] });
    const read = [st('sql.select')];
    const write = [st('sql.insert')];
    const connection = { ...staging, guardrails: guardrails({ policies: ['/p/chain.cedar'] }) };

    it('"delegates of depth ≥ 2 may only read"', () => {
      const engine = engineWith([connection], { '/p/chain.cedar': example('deep-delegates-read-only') });
      assert.deepEqual(engine.warnings, []);
      assert.equal(engine.decide(subagent, connection, read).outcome, 'allow');
      assert.deepEqual(engine.decide(subagent, connection, write), {
        outcome: 'deny',
        rule: 'deep-delegates-read-only',
        reason: 'INSERT on public.t matches a policy that forbids it',
      });
      // Depth 1 and direct identities write as their access allows.
      assert.equal(engine.decide(planner, connection, write).outcome, 'allow');
      assert.equal(engine.decide(person, connection, write).outcome, 'allow');
    });

    it('"chains rooted in a human need no review for reads"', () => {
      const engine = engineWith([connection], { '/p/chain.cedar': example('agent-writes-review') });
      assert.deepEqual(engine.warnings, []);
      const review = {
        outcome: 'review',
        rule: 'agent-writes-review',
        reason: 'writes by agents need approval unless a person started the chain (INSERT on public.t)',
      };
      // Rooted in a person: reads pass at any depth, writes are held.
      for (const delegate of [planner, subagent]) {
        assert.equal(engine.decide(delegate, connection, read).outcome, 'allow', delegate.subject);
        assert.deepEqual(engine.decide(delegate, connection, write), review, delegate.subject);
      }
      // Rooted in an agent (itself, or an agent that delegated): even reads are held.
      for (const who of [identity({ subject: 'robot' }), robotChild]) {
        assert.equal(engine.decide(who, connection, read).outcome, 'review', who.subject);
      }
      // People are not agents: nothing held.
      assert.equal(engine.decide(person, connection, write).outcome, 'allow');
    });
  });
});
