/**
 * @module The PostgreSQL statement classifier's public surface (re-exports only).
 */
export { ALL_SQL_ACTIONS, SqlAction } from './actions.js';
export type { TextCacheLimits } from './cache.js';
export {
  type ClassifiedSql,
  type ClassifyOptions,
  classifierCacheStats,
  classifySql,
  classifySqlUncached,
  configureClassifierCache,
  initClassifier,
  isClassifierReady,
} from './classify.js';
export { DANGEROUS_FUNCTIONS, DANGEROUS_PREFIXES } from './functions.js';
export type { PreparedLookup } from './prepared-scope.js';
