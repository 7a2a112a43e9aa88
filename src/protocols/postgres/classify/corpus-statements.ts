/**
 * @module Corpus: statements hidden behind other statements. Several statements in one string
 * (`COMMIT; DROP`), DML inside a WITH (writable CTEs), EXPLAIN ANALYZE (which runs its statement),
 * PREPARE/EXECUTE (the prepared body is what counts), and plain DDL.
 */
import { unparsedCase as bad, type CorpusCase, corpusCase as c, entry as e } from './corpus-types.js';

const drop = e('sql.drop', { targets: ['t'] }, ['t']);

const MULTI_STATEMENT: readonly CorpusCase[] = [
  c(
    'multi-statement',
    'SELECT 1; DROP TABLE t',
    'deny',
    e('sql.select', { multiStatement: 2, statementIndex: 0 }),
    e('sql.drop', { multiStatement: 2, statementIndex: 1 }),
  ),
  c(
    'multi-statement',
    'COMMIT; DROP TABLE t',
    'deny',
    e('sql.transaction', { transactionKind: 'commit' }),
    drop,
  ),
  c(
    'multi-statement',
    'BEGIN; DELETE FROM t WHERE id = 1; COMMIT',
    'review',
    e('sql.transaction', { transactionKind: 'begin', multiStatement: 3 }),
    e('sql.delete', { bounded: true, statementIndex: 1 }),
    e('sql.transaction', { transactionKind: 'commit', statementIndex: 2 }),
  ),
  c(
    'multi-statement',
    'SELECT 1; SELECT 2;',
    'allow',
    e('sql.select', { multiStatement: 2 }),
    e('sql.select'),
  ),
  c(
    'multi-statement',
    'ROLLBACK; TRUNCATE t; COMMIT',
    'deny',
    e('sql.transaction', { transactionKind: 'rollback' }),
    e('sql.truncate'),
    e('sql.transaction'),
  ),
  c('multi-statement', 'SELECT 1;;; DROP TABLE t', 'deny', e('sql.select', { multiStatement: 2 }), drop),
  bad('multi-statement', 'SELECT 1; SELECT ('),
  c(
    'multi-statement',
    'SET search_path = public; SELECT * FROM t',
    'allow',
    e('sql.set', { settings: ['search_path'] }),
    e('sql.select'),
  ),
  c(
    'multi-statement',
    'END; DROP TABLE t',
    'deny',
    e('sql.transaction', { transactionKind: 'commit' }),
    drop,
  ),
  c(
    'multi-statement',
    "SELECT ';'; SELECT ';DROP TABLE t'",
    'allow',
    e('sql.select', { multiStatement: 2 }),
    e('sql.select'),
  ),
  c(
    'multi-statement',
    'BEGIN; UPDATE t SET a = 1; COMMIT',
    'deny',
    e('sql.transaction'),
    e('sql.update', { bounded: false }),
    e('sql.transaction'),
  ),
  c(
    'multi-statement',
    'SAVEPOINT s; DROP TABLE t; ROLLBACK TO s',
    'deny',
    e('sql.transaction', { transactionKind: 'savepoint' }),
    drop,
    e('sql.transaction', { transactionKind: 'rollback_to' }),
  ),
];

const WRITABLE_CTE: readonly CorpusCase[] = [
  c(
    'writable-cte',
    'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
    'deny',
    e(
      'sql.select',
      { writableCte: true, innerActions: ['sql.delete'], targets: ['t'], innerUnbounded: true },
      ['t'],
    ),
    e('sql.delete', { bounded: false, embeddedIn: 'cte', statementIndex: 0 }),
  ),
  c(
    'writable-cte',
    'WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT count(*) FROM d',
    'review',
    e('sql.select', { writableCte: true, innerUnbounded: false }),
    e('sql.delete', { bounded: true, embeddedIn: 'cte' }),
  ),
  c(
    'writable-cte',
    'WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT 1',
    'deny',
    e('sql.select', { writableCte: true, innerActions: ['sql.update'] }),
    e('sql.update', { bounded: false }),
  ),
  c(
    'writable-cte',
    'WITH x AS (SELECT * FROM t WHERE id = 1) DELETE FROM t',
    'deny',
    e('sql.delete', { bounded: false, writableCte: false }),
  ),
  c(
    'writable-cte',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'allow',
    e('sql.select', { writableCte: false }, []),
  ),
  c(
    'writable-cte',
    'WITH t AS (SELECT * FROM t WHERE id = 1) SELECT * FROM t',
    'allow',
    e('sql.select', { writableCte: false }, ['t']),
  ),
  c(
    'writable-cte',
    'WITH RECURSIVE t AS (SELECT 1 AS id UNION ALL SELECT id + 1 FROM t WHERE id < 3) SELECT * FROM t',
    'allow',
    e('sql.select', {}, []),
  ),
  c(
    'writable-cte',
    'WITH i AS (INSERT INTO t (id) VALUES (100) RETURNING id) SELECT * FROM i',
    'allow',
    e('sql.select', { writableCte: true, innerActions: ['sql.insert'] }),
    e('sql.insert', { embeddedIn: 'cte', targets: ['t'] }),
  ),
  c(
    'writable-cte',
    'WITH a AS (SELECT 1 AS id), b AS (DELETE FROM t WHERE id IN (SELECT id FROM a)) SELECT 1',
    'review',
    e('sql.select', { writableCte: true }, ['t']),
    e('sql.delete', { bounded: true }),
  ),
  c(
    'writable-cte',
    'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
    'allow',
    e('sql.select', { writableCte: false }, []),
  ),
  c(
    'writable-cte',
    'WITH d AS (DELETE FROM t WHERE true RETURNING id) INSERT INTO u (id) SELECT id FROM d',
    'deny',
    e('sql.insert', { writableCte: true, targets: ['t', 'u'] }),
    e('sql.delete', { bounded: false }),
  ),
  c(
    'writable-cte',
    'with D as (delete from T returning *) select 1',
    'deny',
    e('sql.select', { writableCte: true }),
    e('sql.delete', { bounded: false, targets: ['t'] }),
  ),
];

const EXPLAIN_ANALYZE: readonly CorpusCase[] = [
  c(
    'explain-analyze',
    'EXPLAIN ANALYZE DELETE FROM t',
    'deny',
    e('sql.delete', { explainAnalyze: true, bounded: false }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN DELETE FROM t',
    'allow',
    e('sql.explain', { explainedAction: 'sql.delete', innerActions: [] }, ['t']),
  ),
  bad('explain-analyze', 'EXPLAIN (ANALYZE) DROP TABLE t'),
  c(
    'explain-analyze',
    'EXPLAIN (ANALYZE true, BUFFERS) UPDATE t SET a = 1',
    'deny',
    e('sql.update', { explainAnalyze: true, bounded: false }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN (ANALYZE false) UPDATE t SET a = 1',
    'allow',
    e('sql.explain', { explainedAction: 'sql.update' }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN (ANALYZE off) DELETE FROM t',
    'allow',
    e('sql.explain', { explainAnalyze: false }),
  ),
  c('explain-analyze', 'EXPLAIN ANALYZE SELECT * FROM t', 'allow', e('sql.select', { explainAnalyze: true })),
  c(
    'explain-analyze',
    'explain analyze verbose delete from t where id = 1',
    'review',
    e('sql.delete', { explainAnalyze: true, bounded: true }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN ANALYZE WITH d AS (DELETE FROM t) SELECT 1',
    'deny',
    e('sql.select', { explainAnalyze: true, writableCte: true }),
    e('sql.delete', { explainAnalyze: true, bounded: false }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN (FORMAT JSON, ANALYZE 1) DELETE FROM t',
    'deny',
    e('sql.delete', { explainAnalyze: true }),
  ),
  c(
    'explain-analyze',
    'EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1',
    'allow',
    e('sql.create', { explainAnalyze: true, targets: ['x'] }),
  ),
  c(
    'explain-analyze',
    "EXPLAIN SELECT pg_read_file('/etc/passwd')",
    'allow',
    e('sql.explain', { dangerousFunctions: ['pg_read_file'] }, ['fn:pg_read_file']),
  ),
];

const PREPARE_EXECUTE: readonly CorpusCase[] = [
  c(
    'prepare-execute',
    'PREPARE p AS DELETE FROM t',
    'deny',
    e('sql.prepare', {
      prepareName: 'p',
      preparedAction: 'sql.delete',
      bounded: false,
      innerUnbounded: true,
    }),
  ),
  c(
    'prepare-execute',
    'PREPARE p AS DELETE FROM t WHERE id = $1',
    'review',
    e('sql.prepare', { preparedAction: 'sql.delete', bounded: true }),
  ),
  c(
    'prepare-execute',
    'PREPARE p(int) AS SELECT * FROM t WHERE id = $1',
    'allow',
    e('sql.prepare', { preparedAction: 'sql.select' }, ['t']),
  ),
  c(
    'prepare-execute',
    'PREPARE p AS DELETE FROM t; EXECUTE p',
    'deny',
    e('sql.prepare'),
    e('sql.execute', { executeName: 'p', preparedAction: 'sql.delete', bounded: false, dynamicSql: false }),
  ),
  c('prepare-execute', 'EXECUTE p', 'deny', e('sql.execute', { executeName: 'p', dynamicSql: true })),
  c(
    'prepare-execute',
    'PREPARE p AS SELECT 1; EXECUTE p',
    'allow',
    e('sql.prepare'),
    e('sql.execute', { preparedAction: 'sql.select', dynamicSql: false }),
  ),
  c(
    'prepare-execute',
    'PREPARE p AS SELECT 1; DEALLOCATE p; EXECUTE p',
    'deny',
    e('sql.prepare'),
    e('sql.deallocate'),
    e('sql.execute', { dynamicSql: true }),
  ),
  c(
    'prepare-execute',
    'PREPARE p AS UPDATE t SET a = 1; EXECUTE p(1)',
    'deny',
    e('sql.prepare'),
    e('sql.execute', { bounded: false }),
  ),
  bad('prepare-execute', 'PREPARE p AS DROP TABLE t'),
  c('prepare-execute', 'DEALLOCATE ALL', 'allow', e('sql.deallocate')),
  c(
    'prepare-execute',
    'EXPLAIN ANALYZE EXECUTE p',
    'deny',
    e('sql.execute', { explainAnalyze: true, dynamicSql: true }),
  ),
  c(
    'prepare-execute',
    'CREATE TABLE x AS EXECUTE p',
    'deny',
    e('sql.create', { innerActions: ['sql.execute'], dynamicSql: true }),
  ),
];

const DDL: readonly CorpusCase[] = [
  c(
    'ddl',
    'DROP SCHEMA s CASCADE',
    'deny',
    e('sql.drop', { objectType: 'schema', cascade: true }, ['schema:s']),
  ),
  c('ddl', 'DROP TABLE IF EXISTS a.b, c', 'deny', e('sql.drop', { targets: ['a.b', 'c'] })),
  c('ddl', 'DROP DATABASE app', 'deny', e('sql.drop', { objectType: 'database' }, ['database:app'])),
  c('ddl', 'DROP FUNCTION f(int)', 'deny', e('sql.drop', { objectType: 'function' }, ['fn:f'])),
  c('ddl', 'DROP OWNED BY bob', 'deny', e('sql.drop', {}, ['role:bob'])),
  c(
    'ddl',
    'TRUNCATE t, u RESTART IDENTITY CASCADE',
    'deny',
    e('sql.truncate', { targets: ['t', 'u'], cascade: true }),
  ),
  c('ddl', 'ALTER ROLE bob SUPERUSER', 'deny', e('sql.alter', { objectType: 'role' }, ['role:bob'])),
  c('ddl', 'REVOKE ALL ON t FROM public', 'deny', e('sql.revoke', { objectType: 'table' }, ['t'])),
  c('ddl', 'GRANT admin TO bob', 'deny', e('sql.grant', { objectType: 'role' }, ['role:admin', 'role:bob'])),
  c(
    'ddl',
    'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO bob',
    'deny',
    e('sql.grant', { objectType: 'default_privileges' }),
  ),
  c(
    'ddl',
    'CREATE SCHEMA s CREATE TABLE z (a int) GRANT ALL ON z TO public',
    'deny',
    e('sql.create', { objectType: 'schema', innerActions: ['sql.create', 'sql.grant'] }),
    e('sql.create', { embeddedIn: 'schema', targets: ['z'] }),
    e('sql.grant', { embeddedIn: 'schema' }),
  ),
  c('ddl', 'CREATE INDEX i ON t (a)', 'allow', e('sql.create', { objectType: 'index', targets: ['t'] })),
  c(
    'ddl',
    'CREATE VIEW v AS SELECT * FROM t',
    'allow',
    e('sql.create', { objectType: 'view', targets: ['v'] }, ['t', 'v']),
  ),
  c(
    'ddl',
    "CREATE ROLE r LOGIN PASSWORD 'secret'",
    'allow',
    e('sql.create', { containsPassword: true }, ['role:r']),
  ),
  c('ddl', 'ALTER TABLE t RENAME TO t2', 'deny', e('sql.alter', { targets: ['t'] })),
  c(
    'ddl',
    'CREATE EXTENSION dblink',
    'allow',
    e('sql.create', { objectType: 'extension' }, ['extension:dblink']),
  ),
];

/** Statements behind statements, and plain DDL. */
export const STATEMENT_CASES: readonly CorpusCase[] = [
  ...MULTI_STATEMENT,
  ...WRITABLE_CTE,
  ...EXPLAIN_ANALYZE,
  ...PREPARE_EXECUTE,
  ...DDL,
];
