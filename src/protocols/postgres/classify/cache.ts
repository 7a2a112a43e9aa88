/**
 * @module A bounded least-recently-used map keyed by statement text, so a repeated statement costs
 * one Map lookup instead of a parse. Bounded twice: by entries and by the characters of the keys
 * it holds (values are small and frozen); texts above `maxKeyChars` are never kept, because huge
 * statements (bulk INSERTs) rarely repeat and would push out many small ones.
 */

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

/** LRU map from text to a value. A Map iterates in insertion order, so the first key is the oldest. */
export class TextLru<V> {
  readonly #map = new Map<string, V>();
  readonly #limits: TextCacheLimits;
  #chars = 0;

  constructor(limits: TextCacheLimits = DEFAULT_CACHE_LIMITS) {
    this.#limits = limits;
  }

  /** The value for `key`, which becomes the most recently used. */
  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      // Re-inserting moves the key to the end of the iteration order: the youngest.
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Stores `value` under `key` and evicts the oldest entries beyond the limits. */
  set(key: string, value: V): void {
    if (key.length > this.#limits.maxKeyChars) return;
    if (this.#map.delete(key)) this.#chars -= key.length;
    this.#map.set(key, value);
    this.#chars += key.length;
    while (this.#map.size > this.#limits.maxEntries || this.#chars > this.#limits.maxChars) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
      this.#chars -= oldest.value.length;
    }
  }

  get size(): number {
    return this.#map.size;
  }

  /** Characters of cached text. */
  get chars(): number {
    return this.#chars;
  }

  clear(): void {
    this.#map.clear();
    this.#chars = 0;
  }
}
