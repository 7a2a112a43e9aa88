/**
 * @module Validates a connection's `limits:` block: `{ idle: 15m, maxSession: 8h,
 * maxSessionsPerIdentity: 10 }`. Every key is optional; an absent key sets no limit. Enforced by
 * server/session-limits.ts (idle, maxSession) and at session open (maxSessionsPerIdentity, counted
 * per root identity: a person's sessions and all their delegates' together).
 */
import type { ConnectionLimits } from '../core/connection.js';
import { optionalDuration } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const LIMIT_KEYS = ['idle', 'maxSession', 'maxSessionsPerIdentity'] as const;
const LIMIT_DURATION = 'a duration such as 90s, 15m or 8h';

/** Reads `limits`; undefined when absent or invalid (problems are recorded in `findings`). */
export function readLimits(findings: Findings, value: unknown, where: string): ConnectionLimits | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with idle, maxSession and/or maxSessionsPerIdentity', value);
    return undefined;
  }
  checkKeys(findings, where, value, LIMIT_KEYS);
  const idleMs = optionalDuration(findings, value.idle, keyPath(where, 'idle'), LIMIT_DURATION);
  const maxSessionMs = optionalDuration(
    findings,
    value.maxSession,
    keyPath(where, 'maxSession'),
    LIMIT_DURATION,
  );
  let maxSessionsPerIdentity: number | undefined;
  const max = value.maxSessionsPerIdentity;
  if (max !== undefined && max !== null) {
    if (typeof max === 'number' && Number.isInteger(max) && max >= 1) maxSessionsPerIdentity = max;
    else findings.expected(keyPath(where, 'maxSessionsPerIdentity'), 'an integer of at least 1', max);
  }
  return {
    ...(idleMs !== undefined ? { idleMs } : {}),
    ...(maxSessionMs !== undefined ? { maxSessionMs } : {}),
    ...(maxSessionsPerIdentity !== undefined ? { maxSessionsPerIdentity } : {}),
  };
}
