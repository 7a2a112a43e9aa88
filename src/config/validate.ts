/**
 * @module YAML text to `AirlockConfig`. Hand-written validation (no schema library) so each problem
 * names its key path and says what was expected and what was received, and one run lists every
 * problem. Relative paths resolve against the config file's folder; defaults are filled in here,
 * so nothing downstream guesses.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { AirlockConfig, ListenAddress } from '../core/config.js';
import type { Connection } from '../core/connection.js';
import { readAudit } from './audit-export.js';
import { readConnections } from './connections.js';
import { listenAddress, optionalString, principalList, resolveFrom } from './fields.js';
import { readNotifications } from './notifications.js';
import { readIdentity } from './oidc-issuers.js';
import { checkKeys, Findings, isMap, type YamlMap } from './problems.js';
import { readRecordings } from './recordings.js';
import { readRetention } from './retention.js';

/** Top-level keys. */
const TOP_KEYS = [
  'store',
  'node',
  'stateDir',
  'listen',
  'admins',
  'auditors',
  'identity',
  'connections',
  'logging',
  'audit',
  'retention',
  'notifications',
  'recordings',
] as const;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** What `parseConfig` needs besides the text. */
export interface ParseOptions {
  /** The config file's path; relative paths in it resolve against its folder. Empty for built-ins. */
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;
  /** Folder to resolve against when `file` is empty. */
  readonly baseDir?: string;
  /** Default for `node`; the host name when not given. */
  readonly hostname?: string;
  /** Existence check for referenced files (TLS certificate, CA); injectable for tests. */
  readonly fileExists?: (path: string) => boolean;
}

/** The outcome of validating one config text: a config only when there are no problems. */
export interface ConfigCheck {
  readonly config?: AirlockConfig;
  readonly problems: string[];
  readonly warnings: string[];
  /**
   * With problems: the connections that validated on their own, so a caller can still compile
   * their policies and list those problems in the same run (`config check` lists every problem).
   */
  readonly validConnections?: readonly Connection[];
}

/** Parses and validates config YAML. Pure apart from the file-existence checks. */
export function parseConfig(yamlText: string, options: ParseOptions): ConfigCheck {
  const findings = new Findings();
  const root = parseYaml(yamlText, findings);
  if (root === undefined) return { problems: findings.problems, warnings: findings.warnings };

  const file = options.file === '' ? '' : resolve(options.file);
  const baseDir = file === '' ? resolve(options.baseDir ?? '.') : dirname(file);
  const fileExists = options.fileExists ?? existsSync;
  checkKeys(findings, '', root, TOP_KEYS);

  const store = readStore(findings, root, baseDir);
  const stateDirText = optionalString(findings, root, 'stateDir', '', 'a folder path');
  const stateDir = stateDirText
    ? resolveFrom(baseDir, stateDirText)
    : store.startsWith('sqlite:')
      ? dirname(store.slice('sqlite:'.length))
      : resolve(baseDir, '.airlock');
  const node = optionalString(findings, root, 'node', '', 'a node name') ?? options.hostname ?? hostname();
  const listen = readListen(findings, root.listen, baseDir, fileExists);
  const admins = principalList(findings, root.admins, 'admins');
  const auditors = principalList(findings, root.auditors, 'auditors');
  const identity = readIdentity(findings, root.identity);
  const connections = readConnections(findings, root.connections, { baseDir, env: options.env, fileExists });
  const logging = readLogging(findings, root.logging);
  const audit = readAudit(findings, root.audit, { baseDir, env: options.env });
  const retention = readRetention(findings, root.retention);
  const notifications = readNotifications(findings, root.notifications, { baseDir, env: options.env });
  const recordings = readRecordings(findings, root.recordings, { baseDir, stateDir, sinks: audit.export });

  if (findings.problems.length > 0) {
    return { problems: findings.problems, warnings: findings.warnings, validConnections: connections };
  }
  const config: AirlockConfig = {
    file,
    store,
    stateDir,
    node,
    listen,
    admins,
    auditors,
    identity,
    connections,
    logging,
    audit,
    retention,
    notifications,
    recordings,
    warnings: findings.warnings,
  };
  return { config, problems: findings.problems, warnings: findings.warnings };
}

/** The top-level mapping, or `undefined` after recording syntax errors with line and column. */
function parseYaml(text: string, findings: Findings): YamlMap | undefined {
  const lineCounter = new LineCounter();
  // prettyErrors off: the pretty form quotes the offending source line, which may hold a password.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const message = error.message.split('\n')[0];
      findings.problems.push(`YAML syntax error at line ${line}, column ${col}: ${message}`);
    }
    return undefined;
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return {};
  if (!isMap(root)) {
    findings.problems.push(
      `top level: expected a mapping of keys (store, listen, connections...), received a list or value`,
    );
    return undefined;
  }
  return root;
}

function readStore(findings: Findings, root: YamlMap, baseDir: string): string {
  const fallback = `sqlite:${resolve(baseDir, 'airlock.db')}`;
  const expected = '"sqlite:PATH" or "postgres://user:password@host:port/db"';
  const value = optionalString(findings, root, 'store', '', expected);
  if (value === undefined) return fallback;
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    if (URL.canParse(value)) return value;
    findings.expected('store', 'a valid postgres:// URL', value);
    return fallback;
  }
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    return `sqlite:${resolveFrom(baseDir, value.slice('sqlite:'.length))}`;
  }
  findings.expected('store', expected, value);
  return fallback;
}

const LISTEN_KEYS = ['api', 'postgres', 'tls'] as const;

function readListen(
  findings: Findings,
  value: unknown,
  baseDir: string,
  fileExists: (path: string) => boolean,
): AirlockConfig['listen'] {
  const defaultApi: ListenAddress = { host: '127.0.0.1', port: 8009 };
  if (value === undefined || value === null) return { api: defaultApi };
  if (!isMap(value)) {
    findings.expected('listen', 'a mapping with keys api, postgres, tls', value);
    return { api: defaultApi };
  }
  checkKeys(findings, 'listen', value, LISTEN_KEYS);
  const api = value.api === undefined ? defaultApi : listenAddress(findings, value.api, 'listen.api');
  const postgres =
    value.postgres === undefined ? undefined : listenAddress(findings, value.postgres, 'listen.postgres');
  if (api && postgres && api.port !== 0 && api.port === postgres.port && api.host === postgres.host) {
    findings.problem('listen.postgres', `same address as listen.api (${api.host}:${api.port})`);
  }
  const tls = readListenTls(findings, value.tls, baseDir, fileExists);
  return { api: api ?? defaultApi, ...(postgres ? { postgres } : {}), ...(tls ? { tls } : {}) };
}

function readListenTls(
  findings: Findings,
  value: unknown,
  baseDir: string,
  fileExists: (path: string) => boolean,
): { cert: string; key: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) {
    findings.expected('listen.tls', '{cert: PATH, key: PATH}', value);
    return undefined;
  }
  checkKeys(findings, 'listen.tls', value, ['cert', 'key']);
  const paths: Record<'cert' | 'key', string | undefined> = { cert: undefined, key: undefined };
  for (const key of ['cert', 'key'] as const) {
    if (value[key] === undefined) {
      findings.missing(`listen.tls.${key}`, 'a path to a PEM file');
      continue;
    }
    const text = optionalString(findings, value, key, 'listen.tls', 'a path to a PEM file');
    if (text === undefined) continue;
    const absolute = resolveFrom(baseDir, text);
    if (fileExists(absolute)) paths[key] = absolute;
    else findings.problem(`listen.tls.${key}`, `file ${absolute} does not exist`);
  }
  return paths.cert && paths.key ? { cert: paths.cert, key: paths.key } : undefined;
}

function readLogging(findings: Findings, value: unknown): AirlockConfig['logging'] {
  if (value === undefined || value === null) return { level: 'info' };
  if (!isMap(value)) {
    findings.expected('logging', 'a mapping with key "level"', value);
    return { level: 'info' };
  }
  checkKeys(findings, 'logging', value, ['level']);
  if (value.level === undefined) return { level: 'info' };
  if (LOG_LEVELS.includes(value.level as LogLevel)) return { level: value.level as LogLevel };
  findings.expected('logging.level', `one of ${LOG_LEVELS.join(', ')}`, value.level);
  return { level: 'info' };
}
