/**
 * @module Reads `notifications:`: the webhook and Slack-format targets approvers hear about
 * requests through (src/notify/, docs/reviews.md#notifications). Secrets (the HMAC key, and a
 * Slack URL, which is a credential itself) are checked for shape only, as for audit export.
 */
import type { NotificationTarget } from '../core/config.js';
import type { SecretRef } from '../core/connection.js';
import { type AuditExportContext, readSecret } from './audit-export.js';
import { optionalDuration, principalList, requiredString } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const TARGET_KEYS = ['name', 'type', 'url', 'secret', 'groups', 'timeout'] as const;
const DEFAULT_TIMEOUT_MS = 5000;

/** The `notifications:` list; absent means none. */
export function readNotifications(
  findings: Findings,
  value: unknown,
  context: AuditExportContext,
): NotificationTarget[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected('notifications', 'a list of targets ({name, type: webhook | slack, url, ...})', value);
    return [];
  }
  const targets: NotificationTarget[] = [];
  const names = new Set<string>();
  value.forEach((item, index) => {
    const where = keyPath('notifications', index);
    const target = readTarget(findings, item, where, context);
    if (!target) return;
    if (names.has(target.name))
      findings.problem(`${where}.name`, `target name "${target.name}" is used twice`);
    names.add(target.name);
    targets.push(target);
  });
  return targets;
}

function readTarget(
  findings: Findings,
  value: unknown,
  where: string,
  context: AuditExportContext,
): NotificationTarget | undefined {
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with name, type and url', value);
    return undefined;
  }
  const before = findings.problems.length;
  checkKeys(findings, where, value, TARGET_KEYS);
  const name = requiredString(findings, value, 'name', where, 'a target name');
  if (name !== undefined && !TARGET_NAME.test(name)) {
    findings.expected(`${where}.name`, 'letters, digits, ".", "_" or "-" (at most 63)', name);
  }
  const type = value.type;
  if (type !== 'webhook' && type !== 'slack') {
    findings.expected(`${where}.type`, '"webhook" or "slack"', type);
    return undefined;
  }
  const url = readTargetUrl(findings, value.url, `${where}.url`, context);
  // A webhook receiver must be able to tell Airlock's messages from anyone else's.
  const secret =
    type === 'webhook' || value.secret !== undefined
      ? readSecret(findings, value.secret, `${where}.secret`, context)
      : undefined;
  const groups =
    value.groups === undefined ? undefined : principalList(findings, value.groups, `${where}.groups`);
  if (Array.isArray(value.groups) && value.groups.length === 0) {
    findings.problem(
      `${where}.groups`,
      'an empty list serves nobody; leave the key out to serve every request',
    );
  }
  const timeoutMs =
    optionalDuration(findings, value.timeout, `${where}.timeout`, 'a duration such as 500ms, 5s or 1m', {
      bareMs: true,
    }) ?? DEFAULT_TIMEOUT_MS;
  if (findings.problems.length > before || !name || !url) return undefined;
  if (type === 'webhook' && !secret) return undefined;
  return {
    name,
    type,
    url,
    ...(secret ? { secret } : {}),
    ...(groups ? { groups } : {}),
    timeoutMs,
  };
}

/** A literal http(s) URL, or `{env}` / `{file}` holding one (a Slack URL is a credential). */
function readTargetUrl(
  findings: Findings,
  value: unknown,
  path: string,
  context: AuditExportContext,
): SecretRef | undefined {
  if (value === undefined) {
    findings.missing(path, 'an https:// URL, or {env: NAME} / {file: PATH} holding one');
    return undefined;
  }
  if (typeof value !== 'string') return readSecret(findings, value, path, context);
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    findings.expected(path, 'an http:// or https:// URL', value, { secret: true });
    return undefined;
  }
  if (url.username || url.password) {
    findings.problem(path, 'credentials in the URL are not allowed');
    return undefined;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    findings.warn(path, 'approval requests would travel unencrypted; use https://');
  }
  return { value };
}
