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
});
