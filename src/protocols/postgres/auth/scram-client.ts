/**
 * @module SCRAM-SHA-256 client (RFC 5802, RFC 7677) for authenticating Airlock to an upstream
 * PostgreSQL with the held password. No channel binding: the GS2 header is `n,,` and the mechanism
 * is plain `SCRAM-SHA-256`. The server's final signature is verified; a server that cannot prove it
 * knows the password is refused. PostgreSQL ignores the SCRAM user name (it uses the startup user),
 * so the client-first message carries `n=` like libpq's.
 * @see https://www.rfc-editor.org/rfc/rfc5802#section-3
 * @see https://www.rfc-editor.org/rfc/rfc7677#section-3
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AirlockError } from '../../../core/errors.js';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

const GS2_HEADER = 'n,,';
const CHANNEL_BINDING = Buffer.from(GS2_HEADER).toString('base64'); // "biws"

/**
 * Salted passwords by (password, salt, iterations): PostgreSQL keeps one salt per role, so every
 * connection after the first skips the deliberately slow PBKDF2 (4096 rounds by default).
 */
const saltedCache = new Map<string, Buffer>();
const SALTED_CACHE_LIMIT = 64;

function hmac(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function failed(why: string): AirlockError {
  return new AirlockError('ERR_UPSTREAM_AUTH_FAILED', `SCRAM-SHA-256 with the target failed: ${why}`);
}

/** Parses `k=v,k=v` attributes; values may contain '=' (base64). */
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) map.set(part[0]!, part.slice(2));
  }
  return map;
}

/** RFC 4013 SASLprep, reduced to what changes real passwords; PostgreSQL uses the raw password when it fails. */
function saslPrep(password: string): string {
  if (/^[\x20-\x7e]*$/.test(password)) return password;
  const mapped = password
    .replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ')
    .replace(/\u00ad|\u034f|\u1806|[\u180b-\u180d]|\u200c|\u200d|\u2060|[\ufe00-\ufe0f]|\ufeff/g, '')
    .normalize('NFKC');
  // Prohibited output (controls, private use, surrogates...): fall back to the raw password, as libpq does.
  if (/[\u0000-\u001f\u007f-\u009f\ue000-\uf8ff\ufff9-\ufffd]/.test(mapped)) return password;
  return mapped;
}

/** One SCRAM-SHA-256 exchange. Call the three steps in order. */
export class ScramClient {
  readonly #password: string;
  readonly #clientNonce: string;
  readonly #clientFirstBare: string;
  #serverSignature: Buffer | undefined;

  /** `nonce` and `user` exist for the RFC test vector; leave them out against PostgreSQL. */
  constructor(password: string, options: { readonly nonce?: string; readonly user?: string } = {}) {
    this.#password = password;
    this.#clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    this.#clientFirstBare = `n=${options.user ?? ''},r=${this.#clientNonce}`;
  }

  /** The SASLInitialResponse payload. */
  clientFirstMessage(): string {
    return GS2_HEADER + this.#clientFirstBare;
  }

  /** Given the server-first message (SASLContinue), the client-final message with our proof. */
  clientFinalMessage(serverFirst: string): string {
    const attrs = attributes(serverFirst);
    if (attrs.has('e')) throw failed(`server error ${attrs.get('e')}`);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (
      nonce === undefined ||
      nonce.length <= this.#clientNonce.length ||
      !nonce.startsWith(this.#clientNonce)
    ) {
      throw failed('the server nonce does not extend ours');
    }
    if (!salt || !/^[A-Za-z0-9+/]+={0,2}$/.test(salt)) throw failed('the server sent no valid salt');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) {
      throw failed('the server sent no valid iteration count');
    }
    const salted = this.#saltedPassword(salt, iterations);
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = sha256(clientKey);
    const clientFinalWithoutProof = `c=${CHANNEL_BINDING},r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = xor(clientKey, clientSignature).toString('base64');
    this.#serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${clientFinalWithoutProof},p=${proof}`;
  }

  /** Checks the server-final message (SASLFinal); throws unless the server proved the password. */
  verifyServerFinal(serverFinal: string): void {
    const attrs = attributes(serverFinal);
    if (attrs.has('e')) throw failed(`server error ${attrs.get('e')}`);
    const verifier = attrs.get('v');
    if (!this.#serverSignature) throw failed('the server finished before our proof was sent');
    const received = Buffer.from(verifier ?? '', 'base64');
    if (
      received.length !== this.#serverSignature.length ||
      !timingSafeEqual(received, this.#serverSignature)
    ) {
      throw failed('the server signature does not match');
    }
  }

  #saltedPassword(salt: string, iterations: number): Buffer {
    const prepared = saslPrep(this.#password);
    const key = `${sha256(Buffer.from(prepared)).toString('base64')}:${salt}:${iterations}`;
    let salted = saltedCache.get(key);
    if (!salted) {
      salted = pbkdf2Sync(prepared, Buffer.from(salt, 'base64'), iterations, 32, 'sha256');
      if (saltedCache.size >= SALTED_CACHE_LIMIT) saltedCache.delete(saltedCache.keys().next().value!);
      saltedCache.set(key, salted);
    }
    return salted;
  }
}
