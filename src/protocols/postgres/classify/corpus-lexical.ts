/**
 * @module Corpus: how the statement is written. Comments (nested and line), case and whitespace,
 * dollar quoting, quoted identifiers named like keywords, keywords inside string literals, and
 * columns named like keywords. The parser reads these exactly as PostgreSQL does, so none of them
 * hides a statement or invents one.
 */
import { unparsedCase as bad, type CorpusCase, corpusCase as c, entry as e } from './corpus-types.js';

const drop = (objects: readonly string[] = ['t']) => e('sql.drop', { targets: objects }, objects);

const COMMENTS: readonly CorpusCase[] = [
  c('comments', '/* harmless */ DROP TABLE t', 'deny', drop()),
  c('comments', 'DROP/**/TABLE/**/t', 'deny', drop()),
  bad('comments', 'DR/**/OP TABLE t'),
  c('comments', '/* outer /* nested */ still a comment */ DROP TABLE t', 'deny', drop()),
  c('comments', '/* /* nested */ DROP TABLE t */ SELECT 1', 'allow', e('sql.select', { multiStatement: 1 })),
  c('comments', 'SELECT 1 -- ; DROP TABLE t', 'allow', e('sql.select', { multiStatement: 1 })),
  c('comments', 'SELECT 1 --\n; DROP TABLE t', 'deny', e('sql.select', { multiStatement: 2 }), drop()),
  c('comments', '-- DROP TABLE t\nSELECT * FROM t', 'allow', e('sql.select', {}, ['t'])),
  c('comments', 'SELECT /* DROP TABLE t; */ * FROM t', 'allow', e('sql.select', {}, ['t'])),
  bad('comments', '/* never closed DROP TABLE t'),
  c(
    'comments',
    'SELECT 1 /* a */ ; /* b */ TRUNCATE t',
    'deny',
    e('sql.select'),
    e('sql.truncate', { targets: ['t'] }),
  ),
  c('comments', 'TRUNCATE -- the table\n t', 'deny', e('sql.truncate', { targets: ['t'] })),
];

const CASE_WHITESPACE: readonly CorpusCase[] = [
  c('case-whitespace', 'dRoP tAbLe t', 'deny', drop()),
  c('case-whitespace', 'DROP\tTABLE\n\nt', 'deny', drop()),
  c('case-whitespace', '   \n  drop   table   "T"  ', 'deny', drop(['T'])),
  c('case-whitespace', 'select * from T', 'allow', e('sql.select', {}, ['t'])),
  c('case-whitespace', 'SeLeCt\n\n\t1', 'allow', e('sql.select')),
  c('case-whitespace', 'DELETE\nFROM\tt\nWHERE\tid\n=\n1', 'review', e('sql.delete', { bounded: true })),
  c('case-whitespace', 'delete from t', 'deny', e('sql.delete', { bounded: false, targets: ['t'] })),
  c('case-whitespace', 'TrUnCaTe TABLE t', 'deny', e('sql.truncate')),
  c('case-whitespace', 'GRANT\nALL ON t TO public', 'deny', e('sql.grant', { objectType: 'table' })),
  c('case-whitespace', 'ALTER\tTABLE t ADD COLUMN x int', 'deny', e('sql.alter', { targets: ['t'] })),
  c('case-whitespace', 'UPDATE t SET a = 1 WHERE ID = 2', 'review', e('sql.update', { bounded: true })),
];

const DOLLAR_QUOTING: readonly CorpusCase[] = [
  c('dollar-quoting', 'SELECT $$DROP TABLE t$$', 'allow', e('sql.select', { multiStatement: 1 }, [])),
  c(
    'dollar-quoting',
    "SELECT $tag$ '; DROP TABLE t; -- $tag$",
    'allow',
    e('sql.select', { multiStatement: 1 }),
  ),
  c('dollar-quoting', 'DO $$BEGIN DROP TABLE t; END$$', 'deny', e('sql.do', { innerActions: ['sql.drop'] })),
  c(
    'dollar-quoting',
    'DO $x$BEGIN PERFORM 1; END$x$',
    'allow',
    e('sql.do', { innerActions: ['sql.select'] }),
  ),
  c(
    'dollar-quoting',
    'SELECT $a$ $b$ $a$; DROP TABLE t; SELECT $b$ x $b$',
    'deny',
    e('sql.select', { multiStatement: 3 }),
    drop(),
    e('sql.select'),
  ),
  c('dollar-quoting', 'SELECT $$ $$; DROP TABLE t', 'deny', e('sql.select'), drop()),
  bad('dollar-quoting', "DO $$ BEGIN RAISE NOTICE '$$'; END $$"),
  c(
    'dollar-quoting',
    'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $body$ DROP TABLE t $body$',
    'deny',
    e('sql.create', { createsRoutine: true, innerActions: ['sql.drop'], routineLanguage: 'sql' }),
  ),
  c('dollar-quoting', 'SELECT $_$DROP$_$ AS x', 'allow', e('sql.select')),
];

const QUOTED_IDENTIFIERS: readonly CorpusCase[] = [
  c('quoted-identifiers', 'SELECT * FROM "drop"', 'allow', e('sql.select', {}, ['drop'])),
  c('quoted-identifiers', 'SELECT "delete", "truncate" FROM t', 'allow', e('sql.select', {}, ['t'])),
  c(
    'quoted-identifiers',
    'DELETE FROM "delete" WHERE "where" = 1',
    'review',
    e('sql.delete', { bounded: true, targets: ['delete'] }),
  ),
  c('quoted-identifiers', 'UPDATE "update" SET "set" = 1', 'deny', e('sql.update', { bounded: false })),
  c(
    'quoted-identifiers',
    'CREATE TABLE "drop table t" (id int)',
    'allow',
    e('sql.create', {}, ['drop table t']),
  ),
  c('quoted-identifiers', 'DROP TABLE "select"', 'deny', drop(['select'])),
  c('quoted-identifiers', 'SELECT * FROM "Users"', 'allow', e('sql.select', {}, ['Users'])),
  c(
    'quoted-identifiers',
    'INSERT INTO "grant" ("revoke") VALUES (1)',
    'allow',
    e('sql.insert', { targets: ['grant'] }),
  ),
  c('quoted-identifiers', 'SELECT U&"d\\0072op" FROM t', 'allow', e('sql.select', {}, ['t'])),
  c('quoted-identifiers', 'TABLE "truncate"', 'allow', e('sql.select', {}, ['truncate'])),
];

const STRING_LITERALS: readonly CorpusCase[] = [
  c('string-literals', "SELECT 'DROP TABLE t'", 'allow', e('sql.select', { multiStatement: 1 }, [])),
  c('string-literals', "SELECT 'x''; DROP TABLE t; --'", 'allow', e('sql.select', { multiStatement: 1 })),
  c('string-literals', "SELECT E'\\'; DROP TABLE t; --'", 'allow', e('sql.select', { multiStatement: 1 })),
  c(
    'string-literals',
    "SELECT '\\'; DROP TABLE t; --'",
    'deny',
    e('sql.select', { multiStatement: 2 }),
    drop(),
  ),
  c(
    'string-literals',
    "INSERT INTO logs (msg) VALUES ('DROP TABLE users; TRUNCATE t')",
    'allow',
    e('sql.insert', { targets: ['logs'] }, ['logs']),
  ),
  c('string-literals', "SELECT U&'\\0044ROP TABLE t'", 'allow', e('sql.select')),
  c('string-literals', "COMMENT ON TABLE t IS 'DROP TABLE t'", 'allow', e('sql.comment', {}, ['t'])),
  c('string-literals', "SELECT * FROM t WHERE name = 'x; TRUNCATE t'", 'allow', e('sql.select')),
  c('string-literals', "SELECT $$ ' $$, 'DROP TABLE t'", 'allow', e('sql.select', { multiStatement: 1 })),
  c('string-literals', "NOTIFY ch, 'DROP TABLE t'", 'allow', e('sql.notify')),
];

const COLUMN_NAMES: readonly CorpusCase[] = [
  c('column-names', 'SELECT drop_date FROM t', 'allow', e('sql.select', {}, ['t'])),
  c(
    'column-names',
    'UPDATE t SET drop_date = now() WHERE id = 1',
    'review',
    e('sql.update', { bounded: true }),
  ),
  c('column-names', 'SELECT delete_flag, truncate_at, grant_id FROM t', 'allow', e('sql.select')),
  c('column-names', 'ALTER TABLE t DROP COLUMN drop_date', 'deny', e('sql.alter', { targets: ['t'] })),
  c('column-names', 'SELECT t.drop FROM t', 'allow', e('sql.select')),
  c('column-names', 'CREATE TABLE archive (drop_date date, deleted boolean)', 'allow', e('sql.create')),
  c('column-names', 'SELECT 1 AS drop', 'allow', e('sql.select')),
  c('column-names', 'INSERT INTO t (id, drop_date) VALUES (99, now())', 'allow', e('sql.insert')),
  c('column-names', 'SELECT * FROM t ORDER BY drop_date DESC', 'allow', e('sql.select')),
];

/** Comments, case, whitespace, quoting and names. */
export const LEXICAL_CASES: readonly CorpusCase[] = [
  ...COMMENTS,
  ...CASE_WHITESPACE,
  ...DOLLAR_QUOTING,
  ...QUOTED_IDENTIFIERS,
  ...STRING_LITERALS,
  ...COLUMN_NAMES,
];
