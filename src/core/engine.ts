/**
 * @module The engine contract every protocol implements. The server owns listeners and hands each
 * accepted socket to the engine for that listener; the engine speaks the protocol and asks the gate
 * for every decision. The core never imports a protocol.
 */
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Protocol } from './connection.js';
import type { AirlockError } from './errors.js';
import type { Gate } from './gate.js';

/** Everything an engine needs, in one object. */
export interface EngineConfig {
  readonly gate: Gate;
  readonly clock: Clock;
  readonly log: Logger;
  /** The TLS context offered to clients that ask. */
  readonly tls: SecureContext;
  /** Resolves a connection's held secret (password) at connect time. */
  readonly secrets: SecretResolver;
}

/** Reads a held credential; never logged. */
export interface SecretResolver {
  resolve(connectionName: string): string;
}

/** One protocol's implementation. */
export interface ProtocolEngine {
  readonly protocol: Protocol;
  /** Serves one accepted client socket until it closes. Never throws: errors go to the client. */
  handle(socket: Socket): Promise<void>;
  /** Writes `err` to a client in the protocol's native error form. */
  sendError(socket: Socket, err: AirlockError): void;
}

/** Builds an engine from its config. */
export type EngineFactory = (config: EngineConfig) => ProtocolEngine;

/** Throws naming the first missing field, so a wiring mistake fails at boot. */
export function checkEngineConfig(config: Partial<EngineConfig>): asserts config is EngineConfig {
  for (const field of ['gate', 'clock', 'log', 'tls', 'secrets'] as const) {
    if (config[field] === undefined) throw new Error(`engine config ${field} is missing`);
  }
}
