/**
 * @module Masking for a new session: the target's shared catalog (a first snapshot is taken before
 * the session relays anything, so the first statement is already judged with it), the hash key, and
 * the factory the relay calls. Any failure here refuses the session: nothing is relayed unmasked.
 * Given the connection's live definition, the session follows config reloads: new or changed rules
 * apply from its next statement (session.ts `LiveRules`).
 */
import { readFileSync } from 'node:fs';
import type { Connection, SecretRef } from '../../../core/connection.js';
import type { SecretResolver } from '../../../core/engine.js';
import { AirlockError, toAirlockError } from '../../../core/errors.js';
import type { MaskingFactory } from '../relay.js';
import { readsWholeRow } from './analysis.js';
import { catalogFor } from './catalog.js';
import { type MaskingRules, NO_MASKING, SessionMasking } from './session.js';

/**
 * The masking factory for `connection`, or undefined when it has no masking rules. `current`: the
 * connection's live definition (config reloads replace it); without it the session keeps its rules.
 */
export async function prepareMasking(
  connection: Connection,
  secrets: SecretResolver,
  env: NodeJS.ProcessEnv = process.env,
  current?: () => Connection | undefined,
): Promise<MaskingFactory | undefined> {
  const masking = connection.masking;
  if (!masking || (masking.columns.length === 0 && masking.detect.length === 0)) return undefined;
  const build = (c: Connection) => rulesFor(c, secrets, env);
  const rules = build(connection);
  if (masking.columns.length > 0 && !rules.catalog.fresh()) {
    try {
      await rules.catalog.refresh();
    } catch (err) {
      throw toAirlockError(err, 'ERR_MASKING_FAILED');
    }
  }
  const live = current ? { initial: connection, current, build } : undefined;
  return (onReady) => new SessionMasking({ ...rules, onReady, ...(live ? { live } : {}) });
}

/** The rules of one definition of a connection: its masking (none: nothing masked), catalog and key. */
function rulesFor(connection: Connection, secrets: SecretResolver, env: NodeJS.ProcessEnv): MaskingRules {
  const masking = connection.masking ?? NO_MASKING;
  const hashKey = masking.hashKey ? resolveKey(masking.hashKey, connection.name, env) : undefined;
  const catalog = catalogFor(connection, () => secrets.resolve(connection.name), readsWholeRow);
  return { masking, catalog, hashKey };
}

function resolveKey(ref: SecretRef, connectionName: string, env: NodeJS.ProcessEnv): Buffer {
  const fail = (why: string) =>
    new AirlockError('ERR_MASKING_FAILED', `connection "${connectionName}": masking hash key: ${why}`);
  if ('value' in ref) return Buffer.from(ref.value, 'utf8');
  if ('env' in ref) {
    const value = env[ref.env];
    if (!value) throw fail(`environment variable ${ref.env} is not set`);
    return Buffer.from(value, 'utf8');
  }
  try {
    const text = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    if (text === '') throw fail(`file ${ref.file} is empty`);
    return Buffer.from(text, 'utf8');
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw fail(`file ${ref.file} cannot be read`);
  }
}
