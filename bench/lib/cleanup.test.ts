import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cleanup } from './cleanup.js';

test('steps run newest first, once, and a failure does not skip the rest', async () => {
  const order: string[] = [];
  const cleanup = new Cleanup();
  cleanup.add('cluster', async () => {
    order.push('cluster');
  });
  cleanup.add('pgbouncer', async () => {
    order.push('pgbouncer');
    throw new Error('boom');
  });
  cleanup.add('airlock', async () => {
    order.push('airlock');
  });
  const stderr = process.stderr.write;
  let printed = '';
  process.stderr.write = ((chunk: string) => {
    printed += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    await Promise.all([cleanup.run(), cleanup.run()]);
  } finally {
    process.stderr.write = stderr;
  }
  assert.deepEqual(order, ['airlock', 'pgbouncer', 'cluster']);
  assert.match(printed, /stopping pgbouncer failed: boom/);
});

test('killRemaining kills only what was not stopped yet', async () => {
  const killed: string[] = [];
  const cleanup = new Cleanup();
  cleanup.add(
    'a',
    async () => {},
    () => killed.push('a'),
  );
  cleanup.killRemaining();
  assert.deepEqual(killed, ['a']);
  await cleanup.run();
  cleanup.killRemaining();
  assert.deepEqual(killed, ['a']);
});
