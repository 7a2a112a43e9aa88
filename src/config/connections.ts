/**
 * @module Validates `connections[]`: the targets Airlock holds credentials for. Password values
 * never appear in a problem or warning; only their shape does.
 */
import type { Connection, SecretRef, UpstreamTls } from '../core/connection.js';
import { accessList, isPort, optionalString, principalList, requiredString, resolveFrom } from './fields.js';
import { readGuardrails } from './guardrails.js';
import { readLimits } from './limits.js';
import { readMasking } from './masking.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';
import { readReviews } from './reviews.js';

const CONNECTION_KEYS = [
  'name',
  'type',
  'host',
  'port',
  'database',
  'user',
  'password',
  'tls',
  'tags',
  'access',
  'guardrails',
  'policies',
  'reviews',
  'masking',
  'limits',
  'breakGlass',
] as const;
const NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;
const TLS_MODES: readonly UpstreamTls['mode'][] = ['disable', 'require', 'verify-full'];

/** What connection validation needs from its surroundings. */
export interface ConnectionContext {
  /** The config file's folder: relative `file:` and `ca:` paths resolve against it. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly fileExists: (path: string) => boolean;
}

/** Reads the `connections` list; absent means none. */
export function readConnections(
  findings: Findings,
  value: unknown,
  context: ConnectionContext,
): Connection[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected('connections', 'a list of connections', value);
    return [];
  }
  const connections: Connection[] = [];
  const seen = new Set<string>();
  value.forEach((item, index) => {
    const where = keyPath('connections', index);
    // Duplicates are checked on the raw name, so they show even when the entries have other problems.
    const name = isMap(item) && typeof item.name === 'string' ? item.name : undefined;
    if (name !== undefined && seen.has(name)) {
      findings.problem(keyPath(where, 'name'), `duplicate connection name "${name}"`);
    }
    if (name !== undefined) seen.add(name);
    const connection = readConnection(findings, item, where, context);
    if (connection !== undefined) connections.push(connection);
  });
  return connections;
}

function readConnection(
  findings: Findings,
  value: unknown,
  where: string,
  context: ConnectionContext,
): Connection | undefined {
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with name, type, host, database, user and password', value);
    return undefined;
  }
  const before = findings.problems.length;
  checkKeys(findings, where, value, CONNECTION_KEYS);
  const nameExpected = 'a name of letters, digits, "_", "." and "-" (not starting with "." or "-")';
  const name = requiredString(findings, value, 'name', where, nameExpected);
  if (name !== undefined && !NAME.test(name)) findings.expected(keyPath(where, 'name'), nameExpected, name);
  if (value.type === undefined) findings.missing(keyPath(where, 'type'), '"postgres"');
  else if (value.type !== 'postgres') findings.expected(keyPath(where, 'type'), '"postgres"', value.type);
  const host = requiredString(findings, value, 'host', where, 'a host name or IP address');
  let port = 5432;
  if (value.port !== undefined) {
    if (isPort(value.port)) port = value.port;
    else findings.expected(keyPath(where, 'port'), 'an integer 1-65535', value.port);
  }
  const database = requiredString(findings, value, 'database', where, 'a database name');
  const user = requiredString(findings, value, 'user', where, 'a database user name');
  const password = readPassword(findings, value.password, keyPath(where, 'password'), context);
  const tls = readTls(findings, value.tls, keyPath(where, 'tls'), context);
  const tags = readTags(findings, value.tags, keyPath(where, 'tags'));
  const { refs: access, scopes: accessScopes } = accessList(findings, value.access, keyPath(where, 'access'));
  const reviews = readReviews(findings, value.reviews, keyPath(where, 'reviews'), context);
  const breakGlass =
    value.breakGlass === undefined
      ? undefined
      : principalList(findings, value.breakGlass, keyPath(where, 'breakGlass'));
  const guardrails = readGuardrails(findings, value.guardrails, value.policies, where, context);
  const masking = readMasking(findings, value.masking, where, context);
  const limits = readLimits(findings, value.limits, keyPath(where, 'limits'));
  if (findings.problems.length > before) return undefined;
  if (name === undefined || host === undefined || database === undefined || user === undefined)
    return undefined;
  if (password === undefined || tls === undefined) return undefined;
  return {
    name,
    type: 'postgres',
    host,
    port,
    database,
    user,
    password,
    tls,
    tags,
    access,
    ...(Object.keys(accessScopes).length > 0 ? { accessScopes } : {}),
    ...(reviews ? { reviews } : {}),
    ...(guardrails ? { guardrails } : {}),
    ...(masking ? { masking } : {}),
    ...(limits ? { limits } : {}),
    ...(breakGlass && breakGlass.length > 0 ? { breakGlass } : {}),
  };
}

const PASSWORD_EXPECTED = '{env: NAME}, {file: PATH} or a string';

/**
 * `{env}` and `{file}` are checked for shape only: an unset variable or a missing file is a warning
 * here and an error when the secret is resolved, so a config can be checked on another machine.
 */
function readPassword(
  findings: Findings,
  value: unknown,
  path: string,
  context: ConnectionContext,
): SecretRef | undefined {
  if (value === undefined) {
    findings.missing(path, PASSWORD_EXPECTED);
    return undefined;
  }
  if (typeof value === 'string' && value !== '') {
    findings.warn(path, 'a literal password is stored in the config file; use {env: ...} or {file: ...}');
    return { value };
  }
  if (!isMap(value)) {
    findings.expected(path, PASSWORD_EXPECTED, value, { secret: true });
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'env' && keys[0] !== 'file')) {
    const received = keys.length === 0 ? 'an empty mapping' : `a mapping with keys ${keys.join(', ')}`;
    findings.problem(path, `expected ${PASSWORD_EXPECTED}, received ${received}`);
    return undefined;
  }
  if (keys[0] === 'env') {
    const name = optionalString(findings, value, 'env', path, 'an environment variable name');
    if (name === undefined) return undefined;
    if (!context.env[name]) findings.warn(path, `environment variable ${name} is not set`);
    return { env: name };
  }
  const file = optionalString(findings, value, 'file', path, 'a file path');
  if (file === undefined) return undefined;
  const absolute = resolveFrom(context.baseDir, file);
  if (!context.fileExists(absolute)) findings.warn(path, `password file ${absolute} does not exist`);
  return { file: absolute };
}

/** `{mode, ca}`; a bare mode string is accepted as shorthand. */
function readTls(
  findings: Findings,
  value: unknown,
  path: string,
  context: ConnectionContext,
): UpstreamTls | undefined {
  if (value === undefined || value === null) return { mode: 'disable' };
  const map = typeof value === 'string' ? { mode: value } : value;
  if (!isMap(map)) {
    findings.expected(path, '{mode: disable | require | verify-full, ca: PATH}', value);
    return undefined;
  }
  checkKeys(findings, path, map, ['mode', 'ca']);
  let mode: UpstreamTls['mode'] = 'disable';
  if (map.mode !== undefined) {
    if (TLS_MODES.includes(map.mode as UpstreamTls['mode'])) mode = map.mode as UpstreamTls['mode'];
    else findings.expected(keyPath(path, 'mode'), 'one of disable, require, verify-full', map.mode);
  }
  const ca = optionalString(findings, map, 'ca', path, 'a path to a PEM file');
  if (ca === undefined) return { mode };
  const absolute = resolveFrom(context.baseDir, ca);
  if (!context.fileExists(absolute)) findings.problem(keyPath(path, 'ca'), `file ${absolute} does not exist`);
  if (mode === 'disable') findings.warn(keyPath(path, 'ca'), 'ignored because tls.mode is disable');
  return { mode, ca: absolute };
}

/** A map of tag name to value; numbers and booleans read as their text (`tier: 1`). */
function readTags(findings: Findings, value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    findings.expected(path, 'a mapping of tag names to strings', value);
    return {};
  }
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value)) {
    if (typeof tag === 'string' || typeof tag === 'number' || typeof tag === 'boolean')
      tags[key] = String(tag);
    else findings.expected(keyPath(path, key), 'a string', tag);
  }
  return tags;
}
