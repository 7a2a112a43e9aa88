/**
 * @module Validates a connection's `guardrails:` block and `policies:` list. Shorthand names are
 * checked against the policy engine's table, so a typo is a config problem, not a silent allow.
 */
import type { ConnectionGuardrails } from '../core/connection.js';
import { SHORTHAND_NAMES } from '../policy/shorthand-rules.js';
import { resolveFrom } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const GUARDRAIL_KEYS = ['deny', 'review', 'onUnparsed'] as const;

function nameList(findings: Findings, value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected(path, 'a list of guardrail names', value);
    return [];
  }
  const names: string[] = [];
  value.forEach((item, index) => {
    if (typeof item === 'string' && (SHORTHAND_NAMES as readonly string[]).includes(item)) names.push(item);
    else findings.expected(keyPath(path, index), `one of ${SHORTHAND_NAMES.join(', ')}`, item);
  });
  return names;
}

/** Reads `guardrails` and `policies`; undefined when the connection has neither. */
export function readGuardrails(
  findings: Findings,
  guardrails: unknown,
  policies: unknown,
  where: string,
  context: { readonly baseDir: string; readonly fileExists: (path: string) => boolean },
): ConnectionGuardrails | undefined {
  if ((guardrails === undefined || guardrails === null) && (policies === undefined || policies === null)) {
    return undefined;
  }
  const path = keyPath(where, 'guardrails');
  const block = guardrails ?? {};
  let deny: string[] = [];
  let review: string[] = [];
  let onUnparsed: ConnectionGuardrails['onUnparsed'] = 'deny';
  if (!isMap(block)) {
    findings.expected(path, '{deny: [...], review: [...], onUnparsed: deny | review}', block);
  } else {
    checkKeys(findings, path, block, GUARDRAIL_KEYS);
    deny = nameList(findings, block.deny, keyPath(path, 'deny'));
    review = nameList(findings, block.review, keyPath(path, 'review'));
    if (block.onUnparsed !== undefined) {
      if (block.onUnparsed === 'deny' || block.onUnparsed === 'review') onUnparsed = block.onUnparsed;
      else
        findings.expected(keyPath(path, 'onUnparsed'), '"deny" or "review" (never allow)', block.onUnparsed);
    }
  }
  const files: string[] = [];
  const policiesPath = keyPath(where, 'policies');
  if (policies !== undefined && policies !== null) {
    if (!Array.isArray(policies)) findings.expected(policiesPath, 'a list of .cedar file paths', policies);
    else
      policies.forEach((item, index) => {
        if (typeof item !== 'string' || item === '') {
          findings.expected(keyPath(policiesPath, index), 'a .cedar file path', item);
          return;
        }
        const absolute = resolveFrom(context.baseDir, item);
        if (!context.fileExists(absolute))
          findings.problem(keyPath(policiesPath, index), `file ${absolute} does not exist`);
        else files.push(absolute);
      });
  }
  return { deny, review, onUnparsed, policies: files };
}
