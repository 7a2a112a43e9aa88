import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readMasking, splitName } from './masking.js';
import { Findings } from './problems.js';

const context = { baseDir: '/etc/airlock', env: { MASK_KEY: 'k' }, fileExists: () => true };

test('reads columns, detect, defaults and the hash key', () => {
  const f = new Findings();
  const m = readMasking(
    f,
    {
      columns: {
        'customers.email': 'email',
        'public.customers.ssn': 'redact',
        'customers.phone': 'hash',
        '"Odd"."T".*': 'partial',
      },
      detect: ['EMAIL', 'SSN'],
      hashKey: { env: 'MASK_KEY' },
    },
    'connections[0]',
    context,
  );
  assert.deepEqual(f.problems, []);
  assert.equal(m?.columns.length, 4);
  assert.deepEqual(m?.columns[1], {
    schema: 'public',
    table: 'customers',
    column: 'ssn',
    strategy: { kind: 'redact' },
  });
  assert.deepEqual(m?.columns[3]?.schema, 'Odd');
  assert.equal(m?.onDerived, 'redact');
  assert.equal(m?.denyPredicates, false);
  assert.equal(m?.region, 'US');
  assert.deepEqual(m?.hashKey, { env: 'MASK_KEY' });
});

test('names every problem: bad strategy, entity, name, missing hash key', () => {
  const f = new Findings();
  readMasking(
    f,
    {
      columns: { email: 'redact', 'c.x': 'scramble', 'c.p': 'hash' },
      detect: ['EMAILS'],
      onDerived: 'allow',
      region: 'usa',
    },
    'connections[0]',
    context,
  );
  assert.equal(f.problems.length, 6, f.problems.join('\n'));
  assert.ok(f.problems.some((p) => p.includes('masking.hashKey: required key is missing')));
});

test('splitName folds unquoted parts and keeps quoted ones', () => {
  assert.deepEqual(splitName('Customers.Email'), ['customers', 'email']);
  assert.deepEqual(splitName('"My.Schema".t.*'), ['My.Schema', 't', '*']);
  assert.equal(splitName('a'), undefined);
  assert.equal(splitName('a.b.c.d'), undefined);
});
