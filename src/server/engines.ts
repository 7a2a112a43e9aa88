/**
 * @module Engine wiring: every protocol's engine is registered here, explicitly.
 */
import { ALL_PROTOCOLS } from '../core/connection.js';
import { EngineRegistry } from '../core/registry.js';
import { createPostgresEngine } from '../protocols/postgres/engine.js';

/** The registry with every engine Airlock ships; checked so a missing engine fails at boot. */
export function createEngineRegistry(): EngineRegistry {
  const registry = new EngineRegistry();
  registry.register(createPostgresEngine, 'postgres');
  registry.check(ALL_PROTOCOLS);
  return registry;
}
