import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextLru } from './cache.js';

const limits = { maxEntries: 3, maxChars: 100, maxKeyChars: 40 };

test('a hit makes the entry the youngest; the oldest goes first', () => {
  const lru = new TextLru<number>(limits);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1);
  lru.set('d', 4);
  assert.equal(lru.get('b'), undefined, 'b was the least recently used');
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.size, 3);
});

test('the total length of cached texts stays under maxChars', () => {
  const lru = new TextLru<number>(limits);
  for (let i = 0; i < 10; i++) lru.set(`${i}`.padEnd(30, 'x'), i);
  assert.ok(lru.chars <= 100);
  assert.equal(lru.size, 3);
  assert.equal(lru.get('9'.padEnd(30, 'x')), 9);
});

test('texts longer than maxKeyChars are not cached; replacing a key keeps the count right', () => {
  const lru = new TextLru<number>(limits);
  lru.set('y'.repeat(41), 1);
  assert.equal(lru.size, 0);
  lru.set('k', 1);
  lru.set('k', 2);
  assert.equal(lru.size, 1);
  assert.equal(lru.chars, 1);
  assert.equal(lru.get('k'), 2);
  lru.clear();
  assert.equal(lru.size + lru.chars, 0);
});
