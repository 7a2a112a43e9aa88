/**
 * @module The engine registry type. Engines are registered explicitly in `server/engines.ts`; no
 * side-effect imports.
 */
import type { Protocol } from './connection.js';
import type { EngineFactory } from './engine.js';

/** Maps protocol names to engine factories. */
export class EngineRegistry {
  readonly #factories = new Map<Protocol, EngineFactory>();

  register(factory: EngineFactory, ...protocols: Protocol[]): void {
    for (const protocol of protocols) this.#factories.set(protocol, factory);
  }

  get(protocol: Protocol): EngineFactory {
    const factory = this.#factories.get(protocol);
    if (!factory) throw new Error(`no engine registered for protocol ${protocol}`);
    return factory;
  }

  /** Throws when any of `protocols` has no engine: a missing engine fails at boot. */
  check(protocols: readonly Protocol[]): void {
    for (const protocol of protocols) this.get(protocol);
  }
}
