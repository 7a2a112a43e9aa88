/**
 * @module The webhook export sink: POSTs each batch as
 * `{"schema": AUDIT_SCHEMA_VERSION, "events": [record, ...]}`, signed with HMAC-SHA256
 * (signed-post.ts). The records are spliced in as the stored JSON text, not re-serialised, so
 * each one is byte for byte what was hashed and the receiver can re-check the chain.
 */
import { readFileSync } from 'node:fs';
import { AUDIT_SCHEMA_VERSION } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { WebhookExportSink } from '../core/config.js';
import type { SecretRef } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { postSigned } from './signed-post.js';
import type { ExportBatch, SinkWriter } from './sink.js';

/** Header naming the batch (`<node>:<firstSeq>-<lastSeq>`), an idempotency key for receivers. */
export const BATCH_HEADER = 'x-airlock-batch';

/** The request body for `batch`. */
export function webhookBody(batch: ExportBatch): string {
  let events = '';
  for (const event of batch.events) events += events === '' ? event.record : `,${event.record}`;
  return `{"schema":${AUDIT_SCHEMA_VERSION},"events":[${events}]}`;
}

/** Reads a `{env}` / `{file}` / literal secret at use, so a rotated file applies without restart. */
export function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv, what: string): string {
  if ('value' in ref) return ref.value;
  if ('env' in ref) {
    const value = env[ref.env];
    if (value) return value;
    throw new AirlockError('ERR_DELIVERY_FAILED', `${what}: environment variable ${ref.env} is not set`);
  }
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AirlockError(
      'ERR_DELIVERY_FAILED',
      `${what}: secret file ${ref.file} cannot be read (${code})`,
    );
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '')
    throw new AirlockError('ERR_DELIVERY_FAILED', `${what}: secret file ${ref.file} is empty`);
  return value;
}

/** POSTs batches to `sink.url`. */
export class WebhookSink implements SinkWriter {
  readonly #sink: WebhookExportSink;
  readonly #clock: Clock;
  readonly #env: NodeJS.ProcessEnv;
  readonly #fetch: typeof fetch | undefined;

  constructor(sink: WebhookExportSink, clock: Clock, env: NodeJS.ProcessEnv, fetchImpl?: typeof fetch) {
    this.#sink = sink;
    this.#clock = clock;
    this.#env = env;
    this.#fetch = fetchImpl;
  }

  async deliver(batch: ExportBatch, signal: AbortSignal): Promise<void> {
    const first = batch.events[0];
    const last = batch.events[batch.events.length - 1];
    if (!first || !last) return;
    await postSigned({
      url: this.#sink.url,
      body: webhookBody(batch),
      secret: resolveSecret(this.#sink.secret, this.#env, `sink ${this.#sink.name}`),
      timeoutMs: this.#sink.timeoutMs,
      clock: this.#clock,
      headers: { [BATCH_HEADER]: `${batch.node}:${first.seq}-${last.seq}` },
      signal,
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
  }

  async close(): Promise<void> {}
}
