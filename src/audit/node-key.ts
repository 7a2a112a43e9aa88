/**
 * @module The node key: 32 random bytes kept in `<stateDir>/node.key` (mode 0600), created once.
 * It signs the node's audit anchor and journal state, so someone who can edit the store but not
 * read this file cannot hide a cut-off chain.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AirlockError } from '../core/errors.js';

/** Length of a node key in bytes. */
export const NODE_KEY_BYTES = 32;

/**
 * Reads `<dir>/node.key`, creating it when missing. Creation writes a temporary file and hard-links
 * it into place, which fails when the name exists: two processes starting together end up with
 * the same key, and a crash mid-write never leaves a short key behind.
 */
export function loadOrCreateNodeKey(dir: string): Buffer {
  const path = join(dir, 'node.key');
  const existing = readKey(path);
  if (existing) return existing;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(NODE_KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  const key = readKey(path);
  if (!key) throw new AirlockError('ERR_INTERNAL', `node key ${path} vanished right after it was created`);
  return key;
}

function readKey(path: string): Buffer | undefined {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (key.length !== NODE_KEY_BYTES) {
    throw new AirlockError(
      'ERR_CONFIG_INVALID',
      `node key ${path} has ${key.length} bytes, expected ${NODE_KEY_BYTES}; restore it from backup`,
    );
  }
  return key;
}
