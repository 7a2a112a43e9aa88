import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { airlockV8Flags } from './node-flags.js';

describe('airlockV8Flags', () => {
  it('compiles WebAssembly with one background task for every command', () => {
    assert.deepEqual(airlockV8Flags(['sessions', 'list']), ['--wasm-num-compilation-tasks=1']);
    assert.deepEqual(airlockV8Flags([]), ['--wasm-num-compilation-tasks=1']);
  });

  it('adds --no-liftoff for the long-running commands', () => {
    for (const argv of [['serve'], ['--config', '/etc/airlock.yaml', 'serve'], ['demo']]) {
      assert.deepEqual(airlockV8Flags(argv), ['--wasm-num-compilation-tasks=1', '--no-liftoff']);
    }
  });
});
