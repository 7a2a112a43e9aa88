/**
 * @module Where `airlock login` keeps its short Airlock token for later commands:
 * `$XDG_CONFIG_HOME/airlock/credentials.json` (default `~/.config/airlock/`), the file 0600 and the
 * directory 0700 because the token is a bearer secret. One server at a time: logging in to another
 * server replaces it, `airlock logout` deletes it.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AirlockError } from '../core/errors.js';

/** What the file holds. */
export interface StoredCredentials {
  /** The Airlock server URL the token is for. */
  readonly server: string;
  /** The short Airlock token (a bearer secret). */
  readonly token: string;
  /** ISO-8601. */
  readonly expiresAt: string;
}

/** The credentials file for `env` (XDG base directory spec; relative XDG paths are ignored). */
export function credentialsPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(env.HOME ?? homedir(), '.config');
  return join(base, 'airlock', 'credentials.json');
}

/** Writes `credentials` atomically with mode 0600 in a 0700 directory. */
export function saveCredentials(env: NodeJS.ProcessEnv, credentials: StoredCredentials): string {
  const file = credentialsPath(env);
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir keeps an existing directory's mode: tighten it, the token must not be readable by others.
  chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

/** The stored credentials, or undefined when there are none. A damaged file is an error. */
export function loadCredentials(env: NodeJS.ProcessEnv): StoredCredentials | undefined {
  const file = credentialsPath(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: Partial<StoredCredentials>;
  try {
    parsed = JSON.parse(text) as Partial<StoredCredentials>;
  } catch {
    parsed = {};
  }
  if (
    typeof parsed.server !== 'string' ||
    typeof parsed.token !== 'string' ||
    typeof parsed.expiresAt !== 'string' ||
    Number.isNaN(Date.parse(parsed.expiresAt))
  ) {
    throw new AirlockError('ERR_BAD_REQUEST', `damaged credentials file ${file}`, {
      userMessage: `the stored login in ${file} is damaged; run \`airlock login --server URL\` again`,
    });
  }
  return { server: parsed.server, token: parsed.token, expiresAt: parsed.expiresAt };
}

/** Deletes the stored credentials; returns the file when there was one. */
export function deleteCredentials(env: NodeJS.ProcessEnv): string | undefined {
  const file = credentialsPath(env);
  try {
    rmSync(file);
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The stored token when it is for `server` (any server when undefined); throws once it expired. */
export function storedToken(
  env: NodeJS.ProcessEnv,
  server: string | undefined,
  nowMs: number,
): StoredCredentials | undefined {
  const stored = loadCredentials(env);
  if (!stored) return undefined;
  if (server !== undefined && !sameServer(server, stored.server)) return undefined;
  if (Date.parse(stored.expiresAt) <= nowMs) {
    throw new AirlockError('ERR_TOKEN_EXPIRED', `stored login for ${stored.server} expired`, {
      userMessage: `your login to ${stored.server} expired at ${stored.expiresAt}; run \`airlock login --server ${stored.server}\` again`,
    });
  }
  return stored;
}

/** Whether two server URLs name the same server (trailing slashes and case of the host ignored). */
export function sameServer(a: string, b: string): boolean {
  return normalizeServer(a) === normalizeServer(b);
}

/** A server URL without trailing slashes, host lower-cased. */
export function normalizeServer(server: string): string {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server.replace(/\/+$/, '');
  }
}
