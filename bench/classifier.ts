/**
 * @module Classifier micro-benchmark: `npm run bench:classifier`.
 * Prints µs per statement cold (parse and classify, no cache) and cached (the same text again: one
 * Map lookup), for a mix from a pgbench read to a DO block. Runs in about four seconds.
 */
import {
  classifySql,
  classifySqlUncached,
  configureClassifierCache,
  initClassifier,
} from '../src/protocols/postgres/classify/classify.js';

const BUDGET_MS = 250;

/** Mean µs per call of `op` over the time budget, after a warm-up for the JIT. */
function measure(op: () => void): number {
  for (let i = 0; i < 200; i++) op();
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    for (let i = 0; i < 100; i++) op();
    calls += 100;
    elapsed = performance.now() - started;
  }
  return (elapsed * 1000) / calls;
}

const STATEMENTS: readonly (readonly [string, string])[] = [
  ['pgbench -S read', 'SELECT abalance FROM pgbench_accounts WHERE aid = 48213;'],
  ['pgbench update', 'UPDATE pgbench_accounts SET abalance = abalance + -4217 WHERE aid = 48213;'],
  [
    'report query (join, group, order)',
    "SELECT u.id, u.email, count(o.id) AS orders FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.created_at > now() - interval '7 days' GROUP BY u.id, u.email ORDER BY orders DESC LIMIT 20",
  ],
  [
    'writable CTE',
    'WITH d AS (DELETE FROM events WHERE ts < $1 RETURNING *) INSERT INTO archive SELECT * FROM d',
  ],
  ['multi-statement', 'BEGIN; UPDATE t SET a = 1 WHERE id = 7; INSERT INTO log VALUES (7, $$x$$); COMMIT'],
  ['DO block', "DO $$BEGIN EXECUTE 'DROP TABLE ' || 't'; DELETE FROM t WHERE id = 1; END$$"],
];

await initClassifier();
configureClassifierCache();
// One pass over everything first: the WebAssembly heap grows and the JIT settles before timing.
for (let i = 0; i < 2000; i++) for (const [, sql] of STATEMENTS) classifySqlUncached(sql);
console.log(`${'statement'.padEnd(36)} ${'cold µs'.padStart(9)} ${'cached µs'.padStart(10)}`);
for (const [name, sql] of STATEMENTS) {
  const cold = measure(() => classifySqlUncached(sql));
  classifySql(sql);
  const cached = measure(() => classifySql(sql));
  console.log(`${name.padEnd(36)} ${cold.toFixed(1).padStart(9)} ${cached.toFixed(3).padStart(10)}`);
}
