import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from './decision-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now newer than b
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.deepEqual(cache.stats, { hits: 3, misses: 1, size: 2 });
  });

  it('keeps recency right through many touches and evictions', () => {
    const cache = new LruCache<number>(3);
    const model: string[] = []; // oldest first
    const use = (key: string) => {
      const at = model.indexOf(key);
      if (at >= 0) model.splice(at, 1);
      model.push(key);
      if (model.length > 3) model.shift();
    };
    for (let i = 0; i < 500; i++) {
      const key = `k${(i * 7) % 5}`;
      if (cache.get(key) === undefined) cache.set(key, i);
      use(key);
      assert.equal(cache.size, model.length);
      for (const present of model) assert.notEqual(cache.get(present), undefined, `${present} at step ${i}`);
      // The reads above touched everything in model order, which keeps the model's order valid.
    }
  });

  it('replaces a key without growing and refuses a bad capacity', () => {
    const cache = new LruCache<string>(2);
    cache.set('a', 'x');
    cache.set('a', 'y');
    assert.equal(cache.size, 1);
    assert.equal(cache.get('a'), 'y');
    assert.throws(() => new LruCache(-1), RangeError);
    const none = new LruCache<string>(0);
    none.set('a', 'x');
    assert.equal(none.get('a'), undefined);
  });

  it('answers a hot key in constant time when full', () => {
    const cache = new LruCache<number>(10_000);
    for (let i = 0; i < 20_000; i++) cache.set(`k${i}`, i);
    cache.set('hot', 1);
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) cache.get('hot');
    // A Map delete-and-reinsert LRU takes seconds here; generous bound for slow shared machines.
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  });
});
