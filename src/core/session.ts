/**
 * @module The protocol-neutral session: who, to which connection, from where. Effectively immutable;
 * engines keep their wire state elsewhere.
 */
import type { Connection, Protocol } from './connection.js';
import type { Identity } from './identity.js';

/** Where a client came from. */
export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** What the client calls itself (PostgreSQL application_name), if anything. */
  readonly application?: string;
}

/** One client session through Airlock. */
export interface Session {
  readonly id: string;
  readonly protocol: Protocol;
  readonly identity: Identity;
  readonly connection: Connection;
  readonly client: ClientInfo;
  readonly startedAt: Date;
  /** The reason the client gave (PostgreSQL `options=-c airlock.reason=...`). */
  readonly reason?: string;
}

/** What a session did, reported when it ends. */
export interface SessionStats {
  bytesFromClient: number;
  bytesToClient: number;
  statements: number;
}
