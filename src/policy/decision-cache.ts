/**
 * @module The decision cache is the shared LRU (`core/lru.ts`); re-exported under its old home.
 */
export { LruCache } from '../core/lru.js';
