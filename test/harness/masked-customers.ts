/**
 * @module The masked `customers` fixture the red-team masking suites share (masking-audit,
 * masking-redteam, masking-redteam3): one connection's masking rules, the raw rows, the table's SQL,
 * and a psql runner that returns everything psql printed (stdout and stderr), since an error message
 * is a channel the suites check for leaks as much as a result.
 */
import { execFile } from 'node:child_process';
import { type AirlockHarness, appConnection } from './airlock.js';

/** Connection `masked`: every sensitive column under a different strategy; phone by hash, which no detector covers. */
export const MASKED_CUSTOMERS = appConnection(
  'masked',
  `    access: [group:agents]
    masking:
      columns:
        customers.email: email
        customers.card_number: partial
        public.customers.ssn: redact
        customers.phone: hash
      detect: [EMAIL, CREDIT_CARD, SSN]
      onDerived: redact
      hashKey: { value: e2e-mask-key }
`,
);

/** The raw rows: id, name, then the four values that must never come back. */
export const CUSTOMER_ROWS = [
  [1, 'Alice Wonder', 'alice.wonder@example.com', '4111111111111111', '123-45-6789', '+1 415 555 0132'],
  [2, 'Bob Builder', 'bob.builder@example.org', '5500005555555559', '234-56-7891', '+1 212 555 0187'],
] as const;

/** Creates and fills `customers` (run as the target's owner). */
export const CUSTOMERS_SQL = `
create table customers (id int primary key, name text not null, email text unique, card_number text,
  ssn text, phone text unique);
${CUSTOMER_ROWS.map((r) => `insert into customers values (${r[0]}, '${r[1]}', '${r[2]}', '${r[3]}', '${r[4]}', '${r[5]}');`).join('\n')}`;

/**
 * Runs psql through Airlock as `token` on `connection`: `sql` with `-c`, or, when `stdin` is given,
 * the script on standard input (`-f -`). Resolves with stdout and stderr together.
 */
export function psqlThrough(
  h: AirlockHarness,
  token: string,
  sql: string,
  options: { readonly stdin?: string; readonly connection?: string } = {},
): Promise<string> {
  const addr = h.server.addresses.postgres!;
  const args = ['-X', '-A', ...(options.stdin === undefined ? ['-c', sql] : ['-f', '-'])];
  const child = execFile(
    'psql',
    [
      ...args,
      `host=${addr.host} port=${addr.port} dbname=${options.connection ?? 'masked'} user=x sslmode=disable`,
    ],
    { env: { ...process.env, PGPASSWORD: token, PGOPTIONS: '-c statement_timeout=5000' }, timeout: 15_000 },
  );
  child.stdin?.end(options.stdin);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c;
  });
  return new Promise((resolve) => child.on('close', () => resolve(out)));
}
