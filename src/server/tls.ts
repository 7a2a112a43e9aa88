/**
 * @module The certificate Airlock offers to clients that ask for TLS. The configured
 * `listen.tls` pair when there is one; otherwise a self-signed pair generated once into
 * `<stateDir>/tls/` and reused on every later start, so clients that pin it keep working.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { type Clock, systemClock } from '../core/clock.js';
import type { AirlockConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';

/** The certificate and key in PEM, ready to serve. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly context: SecureContext;
  /** SHA-256 fingerprint as `AA:BB:...`, for users who pin or compare it. */
  readonly fingerprint256: string;
  /** True when Airlock generated the pair itself. */
  readonly selfSigned: boolean;
}

/** Optional overrides, for tests. */
export interface TlsOptions {
  readonly clock?: Clock;
  /** Added to the generated certificate's names; the machine's host name by default. */
  readonly hostname?: string;
}

const VALIDITY_YEARS = 10;
/** Clients whose clock runs a little behind must not see a certificate from the future. */
const BACKDATE_MS = 60 * 60 * 1000;

/** The configured pair, else the self-signed one in `stateDir` (generated on first use). */
export async function loadTlsMaterial(config: AirlockConfig, options: TlsOptions = {}): Promise<TlsMaterial> {
  if (config.listen.tls !== undefined) {
    const { cert: certFile, key: keyFile } = config.listen.tls;
    const [cert, key] = await Promise.all([readPem(certFile), readPem(keyFile)]);
    return material(cert, key, false, `listen.tls (${certFile}, ${keyFile})`);
  }
  const clock = options.clock ?? systemClock;
  const dir = join(config.stateDir, 'tls');
  const certFile = join(dir, 'airlock.crt');
  const keyFile = join(dir, 'airlock.key');
  const existing = await readPair(certFile, keyFile);
  if (existing !== undefined && isCurrent(existing.cert, clock)) {
    try {
      return material(existing.cert, existing.key, true, certFile);
    } catch {
      // A damaged pair (e.g. edited by hand) is replaced like a missing one.
    }
  }
  const generated = await generateSelfSigned(options.hostname ?? osHostname(), clock);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first, each through a temporary file and rename: a crash never leaves a half-written file,
  // and a certificate on disk always has its key beside it.
  await writeAtomically(keyFile, generated.key, 0o600);
  await writeAtomically(certFile, generated.cert, 0o644);
  return material(generated.cert, generated.key, true, certFile);
}

async function generateSelfSigned(host: string, clock: Clock): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date(clock.nowMs() - BACKDATE_MS);
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setUTCFullYear(notAfterDate.getUTCFullYear() + VALIDITY_YEARS);
  const dnsNames = [...new Set(['localhost', host].filter((name) => name !== ''))];
  // Loaded only to generate (once per state dir): the certificate library costs ~5 MB of memory
  // in every process otherwise. Generation happens at start, so a failure still shows there.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'airlock' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dnsNames.map((value) => ({ type: 2 as const, value })),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The stored pair, or `undefined` when either file is missing (then both are generated anew). */
async function readPair(
  certFile: string,
  keyFile: string,
): Promise<{ cert: string; key: string } | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AirlockError(
      'ERR_INTERNAL',
      `cannot read the TLS pair in ${certFile}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** A stored certificate that cannot be parsed or has run out is replaced. */
function isCurrent(cert: string, clock: Clock): boolean {
  try {
    return new Date(new X509Certificate(cert).validTo).getTime() > clock.nowMs();
  } catch {
    return false;
  }
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new AirlockError('ERR_CONFIG_INVALID', `listen.tls: cannot read ${file} (${reason})`, {
      cause: err,
    });
  }
}

function material(cert: string, key: string, selfSigned: boolean, source: string): TlsMaterial {
  try {
    const context = createSecureContext({ cert, key });
    const fingerprint256 = new X509Certificate(cert).fingerprint256;
    return { cert, key, context, fingerprint256, selfSigned };
  } catch (err) {
    // Wrong format, or a key that does not belong to the certificate.
    const code = selfSigned ? 'ERR_INTERNAL' : 'ERR_CONFIG_INVALID';
    throw new AirlockError(
      code,
      `TLS certificate and key from ${source} are not usable: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode });
  // writeFile's mode is filtered by the umask; set it exactly.
  await chmod(temp, mode);
  await rename(temp, file);
}
