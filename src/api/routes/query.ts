/**
 * @module Shared query-string handling for list routes: time bounds and limits.
 */
import { parseTimeBound } from '../../admin/time.js';
import type { Clock } from '../../core/clock.js';

/** Query-string fields every list route accepts. */
export interface ListQuery {
  since?: string;
  until?: string;
  limit?: number;
}

/** JSON schema properties for ListQuery. */
export const listQueryProperties = {
  since: { type: 'string', description: 'ISO-8601 time or a duration back from now (2h, 7d)' },
  until: { type: 'string', description: 'ISO-8601 time or a duration back from now' },
  limit: { type: 'integer', minimum: 1, maximum: 10000 },
} as const;

/** Parses the time bounds of a list query. */
export function timeBounds(query: ListQuery, clock: Clock): { since?: Date; until?: Date; limit?: number } {
  const since = parseTimeBound(query.since, clock, 'since');
  const until = parseTimeBound(query.until, clock, 'until');
  return {
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
  };
}
