/**
 * @module Masking for a new session: the target's shared catalog (a first snapshot is taken before
 * the session relays anything, so the first statement is already judged with it), the hash key, and
 * the factory the relay calls. Any failure here refuses the session: nothing is relayed unmasked.
 */
import { readFileSync } from 'node:fs';
import type { Connection, SecretRef } from '../../../core/connection.js';
import type { SecretResolver } from '../../../core/engine.js';
import { AirlockError, toAirlockError } from '../../../core/errors.js';
import type { MaskingFactory } from '../relay.js';
import { readsWholeRow } from './analysis.js';
import { catalogFor } from './catalog.js';
import { SessionMasking } from './session.js';

/** The masking factory for `connection`, or undefined when it has no masking rules. */
export async function prepareMasking(
  connection: Connection,
  secrets: SecretResolver,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MaskingFactory | undefined> {
  const masking = connection.masking;
  if (!masking || (masking.columns.length === 0 && masking.detect.length === 0)) return undefined;
  const hashKey = masking.hashKey ? resolveKey(masking.hashKey, connection.name, env) : undefined;
  const catalog = catalogFor(connection, () => secrets.resolve(connection.name), readsWholeRow);
  if (masking.columns.length > 0 && !catalog.fresh()) {
    try {
      await catalog.refresh();
    } catch (err) {
      throw toAirlockError(err, 'ERR_MASKING_FAILED');
    }
  }
  return (onReady) => new SessionMasking({ masking, catalog, hashKey, onReady });
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
