/**
 * @module Policy decision micro-benchmark: `npm run bench:policy` (`ROUNDS=3` repeats,
 * `WARMUP=N` warms up longer). Prints µs per decision for the example guardrails plus two
 * raw policies: cold (a Cedar request each time) and cached (a repeated statement), for one
 * statement and for a three-statement command. The first round includes V8 tiering up the Cedar
 * WebAssembly, so later rounds are the steady state.
 */
import type { StatementFacts } from '../src/core/command.js';
import type { Identity } from '../src/core/identity.js';
import { PolicyEngine } from '../src/policy/engine.js';
import { RECOMMENDED_DENY } from '../src/policy/shorthand-rules.js';

const BUDGET_MS = 400;
const WARMUP = Number(process.env.WARMUP ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 1);

function bench(name: string, op: (i: number) => void): void {
  // Warm up so the JIT (and the wasm instance) have settled before timing.
  for (let i = 0; i < WARMUP; i++) op(i);
  let ops = 0;
  const started = performance.now();
  while (performance.now() - started < BUDGET_MS) op(ops++);
  const micros = ((performance.now() - started) * 1000) / ops;
  console.log(`${name.padEnd(56)} ${micros.toFixed(2).padStart(9)} µs/decision`);
}

const guardrails = {
  deny: [...RECOMMENDED_DENY],
  review: ['delete', 'update'],
  onUnparsed: 'deny' as const,
  policies: ['/bench/prod.cedar'],
};
const file = `
@id("agents-no-prod-delete")
forbid (principal in Airlock::Group::"agents", action == Airlock::Action::"sql.delete", resource)
when { resource.hasTag("env") && resource.getTag("env") == "prod" };
@id("deep-delegates-read-only")
forbid (principal, action, resource)
when { principal.chainDepth >= 2 && action != Airlock::Action::"sql.select" };
`;
const connections = [{ name: 'prod', tags: { env: 'prod' }, guardrails }];
const options = { connections, readFile: () => file };
const cached = new PolicyEngine(options);
const uncached = new PolicyEngine({ ...options, cacheSize: 0 });
const unguarded = new PolicyEngine({ connections: [{ name: 'prod', tags: { env: 'prod' } }] });
// Shorthand only: its policies read no entity data, so requests carry none.
const shorthandOnly = new PolicyEngine({
  connections: [{ name: 'prod', tags: { env: 'prod' }, guardrails: { ...guardrails, policies: [] } }],
  cacheSize: 0,
});

const agent: Identity = {
  subject: 'bot',
  displayName: 'bot',
  kind: 'agent',
  groups: ['agents', 'readers'],
  issuer: 'airlock',
  tokenId: undefined,
  expiresAt: undefined,
  chain: [{ subject: 'alice', kind: 'human' }],
};
const prod = { name: 'prod', tags: { env: 'prod' } };
const select: StatementFacts = {
  action: 'sql.select',
  objects: ['public.pgbench_accounts'],
  facts: { multiStatement: 1 },
};
const update: StatementFacts = {
  action: 'sql.update',
  objects: ['public.pgbench_accounts'],
  facts: { bounded: true, targets: ['public.pgbench_accounts'] },
};
const command = [select, update, select];

for (let round = 0; round < ROUNDS; round++) {
  if (ROUNDS > 1) console.log(`round ${round + 1}`);
  bench('cold: 1 statement, Cedar request every time', () => uncached.decide(agent, prod, [select]));
  bench('cold: 1 statement, new facts object (key built)', (i) =>
    cached.decide(agent, prod, [{ ...select, objects: [`public.t${i}`] }]),
  );
  bench('cold: 1 statement, shorthand only (no entities sent)', () =>
    shorthandOnly.decide(agent, prod, [select]),
  );
  bench('cold: 3 statements (select, update→review, select)', () => uncached.decide(agent, prod, command));
  bench('cached: 1 statement, same facts object', () => cached.decide(agent, prod, [select]));
  bench('cached: 1 statement, equal facts in a new object', () =>
    cached.decide(agent, prod, [{ ...select }]),
  );
  bench('cached: 3 statements', () => cached.decide(agent, prod, command));
  bench('no guardrails (no Cedar request)', () => unguarded.decide(agent, prod, [select]));
}
