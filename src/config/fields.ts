/**
 * @module Readers for the value shapes the config repeats (strings, ports, `host:port`, principal
 * lists, file paths). Each returns the value or `undefined` after recording a problem, so the
 * validators keep going and report every problem at once.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ListenAddress } from '../core/config.js';
import type { ScopeName } from '../core/connection.js';
import type { PrincipalRef } from '../core/identity.js';
import { parseDuration } from '../identity/duration.js';
import { type DescribeOptions, type Findings, keyPath, type YamlMap } from './problems.js';

/** A present, non-empty string; `undefined` (with a problem) otherwise. Absent keys are not problems. */
export function optionalString(
  findings: Findings,
  map: YamlMap,
  key: string,
  where: string,
  expected = 'a non-empty string',
  options: DescribeOptions = {},
): string | undefined {
  const value = map[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value;
  findings.expected(keyPath(where, key), expected, value, options);
  return undefined;
}

/** Like `optionalString`, but an absent key is a problem too. */
export function requiredString(
  findings: Findings,
  map: YamlMap,
  key: string,
  where: string,
  expected = 'a non-empty string',
): string | undefined {
  if (map[key] === undefined) {
    findings.missing(keyPath(where, key), expected);
    return undefined;
  }
  return optionalString(findings, map, key, where, expected);
}

/** An integer TCP port 1-65535. */
export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * Parses `host:port` (`[v6]:port` for IPv6). Port 0 is accepted: it asks the OS for a free port,
 * which tests use.
 */
export function listenAddress(findings: Findings, value: unknown, path: string): ListenAddress | undefined {
  const expected = '"host:port"';
  if (typeof value !== 'string') {
    findings.expected(path, expected, value);
    return undefined;
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || port > 65535) {
    findings.expected(path, `${expected} with a port 0-65535`, value);
    return undefined;
  }
  return { host, port };
}

const PRINCIPAL = /^(group|user):\S.*$/;

/** A list of `group:NAME` / `user:SUBJECT`; a missing key is the empty list. */
export function principalList(findings: Findings, value: unknown, path: string): PrincipalRef[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    findings.expected(path, 'a list of "group:NAME" or "user:SUBJECT"', value);
    return [];
  }
  const refs: PrincipalRef[] = [];
  value.forEach((item, index) => {
    if (typeof item === 'string' && PRINCIPAL.test(item.trim())) {
      refs.push(item.trim() as PrincipalRef);
    } else {
      findings.expected(keyPath(path, index), '"group:NAME" or "user:SUBJECT"', item);
    }
  });
  return refs;
}

/** Resolves `path` against the config file's folder (absolute paths stay as they are). */
export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

const SCOPES: readonly ScopeName[] = ['read', 'write', 'admin'];

/**
 * A connection's `access` list: `group:NAME` / `user:SUBJECT` (scope admin) or `{who, scope}` with
 * scope read, write or admin. Returns the principals and the scopes of those not admin.
 */
export function accessList(
  findings: Findings,
  value: unknown,
  path: string,
): { refs: PrincipalRef[]; scopes: Partial<Record<PrincipalRef, ScopeName>> } {
  const refs: PrincipalRef[] = [];
  const scopes: Partial<Record<PrincipalRef, ScopeName>> = {};
  if (value === undefined || value === null) return { refs, scopes };
  if (!Array.isArray(value)) {
    findings.expected(path, 'a list of "group:NAME", "user:SUBJECT" or {who, scope}', value);
    return { refs, scopes };
  }
  value.forEach((item, index) => {
    const where = keyPath(path, index);
    if (typeof item === 'string' && PRINCIPAL.test(item.trim())) {
      refs.push(item.trim() as PrincipalRef);
      return;
    }
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const entry = item as Record<string, unknown>;
      const extra = Object.keys(entry).filter((key) => key !== 'who' && key !== 'scope');
      if (extra.length > 0) findings.problem(where, `unknown key ${extra.join(', ')} (expected who, scope)`);
      const who = entry.who;
      if (typeof who !== 'string' || !PRINCIPAL.test(who.trim())) {
        findings.expected(keyPath(where, 'who'), '"group:NAME" or "user:SUBJECT"', who);
        return;
      }
      const scope = entry.scope ?? 'admin';
      if (!SCOPES.includes(scope as ScopeName)) {
        findings.expected(keyPath(where, 'scope'), 'read, write or admin', scope);
        return;
      }
      const ref = who.trim() as PrincipalRef;
      refs.push(ref);
      if (scope !== 'admin') scopes[ref] = scope as ScopeName;
      return;
    }
    findings.expected(where, '"group:NAME", "user:SUBJECT" or {who, scope}', item);
  });
  return { refs, scopes };
}

/**
 * An optional duration in ms (`90s`, `15m`, `8h`, `30d`; with `bareMs`, a positive integer counts as
 * milliseconds); `undefined` when absent or, with a problem naming `expected`, when invalid.
 */
export function optionalDuration(
  findings: Findings,
  value: unknown,
  path: string,
  expected: string,
  options: { readonly bareMs?: boolean } = {},
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (options.bareMs && typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch {
      // Reported below with the key path.
    }
  }
  findings.expected(path, expected, value);
  return undefined;
}
