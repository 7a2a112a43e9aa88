/**
 * @module Validates a connection's `masking:` block (docs/masking.md): column rules with their
 * strategies, content detection entities, what derived outputs get, predicate denial, the phone
 * region and the hash key. Every problem names its key path; the key's value is never shown.
 */
import type { ConnectionMasking, MaskingColumnRule, SecretRef } from '../core/connection.js';
import { ENTITIES, type Entity, isEntity } from '../masking/entities.js';
import { parseStrategy } from '../masking/strategies.js';
import { resolveFrom } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const MASKING_KEYS = ['columns', 'detect', 'onDerived', 'denyPredicates', 'region', 'hashKey'] as const;
const STRATEGIES = 'redact, partial, partial:N, hash or email';
const REGION = /^[A-Z]{2}$/;
/** One name part: an identifier as PostgreSQL stores it, or `*`. */
const PART = /^(\*|[^."*\s]+|"(?:[^"]|"")+")$/;

/** What reading the block needs from its surroundings. */
export interface MaskingContext {
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly fileExists: (path: string) => boolean;
}

/** Reads `masking`; undefined when absent. */
export function readMasking(
  findings: Findings,
  value: unknown,
  where: string,
  context: MaskingContext,
): ConnectionMasking | undefined {
  if (value === undefined || value === null) return undefined;
  const path = keyPath(where, 'masking');
  if (!isMap(value)) {
    findings.expected(
      path,
      '{columns: {...}, detect: [...], onDerived, denyPredicates, region, hashKey}',
      value,
    );
    return undefined;
  }
  checkKeys(findings, path, value, MASKING_KEYS);
  const columns = readColumns(findings, value.columns, keyPath(path, 'columns'));
  const detect = readDetect(findings, value.detect, keyPath(path, 'detect'));
  let onDerived: ConnectionMasking['onDerived'] = 'redact';
  if (value.onDerived !== undefined) {
    if (value.onDerived === 'redact' || value.onDerived === 'deny') onDerived = value.onDerived;
    else findings.expected(keyPath(path, 'onDerived'), '"redact" or "deny"', value.onDerived);
  }
  let denyPredicates = false;
  if (value.denyPredicates !== undefined) {
    if (typeof value.denyPredicates === 'boolean') denyPredicates = value.denyPredicates;
    else findings.expected(keyPath(path, 'denyPredicates'), 'true or false', value.denyPredicates);
  }
  let region = 'US';
  if (value.region !== undefined) {
    if (typeof value.region === 'string' && REGION.test(value.region)) region = value.region;
    else
      findings.expected(keyPath(path, 'region'), 'a two-letter region code such as US or DE', value.region);
  }
  const hashKey = readHashKey(findings, value.hashKey, keyPath(path, 'hashKey'), context);
  if (hashKey === undefined && columns.some((c) => c.strategy.kind === 'hash')) {
    findings.missing(
      keyPath(path, 'hashKey'),
      '{env: NAME} or {file: PATH}: a column uses the hash strategy',
    );
  }
  return {
    columns,
    detect,
    onDerived,
    denyPredicates,
    region,
    ...(hashKey ? { hashKey } : {}),
  };
}

function readColumns(findings: Findings, value: unknown, path: string): MaskingColumnRule[] {
  if (value === undefined || value === null) return [];
  if (!isMap(value)) {
    findings.expected(path, 'a mapping of [schema.]table.column to a strategy', value);
    return [];
  }
  const rules: MaskingColumnRule[] = [];
  for (const [name, strategyText] of Object.entries(value)) {
    const at = keyPath(path, name);
    const parts = splitName(name);
    if (!parts) {
      findings.problem(at, 'expected table.column or schema.table.column (each part a name or *)');
      continue;
    }
    const strategy = typeof strategyText === 'string' ? parseStrategy(strategyText) : undefined;
    if (!strategy) {
      findings.expected(at, STRATEGIES, strategyText);
      continue;
    }
    const [schema, table, column] = parts.length === 3 ? parts : [undefined, parts[0]!, parts[1]!];
    rules.push({ ...(schema === undefined ? {} : { schema }), table: table!, column: column!, strategy });
  }
  return rules;
}

/** `a.b` or `a.b.c`; quoted parts keep their case, unquoted ones fold to lower case as PostgreSQL does. */
export function splitName(name: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '"') {
      if (quoted && name[i + 1] === '"') {
        current += '""';
        i++;
        continue;
      }
      quoted = !quoted;
      current += c;
    } else if (c === '.' && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  if (quoted || parts.length < 2 || parts.length > 3) return undefined;
  const out: string[] = [];
  for (const part of parts) {
    if (!PART.test(part)) return undefined;
    out.push(part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part.toLowerCase());
  }
  return out;
}

function readDetect(findings: Findings, value: unknown, path: string): Entity[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected(path, `a list of entities (${ENTITIES.join(', ')})`, value);
    return [];
  }
  const entities: Entity[] = [];
  value.forEach((item, index) => {
    if (typeof item === 'string' && isEntity(item)) {
      if (!entities.includes(item)) entities.push(item);
    } else findings.expected(keyPath(path, index), `one of ${ENTITIES.join(', ')}`, item);
  });
  return entities;
}

const KEY_EXPECTED = '{env: NAME}, {file: PATH} or {value: TEXT}';

/** Read like a connection password: checked for shape; an unset variable is a warning until use. */
function readHashKey(
  findings: Findings,
  value: unknown,
  path: string,
  context: MaskingContext,
): SecretRef | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value) || Object.keys(value).length !== 1) {
    findings.expected(path, KEY_EXPECTED, value, { secret: true });
    return undefined;
  }
  const [kind, text] = Object.entries(value)[0]!;
  if (typeof text !== 'string' || text === '') {
    findings.expected(keyPath(path, kind), 'a non-empty string', text, { secret: true });
    return undefined;
  }
  if (kind === 'env') {
    if (!context.env[text]) findings.warn(path, `environment variable ${text} is not set`);
    return { env: text };
  }
  if (kind === 'file') {
    const absolute = resolveFrom(context.baseDir, text);
    if (!context.fileExists(absolute)) findings.warn(path, `hash key file ${absolute} does not exist`);
    return { file: absolute };
  }
  if (kind === 'value') {
    findings.warn(path, 'a literal hash key is stored in the config file; use {env: ...} or {file: ...}');
    return { value: text };
  }
  findings.expected(path, KEY_EXPECTED, value, { secret: true });
  return undefined;
}
