/**
 * @module A bounded least-recently-used map keyed by statement text, so a repeated statement costs
 * one Map lookup instead of a parse. Bounded twice: by entries and by the characters of the keys
 * it holds (values are small and frozen); texts above `maxKeyChars` are never kept, because huge
 * statements (bulk INSERTs) rarely repeat and would push out many small ones. Built on the shared
 * linked-list LRU (`core/lru.ts`), whose hits never mutate the Map.
 */
import { LruCache } from '../../../core/lru.js';

/** Limits of one cache. */
export interface TextCacheLimits {
  readonly maxEntries: number;
  /** Sum of the lengths of all cached texts. */
  readonly maxChars: number;
  /** Longest text that is cached at all. */
  readonly maxKeyChars: number;
}

/** 5,000 statements, 8 MiB of text, statements up to 64 KiB. */
export const DEFAULT_CACHE_LIMITS: TextCacheLimits = {
  maxEntries: 5_000,
  maxChars: 8 * 1024 * 1024,
  maxKeyChars: 64 * 1024,
};

/** LRU map from text to a value, bounded by entries and by characters of text. */
export class TextLru<V> {
  readonly #lru: LruCache<V>;
  readonly #limits: TextCacheLimits;

  constructor(limits: TextCacheLimits = DEFAULT_CACHE_LIMITS) {
    this.#limits = limits;
    this.#lru = new LruCache<V>(limits.maxEntries, { max: limits.maxChars, weigh: (key) => key.length });
  }

  /** The value for `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    return this.#lru.get(key);
  }

  /** Stores `value` under `key` and evicts the oldest entries beyond the limits. */
  set(key: string, value: V): void {
    if (key.length > this.#limits.maxKeyChars) return;
    this.#lru.set(key, value);
  }

  get size(): number {
    return this.#lru.size;
  }

  /** Characters of cached text. */
  get chars(): number {
    return this.#lru.weight;
  }

  clear(): void {
    this.#lru.clear();
  }
}
