/**
 * @module Reads `audit.export`: the sinks the exporter (src/export/) delivers the audit trail to.
 * Every problem names its key path; secrets are checked for shape only (an unset variable is a
 * warning here and a delivery error later), so a config can be checked on another machine.
 */
import type { ExportSink } from '../core/config.js';
import type { SecretRef } from '../core/connection.js';
import { optionalDuration, optionalString, requiredString, resolveFrom } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath, type YamlMap } from './problems.js';

/** What reading the sinks needs besides the YAML. */
export interface AuditExportContext {
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/** How a bad duration is described (a bare number counts as milliseconds). */
const DURATION = 'a duration such as 500ms, 1s or 1m';
const SINK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const COMMON_KEYS = ['name', 'type', 'batchSize', 'flushInterval'] as const;
const JSONL_KEYS = [...COMMON_KEYS, 'path', 'rotate'] as const;
const WEBHOOK_KEYS = [...COMMON_KEYS, 'url', 'secret', 'timeout', 'deadLetterAfter'] as const;
const DEFAULT_BATCH = 100;
const MAX_BATCH = 10_000;
const DEFAULT_FLUSH_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** With the default backoff, 10 attempts span about two minutes: a receiver being redeployed recovers first. */
const DEFAULT_DEAD_LETTER_AFTER = 10;
const MAX_DEAD_LETTER_AFTER = 1000;

/** The `audit:` block; absent means no export. */
export function readAudit(
  findings: Findings,
  value: unknown,
  context: AuditExportContext,
): { export: ExportSink[] } {
  if (value === undefined || value === null) return { export: [] };
  if (!isMap(value)) {
    findings.expected('audit', 'a mapping with key "export"', value);
    return { export: [] };
  }
  checkKeys(findings, 'audit', value, ['export']);
  const list = value.export;
  if (list === undefined || list === null) return { export: [] };
  if (!Array.isArray(list)) {
    findings.expected('audit.export', 'a list of sinks ({name, type: jsonl | webhook, ...})', list);
    return { export: [] };
  }
  const sinks: ExportSink[] = [];
  const names = new Set<string>();
  list.forEach((item, index) => {
    const where = keyPath('audit.export', index);
    const sink = readSink(findings, item, where, context);
    if (!sink) return;
    if (names.has(sink.name)) findings.problem(`${where}.name`, `sink name "${sink.name}" is used twice`);
    names.add(sink.name);
    sinks.push(sink);
  });
  return { export: sinks };
}

function readSink(
  findings: Findings,
  value: unknown,
  where: string,
  context: AuditExportContext,
): ExportSink | undefined {
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with name, type and the type’s settings', value);
    return undefined;
  }
  const name = requiredString(findings, value, 'name', where, 'a sink name');
  if (name !== undefined && !SINK_NAME.test(name)) {
    findings.expected(`${where}.name`, 'letters, digits, ".", "_" or "-" (at most 63)', name);
  }
  const type = value.type;
  if (type !== 'jsonl' && type !== 'webhook') {
    findings.expected(`${where}.type`, '"jsonl" or "webhook"', type);
    return undefined;
  }
  checkKeys(findings, where, value, type === 'jsonl' ? JSONL_KEYS : WEBHOOK_KEYS);
  const batchSize = readBatchSize(findings, value.batchSize, `${where}.batchSize`);
  const flushIntervalMs =
    optionalDuration(findings, value.flushInterval, `${where}.flushInterval`, DURATION, { bareMs: true }) ??
    DEFAULT_FLUSH_MS;
  const before = findings.problems.length;
  if (type === 'jsonl') {
    const path = requiredString(findings, value, 'path', where, 'a file path');
    const rotate = readRotate(findings, value.rotate, `${where}.rotate`);
    if (findings.problems.length > before || name === undefined || path === undefined) return undefined;
    return {
      name,
      type,
      batchSize,
      flushIntervalMs,
      path: resolveFrom(context.baseDir, path),
      ...(rotate.maxBytes !== undefined ? { rotateMaxBytes: rotate.maxBytes } : {}),
      rotateDaily: rotate.daily,
    };
  }
  const url = readUrl(findings, value, where);
  const secret = readSecret(findings, value.secret, `${where}.secret`, context);
  const timeoutMs =
    optionalDuration(findings, value.timeout, `${where}.timeout`, DURATION, { bareMs: true }) ??
    DEFAULT_TIMEOUT_MS;
  const deadLetterAfter = readDeadLetterAfter(findings, value.deadLetterAfter, `${where}.deadLetterAfter`);
  if (findings.problems.length > before || !name || !url || !secret) return undefined;
  return { name, type, batchSize, flushIntervalMs, url, secret, timeoutMs, deadLetterAfter };
}

function readBatchSize(findings: Findings, value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_BATCH;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_BATCH) return value;
  findings.expected(path, `an integer from 1 to ${MAX_BATCH}`, value);
  return DEFAULT_BATCH;
}

function readDeadLetterAfter(findings: Findings, value: unknown, path: string): number {
  if (value === undefined) return DEFAULT_DEAD_LETTER_AFTER;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DEAD_LETTER_AFTER)
    return value;
  findings.expected(
    path,
    `an integer from 1 to ${MAX_DEAD_LETTER_AFTER} (attempts before a refused batch is dead-lettered)`,
    value,
  );
  return DEFAULT_DEAD_LETTER_AFTER;
}

function readRotate(
  findings: Findings,
  value: unknown,
  path: string,
): { maxBytes: number | undefined; daily: boolean } {
  if (value === undefined || value === null) return { maxBytes: undefined, daily: false };
  if (!isMap(value)) {
    findings.expected(path, '{maxBytes: N, daily: true|false}', value);
    return { maxBytes: undefined, daily: false };
  }
  checkKeys(findings, path, value, ['maxBytes', 'daily']);
  let maxBytes: number | undefined;
  if (value.maxBytes !== undefined) {
    const n = value.maxBytes;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1024) maxBytes = n;
    else findings.expected(`${path}.maxBytes`, 'a whole number of bytes, at least 1024', n);
  }
  let daily = false;
  if (value.daily !== undefined) {
    if (typeof value.daily === 'boolean') daily = value.daily;
    else findings.expected(`${path}.daily`, 'true or false', value.daily);
  }
  return { maxBytes, daily };
}

function readUrl(findings: Findings, map: YamlMap, where: string): string | undefined {
  const text = requiredString(findings, map, 'url', where, 'an http:// or https:// URL');
  if (text === undefined) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    findings.expected(`${where}.url`, 'an http:// or https:// URL', text);
    return undefined;
  }
  if (url.username || url.password) {
    findings.problem(
      `${where}.url`,
      'credentials in the URL are not allowed; the body is signed with `secret`',
    );
    return undefined;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) {
    findings.warn(`${where}.url`, 'audit events would travel unencrypted; use https://');
  }
  return text;
}

const SECRET_EXPECTED = '{env: NAME} or {file: PATH}';

/** A `{env}` / `{file}` secret (a literal warns); shared with `notifications:` (notifications.ts). */
export function readSecret(
  findings: Findings,
  value: unknown,
  path: string,
  context: AuditExportContext,
): SecretRef | undefined {
  if (value === undefined) {
    findings.missing(path, SECRET_EXPECTED);
    return undefined;
  }
  if (typeof value === 'string' && value !== '') {
    findings.warn(path, 'a literal secret is stored in the config file; use {env: ...} or {file: ...}');
    return { value };
  }
  const keys = isMap(value) ? Object.keys(value) : [];
  if (!isMap(value) || keys.length !== 1 || (keys[0] !== 'env' && keys[0] !== 'file')) {
    findings.expected(path, SECRET_EXPECTED, value, { secret: true });
    return undefined;
  }
  if (keys[0] === 'env') {
    const name = optionalString(findings, value, 'env', path, 'an environment variable name');
    if (name === undefined) return undefined;
    if (!context.env[name]) findings.warn(path, `environment variable ${name} is not set`);
    return { env: name };
  }
  const file = optionalString(findings, value, 'file', path, 'a file path');
  return file === undefined ? undefined : { file: resolveFrom(context.baseDir, file) };
}
