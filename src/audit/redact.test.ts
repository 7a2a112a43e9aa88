import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { redactSecrets } from './redact.js';

const cases: [string, string][] = [
  ["CREATE ROLE bob LOGIN PASSWORD 'secret'", "CREATE ROLE bob LOGIN PASSWORD '***'"],
  [
    "ALTER USER bob WITH ENCRYPTED PASSWORD 'it''s'; SELECT 1",
    "ALTER USER bob WITH ENCRYPTED PASSWORD '***'; SELECT 1",
  ],
  [
    "alter role bob password E'se\\'cr\\\\et' valid until '2030-01-01'",
    "alter role bob password '***' valid until '2030-01-01'",
  ],
  ["ALTER ROLE bob PASSWORD $$sec'ret$$", "ALTER ROLE bob PASSWORD '***'"],
  ['ALTER ROLE bob PASSWORD $pw$a $$ b$pw$ LOGIN', "ALTER ROLE bob PASSWORD '***' LOGIN"],
  ["ALTER ROLE bob PASSWORD U&'d\\0061t'", "ALTER ROLE bob PASSWORD '***'"],
  ["ALTER ROLE bob PASSWORD /* why */ 'x'", "ALTER ROLE bob PASSWORD /* why */ '***'"],
  ["ALTER ROLE bob PASSWORD\n-- next line\n  'x'", "ALTER ROLE bob PASSWORD\n-- next line\n  '***'"],
  ['ALTER ROLE bob PASSWORD NULL', 'ALTER ROLE bob PASSWORD NULL'],
  ["ALTER ROLE r PASSWORD 'abc", "ALTER ROLE r PASSWORD '***'"],
  ["UPDATE users SET password = 'hunter2' WHERE id = 1", "UPDATE users SET password = '***' WHERE id = 1"],
  [
    "UPDATE users SET password_hash = 'abc' WHERE id = 1",
    "UPDATE users SET password_hash = 'abc' WHERE id = 1",
  ],
  [
    "SELECT dblink_connect('c', 'host=db port=5432 password=s3cret dbname=x')",
    "SELECT dblink_connect('c', '***')",
  ],
  [
    "CREATE SUBSCRIPTION s CONNECTION 'host=a PASSWORD = s3cret' PUBLICATION p",
    "CREATE SUBSCRIPTION s CONNECTION '***' PUBLICATION p",
  ],
  [
    "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'pw')",
    "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '***')",
  ],
  [
    'ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET "password" \'pw2\')',
    'ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET "password" \'***\')',
  ],
  ["SELECT * FROM dblink('postgresql://app:pw@db/x', 'select 1')", "SELECT * FROM dblink('***', 'select 1')"],
  [
    "DO $$ BEGIN ALTER ROLE x PASSWORD 'pw'; END $$; SELECT 'password'",
    "DO $$ BEGIN ALTER ROLE x PASSWORD '***'; END $$; SELECT 'password'",
  ],
  [
    "/* a /* nested */ still comment password 'x' */ ALTER ROLE r PASSWORD 'y'",
    "/* a /* nested */ still comment password 'x' */ ALTER ROLE r PASSWORD '***'",
  ],
];

const unchanged = [
  "SELECT 'PASSWORD', 'x'",
  "-- password 'x'\nSELECT 1",
  'SELECT "password" FROM users WHERE id = 1',
  "SELECT \"pass'word\" , 'password' FROM t",
  "SELECT my$password 'x'",
  "SELECT $1, 'password'",
  "SELECT 'https://example.com/a:b', 'postgresql://app@db/x'",
];

describe('redactSecrets', () => {
  for (const [input, expected] of cases) {
    it(`redacts: ${input.replace(/\n/g, '\\n')}`, () => {
      assert.equal(redactSecrets(input), expected);
    });
  }

  for (const input of unchanged) {
    it(`keeps: ${input.replace(/\n/g, '\\n')}`, () => {
      assert.equal(redactSecrets(input), input);
    });
  }

  it('returns statements without "password" or "://" as the very same string (fast path)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        fc.pre(!/password/i.test(text) && !text.includes('://'));
        assert.equal(redactSecrets(text), text);
      }),
    );
  });

  const fragments = fc.constantFrom(
    ' ',
    '\n',
    "'",
    "''",
    '"',
    '$$',
    '$t$',
    '$1',
    '--',
    '/*',
    '*/',
    'E',
    "E'",
    '\\',
    'U&',
    '=',
    '(',
    ',',
    'password',
    'PASSWORD',
    'password=',
    'ALTER ROLE r',
    'OPTIONS',
    'x',
    'secret',
    '://u:p@h',
    ';',
  );
  const sqlish = fc
    .array(fc.oneof(fragments, fc.string({ maxLength: 4 })), { maxLength: 40 })
    .map((parts) => parts.join(''));

  it('pads a replacement that would fuse with a neighbouring quote (found by fuzzing)', () => {
    const once = redactSecrets("password=$$$$'");
    assert.equal(once, "password='***' '");
    assert.equal(redactSecrets(once), once);
    assert.equal(redactSecrets("'a'$$password=1$$"), "'a' '***'");
  });

  it('never throws and is idempotent on arbitrary and SQL-like text', () => {
    fc.assert(
      fc.property(fc.oneof(sqlish, fc.string({ maxLength: 200 })), (text) => {
        const once = redactSecrets(text);
        assert.equal(redactSecrets(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a password through in the forms it knows', () => {
    const secret = fc.stringMatching(/^Zq[A-Za-z0-9]{6,20}$/);
    const quoted = (s: string) => `'${s}'`;
    const templates = [
      (s: string) => `ALTER ROLE r PASSWORD ${quoted(s)}`,
      (s: string) => `CREATE USER u WITH ENCRYPTED PASSWORD E'${s}' LOGIN`,
      (s: string) => `ALTER ROLE r PASSWORD $$${s}$$`,
      (s: string) => `CREATE SERVER x FOREIGN DATA WRAPPER f OPTIONS (password ${quoted(s)})`,
      (s: string) => `SELECT dblink_connect('host=h password=${s}')`,
      (s: string) => `SELECT 1; /* c */ ALTER ROLE r PASSWORD -- c\n ${quoted(s)}; SELECT 2`,
      (s: string) => `DO $body$ BEGIN EXECUTE 'x'; ALTER ROLE r PASSWORD ${quoted(s)}; END $body$`,
    ];
    fc.assert(
      fc.property(secret, fc.constantFrom(...templates), (s, template) => {
        const out = redactSecrets(template(s));
        assert.ok(!out.includes(s), out);
        assert.ok(out.includes("'***'"), out);
      }),
    );
  });
});
