import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnRules } from '../../../masking/rules.js';
import { inheritMasking, type MaskedRelation } from './catalog.js';

const rules = new ColumnRules([
  { table: 'customers', column: 'email', strategy: { kind: 'email' } },
  { table: 'customers', column: 'ssn', strategy: { kind: 'redact' } },
  { table: 'customers_2024', column: 'ssn', strategy: { kind: 'hash' } },
]);

const customers: MaskedRelation = {
  schema: 'public',
  table: 'customers',
  attributes: [
    { attnum: 1, name: 'id', typeOid: 23 },
    { attnum: 2, name: 'email', typeOid: 25 },
    { attnum: 3, name: 'ssn', typeOid: 25 },
  ],
  columns: new Map([
    [2, { name: 'email', typeOid: 25, strategy: { kind: 'email' } }],
    [3, { name: 'ssn', typeOid: 25, strategy: { kind: 'redact' } }],
  ]),
};

/** Rows as descendantsSql returns them: oid, schema, table, attnum, name, type, parents. */
const rows: (string | null)[][] = [
  // A partition whose columns sit at other attribute numbers (created apart, then attached).
  ['200', 'public', 'customers_2024', '1', 'ssn', '25', '100'],
  ['200', 'public', 'customers_2024', '2', 'id', '23', '100'],
  ['200', 'public', 'customers_2024', '3', 'email', '25', '100'],
  // Its own sub-partition, listed before its parent would be resolved if order mattered.
  ['150', 'archive', 'customers_2024_q1', '1', 'id', '23', '200'],
  ['150', 'archive', 'customers_2024_q1', '2', 'email', '25', '200'],
  ['150', 'archive', 'customers_2024_q1', '3', 'ssn', '25', '200'],
  ['150', 'archive', 'customers_2024_q1', '4', 'note', '25', '200'],
];

test('partitions and children, at any depth, are masked by name like their parent unless a rule names them', () => {
  const kids = inheritMasking(rows, new Map([[100, customers]]), rules);
  const strategies = (oid: number) =>
    Object.fromEntries(
      [...(kids.get(oid)?.columns ?? [])].map(([n, c]) => [`${n}:${c.name}`, c.strategy.kind]),
    );
  assert.deepEqual(strategies(200), { '1:ssn': 'hash', '3:email': 'email' });
  assert.deepEqual(strategies(150), { '2:email': 'email', '3:ssn': 'hash' });
  assert.equal(kids.get(150)?.schema, 'archive');
  assert.equal(kids.get(150)?.attributes.length, 4);
});

test('a descendant with no column of a masked name is not listed', () => {
  const kids = inheritMasking(
    [['300', 'public', 'other_kid', '1', 'id', '23', '100']],
    new Map([[100, customers]]),
    rules,
  );
  assert.equal(kids.size, 0);
});
