/**
 * @module Validates a connection's `reviews:` block: how fresh an identity's access review must be,
 * who approves, how long a held client waits and who is asked next. See docs/reviews.md.
 */
import type { ConnectionReviews, ReviewStep } from '../core/connection.js';
import { optionalDuration, principalList, resolveFrom } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const REVIEW_KEYS = [
  'maxAge',
  'approvers',
  'minApprovals',
  'wait',
  'onStale',
  'fallback',
  'then',
  'grace',
  'expireUnusedAfter',
  'autoApprove',
] as const;

const DEFAULTS = {
  maxAgeMs: 30 * 86_400_000,
  waitMs: 10 * 60_000,
  graceMs: 0,
} as const;

const duration = (findings: Findings, value: unknown, path: string) =>
  optionalDuration(findings, value, path, 'a duration such as 90s, 10m, 8h or 30d');

function readSteps(findings: Findings, value: unknown, path: string): ReviewStep[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected(path, 'a list of {after: DURATION, approvers: [...]}', value);
    return [];
  }
  const steps: ReviewStep[] = [];
  value.forEach((item, index) => {
    const where = keyPath(path, index);
    if (!isMap(item)) {
      findings.expected(where, '{after: DURATION, approvers: [...]}', item);
      return;
    }
    checkKeys(findings, where, item, ['after', 'approvers']);
    const afterMs = duration(findings, item.after, keyPath(where, 'after'));
    if (item.after === undefined) findings.missing(keyPath(where, 'after'), 'a duration such as 5m');
    const approvers = principalList(findings, item.approvers, keyPath(where, 'approvers'));
    if (approvers.length === 0 && Array.isArray(item.approvers))
      findings.problem(keyPath(where, 'approvers'), 'needs at least one approver');
    if (afterMs !== undefined) steps.push({ afterMs, approvers });
  });
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]!.afterMs <= steps[i - 1]!.afterMs)
      findings.problem(
        keyPath(keyPath(path, i), 'after'),
        'fallback steps must be in increasing `after` order',
      );
  }
  return steps;
}

/** Where `autoApprove` files are looked for (the config file's folder). */
export interface ReviewsContext {
  readonly baseDir: string;
  readonly fileExists: (path: string) => boolean;
}

/** `autoApprove: [file.cedar]`: absolute paths of files that exist. */
function readAutoApprove(
  findings: Findings,
  value: unknown,
  path: string,
  context: ReviewsContext | undefined,
): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected(path, 'a list of .cedar file paths', value);
    return [];
  }
  const files: string[] = [];
  value.forEach((item, index) => {
    if (typeof item !== 'string' || item === '') {
      findings.expected(keyPath(path, index), 'a .cedar file path', item);
      return;
    }
    const absolute = context ? resolveFrom(context.baseDir, item) : item;
    if (context && !context.fileExists(absolute))
      findings.problem(keyPath(path, index), `file ${absolute} does not exist`);
    else files.push(absolute);
  });
  return files;
}

/** Reads `reviews`; undefined when the connection has none. */
export function readReviews(
  findings: Findings,
  value: unknown,
  path: string,
  context?: ReviewsContext,
): ConnectionReviews | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) {
    findings.expected(path, 'a mapping with maxAge, approvers, wait, ...', value);
    return undefined;
  }
  checkKeys(findings, path, value, REVIEW_KEYS);
  const approvers = principalList(findings, value.approvers, keyPath(path, 'approvers'));
  if (approvers.length === 0)
    findings.missing(keyPath(path, 'approvers'), 'at least one "group:NAME" or "user:SUBJECT"');
  let minApprovals = 1;
  if (value.minApprovals !== undefined) {
    const n = value.minApprovals;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 10) minApprovals = n;
    else findings.expected(keyPath(path, 'minApprovals'), 'an integer 1-10', n);
  }
  let onStale: ConnectionReviews['onStale'] = 'hold';
  if (value.onStale !== undefined) {
    if (value.onStale === 'hold' || value.onStale === 'deny') onStale = value.onStale;
    else findings.expected(keyPath(path, 'onStale'), '"hold" or "deny"', value.onStale);
  }
  if (value.then !== undefined && value.then !== 'deny') {
    // Only deny: a request nobody decided must never turn into access.
    findings.expected(keyPath(path, 'then'), '"deny"', value.then);
  }
  const maxAgeMs = duration(findings, value.maxAge, keyPath(path, 'maxAge')) ?? DEFAULTS.maxAgeMs;
  const waitMs = duration(findings, value.wait, keyPath(path, 'wait')) ?? DEFAULTS.waitMs;
  const graceMs = duration(findings, value.grace, keyPath(path, 'grace')) ?? DEFAULTS.graceMs;
  const expireUnusedAfterMs = duration(findings, value.expireUnusedAfter, keyPath(path, 'expireUnusedAfter'));
  const fallback = readSteps(findings, value.fallback, keyPath(path, 'fallback'));
  const autoApprove = readAutoApprove(findings, value.autoApprove, keyPath(path, 'autoApprove'), context);
  return {
    maxAgeMs,
    approvers,
    minApprovals,
    waitMs,
    onStale,
    fallback,
    onTimeout: 'deny',
    graceMs,
    ...(expireUnusedAfterMs !== undefined ? { expireUnusedAfterMs } : {}),
    ...(autoApprove.length > 0 ? { autoApprove } : {}),
  };
}
