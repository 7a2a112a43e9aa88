/**
 * @module Reads `retention:`: how long audit events and database session recordings
 * (src/recordings/) are kept. Both periods are enforced by src/retention/, recordings first.
 */
import type { RetentionPeriod } from '../core/config.js';
import { parseDuration } from '../identity/duration.js';
import { checkKeys, type Findings, isMap } from './problems.js';

/** Shorter than a day is almost certainly a typo (`400m` for `400d`), and would delete fresh evidence. */
const MIN_PERIOD_MS = 86_400_000;

/** The `retention:` block; absent keys keep that kind of data forever. */
export function readRetention(
  findings: Findings,
  value: unknown,
): { audit?: RetentionPeriod; recordings?: RetentionPeriod } {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    findings.expected('retention', 'a mapping such as {audit: 400d, recordings: 90d}', value);
    return {};
  }
  checkKeys(findings, 'retention', value, ['audit', 'recordings']);
  const audit = readPeriod(findings, value.audit, 'retention.audit');
  const recordings = readPeriod(findings, value.recordings, 'retention.recordings');
  return { ...(audit ? { audit } : {}), ...(recordings ? { recordings } : {}) };
}

function readPeriod(findings: Findings, value: unknown, path: string): RetentionPeriod | undefined {
  if (value === undefined || value === null) return undefined;
  const expected = 'a duration of at least one day, such as 90d, 400d or 52w';
  if (typeof value !== 'string') {
    findings.expected(path, expected, value);
    return undefined;
  }
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    findings.expected(path, expected, value);
    return undefined;
  }
  if (ms < MIN_PERIOD_MS) {
    findings.expected(path, expected, value);
    return undefined;
  }
  return { text: value.trim(), ms };
}
