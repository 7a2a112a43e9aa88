/**
 * @module Resolves a connection's held password at connect time. `{file}` secrets are read at each
 * resolve, so a rotated file takes effect on the next connection without a restart. Errors name
 * the connection and where the secret should have come from, never the secret.
 */
import { readFileSync } from 'node:fs';
import type { Connection } from '../core/connection.js';
import type { SecretResolver } from '../core/engine.js';
import { AirlockError } from '../core/errors.js';

/**
 * A resolver over the current connection list. `connections` is a function so a reloaded config is
 * seen without rebuilding the resolver.
 */
export function createSecretResolver(
  connections: () => readonly Connection[],
  env: NodeJS.ProcessEnv,
): SecretResolver {
  return {
    resolve(connectionName: string): string {
      const connection = connections().find((c) => c.name === connectionName);
      if (connection === undefined) {
        throw new AirlockError(
          'ERR_CONNECTION_UNKNOWN',
          `no connection named "${connectionName}" to resolve a secret for`,
        );
      }
      const ref = connection.password;
      if ('value' in ref) return ref.value;
      if ('env' in ref) {
        const value = env[ref.env];
        if (value) return value;
        throw unresolved(connectionName, `environment variable ${ref.env} is not set`);
      }
      let text: string;
      try {
        text = readFileSync(ref.file, 'utf8');
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        throw unresolved(connectionName, `password file ${ref.file} cannot be read (${reason})`);
      }
      // Files written by `echo` or secret managers end with a newline that is not part of the password.
      const value = text.replace(/\r?\n$/, '');
      if (value === '') throw unresolved(connectionName, `password file ${ref.file} is empty`);
      return value;
    },
  };
}

function unresolved(connectionName: string, why: string): AirlockError {
  return new AirlockError('ERR_UPSTREAM_AUTH_FAILED', `connection "${connectionName}": ${why}`);
}
