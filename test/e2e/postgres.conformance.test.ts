/**
 * The engine conformance suite for PostgreSQL, driven by the `pg` client through Airlock to a real
 * PostgreSQL cluster.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { errorCatalog } from '../../src/core/errors.js';
import {
  type DriverClient,
  type EngineDriver,
  type NativeError,
  runEngineConformance,
} from '../conformance/engine.suite.js';

function native(err: unknown): NativeError {
  const e = err as { code?: string; message?: string };
  return { wireCode: e.code ?? 'no-sqlstate', message: e.message ?? String(err) };
}

const postgresDriver: EngineDriver = {
  protocol: 'postgres',
  oneRowCommand: 'select 1 as one',
  async connect(h, token, connection) {
    const client = new pg.Client({ connectionString: h.url(token, connection) });
    let endedWith: ((err: NativeError | undefined) => void) | undefined;
    const ended = new Promise<NativeError | undefined>((resolve) => {
      endedWith = resolve;
    });
    client.on('error', (err) => endedWith?.(native(err)));
    client.on('end', () => endedWith?.(undefined));
    try {
      await client.connect();
    } catch (err) {
      throw native(err);
    }
    const driverClient: DriverClient = {
      async run(command) {
        const result = await client.query(command);
        return { rows: result.rowCount ?? 0 };
      },
      ended: () => ended,
      async close() {
        await client.end().catch(() => {});
      },
    };
    return driverClient;
  },
  wireCodeOf: (code) => errorCatalog[code].sqlstate,
  sendGarbage(h, bytes) {
    const address = h.server.addresses.postgres!;
    return new Promise((resolve) => {
      const socket = connect(address.port, address.host);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ reply: Buffer.concat(chunks), closed: true }));
      socket.write(bytes);
      setTimeout(() => {
        socket.destroy();
        resolve({ reply: Buffer.concat(chunks), closed: false });
      }, 3000).unref();
    });
  },
};

runEngineConformance(postgresDriver);
