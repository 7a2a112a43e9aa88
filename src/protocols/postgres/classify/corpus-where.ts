/**
 * @module Corpus: is a DELETE/UPDATE bounded? A WHERE only counts when it is the statement's own
 * (not one in a comment, a string, a subquery, a CTE or an alias) and is not trivially true.
 */
import { type CorpusCase, corpusCase as c, entry as e } from './corpus-types.js';

const unboundedDelete = e('sql.delete', { bounded: false });
const boundedDelete = e('sql.delete', { bounded: true });

const WHERE_PLACEMENT: readonly CorpusCase[] = [
  c('where-placement', 'DELETE FROM t /* WHERE id = 1 */', 'deny', unboundedDelete),
  c('where-placement', 'DELETE FROM t -- WHERE id = 1', 'deny', unboundedDelete),
  c('where-placement', 'DELETE FROM t WHERE id = 1 -- and nothing else', 'review', boundedDelete),
  c('where-placement', 'DELETE FROM t AS "where id = 1"', 'deny', unboundedDelete),
  c('where-placement', 'DELETE FROM t where_clause', 'deny', unboundedDelete),
  c(
    'where-placement',
    'DELETE FROM t WHERE id IN (SELECT tid FROM u WHERE u.x = 1)',
    'review',
    e('sql.delete', { bounded: true }, ['t', 'u']),
  ),
  c('where-placement', 'DELETE FROM t USING (SELECT 1 AS id WHERE true) s', 'deny', unboundedDelete),
  c(
    'where-placement',
    'UPDATE t SET a = (SELECT 1 WHERE false)',
    'deny',
    e('sql.update', { bounded: false }),
  ),
  c('where-placement', "UPDATE t SET name = 'WHERE id = 1'", 'deny', e('sql.update', { bounded: false })),
  c('where-placement', "DELETE FROM t WHERE 'id = 1' IS NOT NULL", 'deny', unboundedDelete),
  c('where-placement', 'WITH w AS (SELECT 1 WHERE true) DELETE FROM t', 'deny', unboundedDelete),
  c(
    'where-placement',
    'UPDATE t SET a = 1 FROM u WHERE u.id = 1',
    'deny',
    e('sql.update', { bounded: false }),
  ),
  c(
    'where-placement',
    'UPDATE t SET a = 1 FROM u WHERE t.id = u.id',
    'review',
    e('sql.update', { bounded: true }),
  ),
  c(
    'where-placement',
    'DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.tid = t.id)',
    'review',
    boundedDelete,
  ),
  c('where-placement', 'DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = 1)', 'deny', unboundedDelete),
  c(
    'where-placement',
    'DELETE FROM t WHERE EXISTS (SELECT 1 FROM t WHERE t.id = 1)',
    'deny',
    unboundedDelete,
  ),
  c('where-placement', 'DELETE FROM t WHERE CURRENT OF c', 'review', boundedDelete),
  c('where-placement', 'DELETE FROM t x WHERE x.id = 1', 'review', boundedDelete),
  c('where-placement', 'DELETE FROM t x WHERE y.id = 1', 'deny', unboundedDelete),
  c(
    'where-placement',
    'DELETE FROM public.t WHERE public.t.id = 1',
    'review',
    e('sql.delete', { bounded: true, targets: ['public.t'] }),
  ),
];

const TAUTOLOGY: readonly CorpusCase[] = [
  c('tautology', 'DELETE FROM t WHERE true', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE 1=1', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE 1 = 1 AND id = 5', 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = 5 OR 1 = 1', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = id', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE 'a' = 'a'", 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE NOT false', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id > 0 OR true', 'deny', unboundedDelete),
  c('tautology', 'UPDATE t SET a = 0 WHERE 2 > 1', 'deny', e('sql.update', { bounded: false })),
  c('tautology', 'UPDATE t SET a = 0 WHERE 1 <> 2', 'deny', e('sql.update', { bounded: false })),
  c('tautology', 'DELETE FROM t WHERE id IS NULL OR id IS NOT NULL', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE name LIKE '%'", 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE name LIKE 'a%'", 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE 1 IN (1, 2)', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE 't'::boolean", 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE (id = id) IS TRUE', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = 5 AND true', 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE 1 = 0 OR id = 5', 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE NOT (id <> id)', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id BETWEEN id AND id', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE 'a' LIKE 'a'", 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE $1 = $1', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE now() > '2000-01-01'", 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = 5 OR $1', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = 5 AND $1', 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE false', 'review', boundedDelete),
  c('tautology', 'DELETE FROM t WHERE 1 + 1 = 2', 'deny', unboundedDelete),
  c('tautology', "DELETE FROM t WHERE name ~ '.*'", 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id IS NOT DISTINCT FROM id', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE coalesce(id, 0) = coalesce(id, 0)', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE EXISTS (SELECT 1)', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = 5 OR NOT (1 = 2)', 'deny', unboundedDelete),
  c('tautology', 'DELETE FROM t WHERE id = ANY (ARRAY[1, 2])', 'review', boundedDelete),
  c(
    'tautology',
    'MERGE INTO t USING (SELECT 1 AS one) s ON true WHEN MATCHED THEN DELETE',
    'deny',
    e('sql.merge', { bounded: false, innerUnbounded: true, innerActions: ['sql.delete'] }),
  ),
  c(
    'tautology',
    'MERGE INTO t USING s ON s.id = 1 WHEN MATCHED THEN UPDATE SET a = 1',
    'deny',
    e('sql.merge', { bounded: false, innerUnbounded: true }),
  ),
];

/** Where a WHERE sits, and what it says. */
export const WHERE_CASES: readonly CorpusCase[] = [...WHERE_PLACEMENT, ...TAUTOLOGY];
