/**
 * @module Corpus: code. DO blocks and EXECUTE of strings (literal, concatenated, decoded, formatted),
 * SQL handed to dblink and friends, and functions, procedures, rules and triggers that wrap DDL to
 * run it later.
 */
import { unparsedCase as bad, type CorpusCase, corpusCase as c, entry as e } from './corpus-types.js';

const DYNAMIC_SQL: readonly CorpusCase[] = [
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'DROP TABLE ' || 't'; END$$",
    'deny',
    e('sql.do', { dynamicSql: true, innerActions: ['sql.drop'], routineLanguage: 'plpgsql' }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'DROP TABLE t'; END$$",
    'deny',
    e('sql.do', { dynamicSql: false, innerActions: ['sql.drop'] }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE convert_from(decode('RFJPUCBUQUJMRSB0', 'base64'), 'UTF8'); END$$",
    'deny',
    e('sql.do', { dynamicSql: true, innerActions: [] }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE format('DROP TABLE %I', 't'); END$$",
    'deny',
    e('sql.do', { dynamicSql: true }),
  ),
  c(
    'dynamic-sql',
    "DO $$DECLARE q text := 'DROP TABLE t'; BEGIN EXECUTE q; END$$",
    'deny',
    e('sql.do', { dynamicSql: true }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'SELECT 1'; END$$",
    'allow',
    e('sql.do', { dynamicSql: false, innerActions: ['sql.select'] }),
  ),
  c(
    'dynamic-sql',
    'DO $$BEGIN PERFORM pg_sleep(0); END$$',
    'allow',
    e('sql.do', { dangerousFunctions: ['pg_sleep'] }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN RAISE NOTICE 'DROP TABLE t'; END$$",
    'allow',
    e('sql.do', { innerActions: [], dynamicSql: false }),
  ),
  c(
    'dynamic-sql',
    'DO $$BEGIN IF true THEN TRUNCATE t; END IF; END$$',
    'deny',
    e('sql.do', { innerActions: ['sql.truncate'] }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE chr(68) || 'ROP TABLE t'; END$$",
    'deny',
    e('sql.do', { dynamicSql: true }),
  ),
  c(
    'dynamic-sql',
    "DO LANGUAGE plpython3u $$plpy.execute('DROP TABLE t')$$",
    'deny',
    e('sql.do', { dynamicSql: true, routineLanguage: 'plpython3u' }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'DO $x$BEGIN DROP TABLE t; END$x$'; END$$",
    'deny',
    e('sql.do', { innerActions: ['sql.do', 'sql.drop'] }),
  ),
  c(
    'dynamic-sql',
    "SELECT dblink_exec('dbname=app', 'DROP TABLE t')",
    'deny',
    e('sql.select', {
      innerActions: ['sql.drop'],
      dangerousFunctions: ['dblink_exec'],
      callsUserFunction: true,
    }),
  ),
  c(
    'dynamic-sql',
    "SELECT dblink_exec('dbname=app', 'DELETE FROM t WHERE id = ' || 1)",
    'deny',
    e('sql.select', { dynamicSql: true, innerActions: ['sql.delete'] }),
  ),
  c(
    'dynamic-sql',
    "SELECT query_to_xml('SELECT * FROM t', true, false, '')",
    'allow',
    e('sql.select', { dynamicSql: false, innerActions: ['sql.select'] }, ['fn:query_to_xml', 't']),
  ),
  c(
    'dynamic-sql',
    "DO $$DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END$$",
    'allow',
    e('sql.do', { dynamicSql: false, innerActions: ['sql.select'] }),
  ),
  c(
    'dynamic-sql',
    "DO $$DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'SELECT ' || 1; END$$",
    'deny',
    e('sql.do', { dynamicSql: true }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE E'\\x44ROP TABLE t'; END$$",
    'deny',
    e('sql.do', { innerActions: ['sql.drop'] }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'DELETE FROM t'; END$$",
    'deny',
    e('sql.do', { innerUnbounded: true }),
  ),
  c(
    'dynamic-sql',
    "DO $$BEGIN EXECUTE 'DELETE FROM t WHERE id = $1' USING 1; END$$",
    'review',
    e('sql.do', { innerActions: ['sql.delete'], innerUnbounded: false }),
  ),
  c(
    'dynamic-sql',
    "SELECT * FROM dblink('dbname=x', 'SELECT 1') AS r(a int)",
    'allow',
    e('sql.select', { dangerousFunctions: ['dblink'] }),
  ),
];

const ROUTINES: readonly CorpusCase[] = [
  c(
    'routines',
    'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$BEGIN DROP TABLE t; END$$',
    'deny',
    e('sql.create', { createsRoutine: true, innerActions: ['sql.drop'], objectType: 'function' }, [
      'fn:f',
      't',
    ]),
  ),
  c(
    'routines',
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    'allow',
    e('sql.create', { createsRoutine: true }),
  ),
  c(
    'routines',
    'CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN TRUNCATE audit; RETURN NEW; END$$',
    'deny',
    e('sql.create', { innerActions: ['sql.truncate'] }),
  ),
  c(
    'routines',
    'CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()',
    'allow',
    e(
      'sql.create',
      { createsRoutine: true, callsUserFunction: true, objectType: 'trigger', targets: ['t'] },
      ['fn:f', 't'],
    ),
  ),
  bad('routines', 'CREATE RULE r AS ON INSERT TO t DO INSTEAD DROP TABLE u'),
  c(
    'routines',
    'CREATE RULE r AS ON SELECT TO t DO INSTEAD DELETE FROM u',
    'deny',
    e('sql.create', {
      createsRoutine: true,
      innerActions: ['sql.delete'],
      innerUnbounded: true,
      objectType: 'rule',
    }),
  ),
  c(
    'routines',
    'CREATE RULE r AS ON UPDATE TO t DO ALSO INSERT INTO log VALUES (NEW.id)',
    'allow',
    e('sql.create', { createsRoutine: true, innerActions: ['sql.insert'] }),
  ),
  c(
    'routines',
    'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC DELETE FROM t; END',
    'deny',
    e('sql.create', { objectType: 'procedure', innerUnbounded: true }),
  ),
  c(
    'routines',
    'CREATE PROCEDURE p() LANGUAGE plpgsql AS $$BEGIN ALTER TABLE t ADD COLUMN x int; END$$',
    'deny',
    e('sql.create', { innerActions: ['sql.alter'] }),
  ),
  c(
    'routines',
    "CREATE FUNCTION f() RETURNS void LANGUAGE c AS 'mylib', 'f'",
    'deny',
    e('sql.create', { dynamicSql: true, routineLanguage: 'c' }),
  ),
  c(
    'routines',
    'CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()',
    'allow',
    e('sql.create', { objectType: 'event_trigger' }),
  ),
  c(
    'routines',
    'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$BEGIN GRANT ALL ON t TO public; END$$',
    'deny',
    e('sql.create', { securityDefiner: true, innerActions: ['sql.grant'] }),
  ),
  c('routines', 'CALL p()', 'allow', e('sql.call', { callsUserFunction: true }, ['fn:p'])),
  c(
    'routines',
    'ALTER FUNCTION f() SECURITY DEFINER',
    'deny',
    e('sql.alter', { securityDefiner: true }, ['fn:f']),
  ),
  c(
    'routines',
    'CREATE FUNCTION f(a int) RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN a + 1; END$$',
    'allow',
    e('sql.create', { innerActions: [], dynamicSql: false }),
  ),
  c(
    'routines',
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t WHERE id = 1'",
    'review',
    e('sql.create', { innerActions: ['sql.delete'], innerUnbounded: false }),
  ),
  c(
    'routines',
    'CREATE FUNCTION f(a int) RETURNS int LANGUAGE plpgsql AS $$DECLARE v t.c%TYPE; BEGIN v := a * 2; SELECT c INTO v FROM t WHERE id = a; RETURN v; END$$',
    'allow',
    e('sql.create', { innerActions: ['sql.select'] }),
  ),
];

/** DO blocks, dynamic SQL, routines. */
export const CODE_CASES: readonly CorpusCase[] = [...DYNAMIC_SQL, ...ROUTINES];
