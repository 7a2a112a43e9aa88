import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AirlockError } from '../core/errors.js';
import { loadOrCreateNodeKey, NODE_KEY_BYTES } from './node-key.js';

describe('loadOrCreateNodeKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates 32 random bytes once, mode 0600, and returns the same key afterwards', () => {
    const stateDir = join(dir, 'state');
    const key = loadOrCreateNodeKey(stateDir);
    assert.equal(key.length, NODE_KEY_BYTES);
    assert.equal(statSync(join(stateDir, 'node.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateNodeKey(stateDir), key);
    assert.deepEqual(readdirSync(stateDir), ['node.key'], 'no temporary files left behind');
    const other = loadOrCreateNodeKey(join(dir, 'other'));
    assert.notDeepEqual(other, key);
  });

  it('refuses a key file of the wrong length instead of replacing it', () => {
    writeFileSync(join(dir, 'node.key'), Buffer.alloc(10));
    assert.throws(
      () => loadOrCreateNodeKey(dir),
      (err: AirlockError) => err.code === 'ERR_CONFIG_INVALID' && /10 bytes, expected 32/.test(err.message),
    );
  });
});
