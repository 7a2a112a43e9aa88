/**
 * @module Test doubles for running the PostgreSQL engine against a real server without the rest of
 * Airlock: the core's in-memory audit log and test identity (re-exported), a token → identity
 * authenticator, a connection catalog, and a byte-capturing TCP tap to prove what reaches clients.
 */
import { connect, createServer, type Server } from 'node:net';
import type { Connection } from '../../../core/connection.js';
import { AirlockError } from '../../../core/errors.js';
import type { Authenticator, ConnectionCatalog } from '../../../core/gate.js';
import type { Identity } from '../../../core/identity.js';

export { MemoryAuditLog, testIdentity } from '../../../core/testing/doubles.js';

/** Authenticates tokens from a fixed map. */
export function mapAuthenticator(tokens: ReadonlyMap<string, Identity>): Authenticator {
  return {
    async authenticate(secret) {
      const identity = tokens.get(secret);
      if (!identity) throw new AirlockError('ERR_TOKEN_INVALID', 'unknown test token');
      return identity;
    },
  };
}

/** A catalog over a fixed list. */
export function listCatalog(connections: readonly Connection[]): ConnectionCatalog {
  const byName = new Map(connections.map((c) => [c.name, c]));
  return { get: (name) => byName.get(name) };
}

/** A TCP pass-through that records every byte going back to clients. */
export interface Tap {
  readonly port: number;
  readonly toClients: Buffer[];
  close(): Promise<void>;
}

/** Starts a tap in front of `targetPort`. */
export async function startTap(targetPort: number): Promise<Tap> {
  const toClients: Buffer[] = [];
  const open = new Set<{ destroy(): void }>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    open.add(upstream);
    upstream.on('data', (chunk: Buffer) => toClients.push(Buffer.from(chunk)));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    toClients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
