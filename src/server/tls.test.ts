import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, createServer, type SecureContext, TLSSocket } from 'node:tls';
import { ManualClock } from '../core/clock.js';
import type { AirlockConfig } from '../core/config.js';
import { loadTlsMaterial } from './tls.js';

function configFor(stateDir: string, tls?: { cert: string; key: string }): AirlockConfig {
  return {
    file: '',
    store: `sqlite:${join(stateDir, 'airlock.db')}`,
    stateDir,
    node: 'test',
    listen: { api: { host: '127.0.0.1', port: 0 }, ...(tls ? { tls } : {}) },
    admins: [],
    auditors: [],
    identity: { oidc: [] },
    connections: [],
    logging: { level: 'silent' },
    warnings: [],
  };
}

/**
 * Serves TLS with `context` and connects trusting only `ca`; returns what the server sent. With a
 * `servername` the server is a `tls.createServer` that picks the context by SNI; without one (IP
 * addresses send no SNI) a plain socket is upgraded in place, as the PostgreSQL engine does after
 * SSLRequest.
 */
async function handshake(context: SecureContext, ca: string, servername?: string): Promise<string> {
  const server =
    servername === undefined
      ? createNetServer((raw) => new TLSSocket(raw, { isServer: true, secureContext: context }).end('hello'))
      : createServer({ SNICallback: (_name, cb) => cb(null, context) }, (socket) => socket.end('hello'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const socket = connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    await once(socket, 'secureConnect');
    assert.equal(socket.authorized, true);
    await once(socket, 'end');
    socket.destroy();
    return received;
  } finally {
    server.close();
  }
}

describe('loadTlsMaterial', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-tls-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('generates a self-signed pair once, with a 0600 key, and reuses it', async () => {
    const stateDir = join(dir, 'state');
    const first = await loadTlsMaterial(configFor(stateDir), { hostname: 'gw-1.internal' });
    assert.equal(first.selfSigned, true);
    assert.equal(await readFile(join(stateDir, 'tls', 'airlock.crt'), 'utf8'), first.cert);
    assert.equal(await readFile(join(stateDir, 'tls', 'airlock.key'), 'utf8'), first.key);
    assert.equal((await stat(join(stateDir, 'tls', 'airlock.key'))).mode & 0o777, 0o600);

    const x509 = new X509Certificate(first.cert);
    assert.equal(first.fingerprint256, x509.fingerprint256);
    assert.match(x509.subjectAltName ?? '', /DNS:localhost/);
    assert.match(x509.subjectAltName ?? '', /DNS:gw-1\.internal/);
    assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(x509.subjectAltName ?? '', /IP Address:0:0:0:0:0:0:0:1/);
    const years = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / (365.25 * 24 * 3600 * 1000);
    assert.ok(Math.abs(years - 10) < 0.01, `valid for ${years} years`);

    const second = await loadTlsMaterial(configFor(stateDir), { hostname: 'other' });
    assert.equal(second.fingerprint256, first.fingerprint256);
    assert.equal(second.key, first.key);
  });

  test('a client that trusts the generated certificate completes a handshake by name and by IP', async () => {
    const tls = await loadTlsMaterial(configFor(join(dir, 'handshake')));
    assert.equal(await handshake(tls.context, tls.cert, 'localhost'), 'hello');
    assert.equal(await handshake(tls.context, tls.cert), 'hello');
  });

  test('a client that does not trust the certificate fails the handshake', async () => {
    const tls = await loadTlsMaterial(configFor(join(dir, 'trusted')));
    const other = await loadTlsMaterial(configFor(join(dir, 'untrusted')));
    await assert.rejects(handshake(tls.context, other.cert, 'localhost'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  test('an expired or damaged stored pair is replaced', async () => {
    const stateDir = join(dir, 'renew');
    const first = await loadTlsMaterial(configFor(stateDir));
    const later = new ManualClock(Date.now() + 11 * 365 * 24 * 3600 * 1000);
    const renewed = await loadTlsMaterial(configFor(stateDir), { clock: later });
    assert.notEqual(renewed.fingerprint256, first.fingerprint256);
    await writeFile(join(stateDir, 'tls', 'airlock.key'), 'garbage');
    const repaired = await loadTlsMaterial(configFor(stateDir));
    assert.notEqual(repaired.fingerprint256, renewed.fingerprint256);
    assert.equal(await handshake(repaired.context, repaired.cert), 'hello');
  });

  test('the configured listen.tls pair is used as is', async () => {
    const generated = await loadTlsMaterial(configFor(join(dir, 'source')));
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    await writeFile(cert, generated.cert);
    await writeFile(key, generated.key);
    const stateDir = join(dir, 'configured');
    const tls = await loadTlsMaterial(configFor(stateDir, { cert, key }));
    assert.equal(tls.selfSigned, false);
    assert.equal(tls.fingerprint256, generated.fingerprint256);
    await assert.rejects(stat(join(stateDir, 'tls')), { code: 'ENOENT' });
    assert.equal(await handshake(tls.context, tls.cert, 'localhost'), 'hello');
  });

  test('a configured pair that does not match or cannot be read is a config error', async () => {
    const a = await loadTlsMaterial(configFor(join(dir, 'a')));
    const b = await loadTlsMaterial(configFor(join(dir, 'b')));
    const cert = join(dir, 'a.crt');
    const key = join(dir, 'b.key');
    await writeFile(cert, a.cert);
    await writeFile(key, b.key);
    await assert.rejects(loadTlsMaterial(configFor(join(dir, 'x'), { cert, key })), {
      code: 'ERR_CONFIG_INVALID',
      message: /not usable/,
    });
    await assert.rejects(loadTlsMaterial(configFor(join(dir, 'x'), { cert, key: join(dir, 'none.key') })), {
      code: 'ERR_CONFIG_INVALID',
      message: /cannot read .*none\.key \(ENOENT\)/,
    });
  });
});
