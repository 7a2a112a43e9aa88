/**
 * @module The signed HTTP POST that audit export (webhook sinks) and notifications share. The
 * receiver checks `X-Airlock-Signature: sha256=<hex>`, an HMAC-SHA256 of the exact body bytes with
 * the shared secret, and may use `X-Airlock-Timestamp` (Unix seconds) to refuse stale requests.
 * Errors name the receiver by origin only: a URL's path or query may carry a token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { Backoff, type BackoffOptions, sleep } from './backoff.js';

/** Header carrying `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = 'x-airlock-signature';
/** Header carrying the send time in Unix seconds. */
export const TIMESTAMP_HEADER = 'x-airlock-timestamp';

/** `sha256=<hex>` for `body` under `secret`. */
export function signBody(secret: string | Buffer, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret` (constant-time compare); for receivers. */
export function signatureValid(secret: string | Buffer, body: string | Buffer, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One signed POST. */
export interface SignedPostRequest {
  readonly url: string;
  /** Sent as is; the signature covers exactly these bytes. */
  readonly body: string;
  /** The HMAC key; absent: sent unsigned (a Slack incoming webhook's URL is its credential). */
  readonly secret?: string | Buffer;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Extra headers (names lower-case). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** Aborts the request (shutdown). */
  readonly signal?: AbortSignal;
  /** Injectable for tests; defaults to the global fetch (undici). */
  readonly fetch?: typeof fetch;
}

/**
 * POSTs once. Resolves with the status on 2xx; throws AirlockError ERR_DELIVERY_FAILED on a
 * network error, a timeout or any other status (the response body is not read: receivers'
 * error pages are not worth memory, and may echo the request).
 */
export async function postSigned(request: SignedPostRequest): Promise<number> {
  const doFetch = request.fetch ?? fetch;
  const origin = originOf(request.url);
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await doFetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: {
        'content-type': request.contentType ?? 'application/json',
        'user-agent': 'airlock',
        ...request.headers,
        ...(request.secret !== undefined
          ? { [SIGNATURE_HEADER]: signBody(request.secret, request.body) }
          : {}),
        [TIMESTAMP_HEADER]: String(Math.floor(request.clock.nowMs() / 1000)),
      },
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const why = timeout.aborted ? `no answer within ${request.timeoutMs} ms` : describeCause(err);
    throw new AirlockError('ERR_DELIVERY_FAILED', `POST to ${origin} failed: ${why}`, { cause: err });
  }
  // Release the connection without reading what the receiver sent.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new AirlockError('ERR_DELIVERY_FAILED', `POST to ${origin} answered HTTP ${response.status}`, {
      cause: { status: response.status },
    });
  }
  return response.status;
}

/** Retry settings for `postSignedWithRetry`. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included. Default 5. */
  readonly attempts?: number;
}

/**
 * POSTs, retrying failures with exponential backoff up to `attempts` times; throws the last error.
 * For senders that give up (notifications). The audit exporter retries forever itself instead,
 * because its cursor must not move past an undelivered event.
 */
export async function postSignedWithRetry(
  request: SignedPostRequest,
  retry: RetryOptions = {},
): Promise<number> {
  const attempts = retry.attempts ?? 5;
  const backoff = new Backoff(retry);
  for (let attempt = 1; ; attempt++) {
    try {
      return await postSigned(request);
    } catch (err) {
      if (attempt >= attempts || request.signal?.aborted) throw err;
      await sleep(backoff.next(), request.signal);
    }
  }
}

/** The HTTP status a receiver answered, when `err` is `postSigned`'s non-2xx failure. */
export function answeredStatus(err: unknown): number | undefined {
  const status = (err as { cause?: { status?: unknown } } | undefined)?.cause?.status;
  return typeof status === 'number' ? status : undefined;
}

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'an invalid URL';
}

/** fetch wraps the socket error in `cause`; that is the useful part (ECONNREFUSED...). */
function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
