/**
 * @module Test doubles for running the PostgreSQL engine against a real server without the rest of
 * Airlock: an in-memory audit log (that can be told to fail), a token → identity authenticator, a
 * connection catalog, and a byte-capturing TCP tap to prove what reaches clients.
 */
import { connect, createServer, type Server } from 'node:net';
import type { AuditEventBody, AuditLog, AuditRecord } from '../../../audit/events.js';
import type { Connection } from '../../../core/connection.js';
import { AirlockError } from '../../../core/errors.js';
import type { Authenticator, ConnectionCatalog } from '../../../core/gate.js';
import type { Identity } from '../../../core/identity.js';

/** Collects events in memory; `failWhen` makes `append` throw like an unwritable journal. */
export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  failWhen: (event: AuditEventBody) => boolean = () => false;

  append(event: AuditEventBody): AuditRecord {
    if (this.failWhen(event))
      throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'test journal refuses the append');
    const record = {
      ...event,
      v: 1,
      node: 'test',
      seq: this.records.length + 1,
      time: new Date(0).toISOString(),
      prevHash: '',
      hash: '',
    } as AuditRecord;
    this.records.push(record);
    return record;
  }

  /** Records of one type, narrowed. */
  ofType<T extends AuditRecord['type']>(type: T): Extract<AuditRecord, { type: T }>[] {
    return this.records.filter((r): r is Extract<AuditRecord, { type: T }> => r.type === type);
  }
}

/** An identity for tests. */
export function testIdentity(subject: string, groups: readonly string[]): Identity {
  return {
    subject,
    displayName: subject,
    kind: 'agent',
    groups,
    issuer: 'airlock',
    tokenId: subject,
    expiresAt: undefined,
    chain: [],
  };
}

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
