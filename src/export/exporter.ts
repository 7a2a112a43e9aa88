/**
 * @module Audit export: one delivery loop per configured sink (`audit.export`), reading the
 * store's `audit_events` after each sink's persisted cursor. It runs beside the data path and
 * never in it: the gateway journals and drains as before, and a slow or dead sink only grows
 * its lag (`airlock_audit_export_lag{sink}`), never a client's wait.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { ExportSink } from '../core/config.js';
import { type AirlockError, toAirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import {
  DEFAULT_DEAD_LETTER_AFTER,
  type DeadLetterEntry,
  deadLetterPath,
  EXPORT_ACTOR,
} from './dead-letter.js';
import { JsonlSink } from './jsonl-sink.js';
import type { ExportBatch, SinkWriter } from './sink.js';
import { SinkLoop } from './sink-loop.js';
import { WebhookSink } from './webhook-sink.js';

/** Options for `AuditExporter`. */
export interface AuditExporterOptions {
  readonly db: Kysely<Database>;
  readonly sinks: readonly ExportSink[];
  readonly clock: Clock;
  /** Where `{env}` secrets are read. */
  readonly env: NodeJS.ProcessEnv;
  /** Retry delays; default 500 ms doubling up to 30 s. */
  readonly backoff?: BackoffOptions;
  /** Told about each failed attempt; the exporter retries by itself. */
  readonly onError?: (sink: string, err: AirlockError, retryInMs: number) => void;
  readonly onDelivered?: (sink: string, batch: ExportBatch) => void;
  /** Injectable for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /**
   * Folder of the webhook sinks' dead-letter files (`<sink>.jsonl`; the server uses
   * `<stateDir>/export-dead-letter`). Absent: a permanently refused batch is retried forever.
   */
  readonly deadLetterDir?: string;
  /** Where `export.dead-letter` events go (the server's journal). */
  readonly audit?: AuditLog;
  /** Told after a batch was parked (the server logs it at error level). */
  readonly onDeadLetter?: (sink: string, entry: DeadLetterEntry) => void;
}

/** Builds the writer for one configured sink. */
export function createSinkWriter(
  sink: ExportSink,
  clock: Clock,
  env: NodeJS.ProcessEnv,
  fetchImpl?: typeof fetch,
): SinkWriter {
  return sink.type === 'jsonl' ? new JsonlSink(sink, clock) : new WebhookSink(sink, clock, env, fetchImpl);
}

/** Delivers the audit trail to every configured sink. */
export class AuditExporter {
  readonly #loops = new Map<string, SinkLoop>();
  readonly #writers: SinkWriter[] = [];
  readonly #abort = new AbortController();
  #running: Promise<void>[] = [];

  constructor(options: AuditExporterOptions) {
    for (const sink of options.sinks) {
      const writer = createSinkWriter(sink, options.clock, options.env, options.fetch);
      this.#writers.push(writer);
      this.#loops.set(
        sink.name,
        new SinkLoop({
          name: sink.name,
          writer,
          db: options.db,
          clock: options.clock,
          batchSize: sink.batchSize,
          flushIntervalMs: sink.flushIntervalMs,
          backoff: new Backoff(options.backoff),
          onError: (err, wait) => options.onError?.(sink.name, err, wait),
          onDelivered: (batch) => options.onDelivered?.(sink.name, batch),
          // A local JSONL file has no receiver to refuse anything: its failures are all retried.
          ...(sink.type === 'webhook' && options.deadLetterDir !== undefined
            ? {
                deadLetterFile: deadLetterPath(options.deadLetterDir, sink.name),
                deadLetterAfter: sink.deadLetterAfter ?? DEFAULT_DEAD_LETTER_AFTER,
                onDeadLetter: (entry: DeadLetterEntry) => this.#parked(options, sink.name, entry),
              }
            : {}),
        }),
      );
    }
  }

  /** Starts every sink's loop in the background. */
  start(): void {
    if (this.#running.length > 0 || this.#abort.signal.aborted) return;
    this.#running = [...this.#loops.values()].map((loop) => loop.run(this.#abort.signal));
  }

  /** Events parked in dead-letter files since start, per sink name. */
  deadLettered(): Map<string, number> {
    return new Map([...this.#loops].map(([name, loop]) => [name, loop.deadLettered]));
  }

  /**
   * Records a parked batch in the audit trail. The file and the moved cursor already hold it; a
   * journal that cannot be written is reported, not retried (the batch must not be parked twice).
   */
  #parked(options: AuditExporterOptions, sink: string, entry: DeadLetterEntry): void {
    try {
      options.audit?.append({
        type: 'export.dead-letter',
        actor: EXPORT_ACTOR,
        sink,
        sourceNode: entry.node,
        fromSeq: entry.fromSeq,
        toSeq: entry.toSeq,
        events: entry.events,
        status: entry.status,
        attempts: entry.attempts,
        error: { code: 'ERR_DELIVERY_FAILED', message: entry.error },
        file: entry.file,
      });
    } catch (err) {
      options.onError?.(sink, toAirlockError(err, 'ERR_AUDIT_UNAVAILABLE'), 0);
    }
    options.onDeadLetter?.(sink, entry);
  }

  /** Events not yet delivered, per sink name (as of each sink's last pass). */
  lag(): Map<string, number> {
    return new Map([...this.#loops].map(([name, loop]) => [name, loop.lag]));
  }

  /**
   * Stops the loops (an in-flight POST is aborted; its batch is delivered again at the next
   * start, since its cursor did not move) and closes the files.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#running);
    await Promise.all(this.#writers.map((w) => w.close().catch(() => undefined)));
  }
}
