/**
 * TLS toward clients: a configured certificate is what clients verify, and a token in clear is
 * accepted only over TLS or from a loopback address (tested from this machine's own non-loopback
 * address, when it has one).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { type AirlockHarness, startAirlock } from '../harness/airlock.js';

const execFileAsync = promisify(execFile);

/** The first non-internal IPv4 address of this machine, if any. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

const external = externalAddress();

describe('TLS toward clients', () => {
  let h: AirlockHarness;
  let certDir: string;
  let token: string;

  before(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'airlock-cert-'));
    const pems = await generate([{ name: 'commonName', value: 'airlock-test' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true },
        {
          name: 'subjectAltName',
          altNames: [{ type: 7, ip: '127.0.0.1' }, ...(external ? [{ type: 7 as const, ip: external }] : [])],
        },
      ],
    });
    writeFileSync(join(certDir, 'server.crt'), pems.cert);
    writeFileSync(join(certDir, 'server.key'), pems.private, { mode: 0o600 });
    h = await startAirlock({
      listenHost: '0.0.0.0',
      listenTls: { cert: join(certDir, 'server.crt'), key: join(certDir, 'server.key') },
    });
    token = await h.server.createToken({ name: 'tls-agent', groups: ['agents'] });
  });
  after(async () => {
    await h?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  const psql = (host: string, sslParams: string) =>
    execFileAsync(
      'psql',
      [
        '-X',
        '-A',
        '-t',
        '-c',
        'select 1',
        `host=${host} port=${h.server.addresses.postgres!.port} dbname=appdb user=x ${sslParams}`,
      ],
      { env: { ...process.env, PGPASSWORD: token, PGCONNECT_TIMEOUT: '5' } },
    );

  test('clients verify the configured certificate (sslmode=verify-full)', async () => {
    const { stdout } = await psql(
      '127.0.0.1',
      `sslmode=verify-full sslrootcert=${join(certDir, 'server.crt')}`,
    );
    assert.equal(stdout.trim(), '1');
  });

  test('a token in clear from a non-loopback address is refused; over TLS it is accepted', {
    skip: external ? false : 'this machine has no non-loopback IPv4 address',
  }, async () => {
    await assert.rejects(psql(external!, 'sslmode=disable'), /only over TLS or from a loopback address/);
    const { stdout } = await psql(
      external!,
      `sslmode=verify-full sslrootcert=${join(certDir, 'server.crt')}`,
    );
    assert.equal(stdout.trim(), '1');
  });
});
