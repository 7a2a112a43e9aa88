/**
 * @module The dead-letter file of an export sink: where a batch goes when the receiver keeps
 * refusing it for good (a permanent 4xx, after the sink's `deadLetterAfter` attempts), so the
 * events after it can still be delivered, in order. One JSON line per parked event, the stored
 * record spliced in byte for byte, so an operator can fix the cause and replay the lines.
 * The file is `<stateDir>/export-dead-letter/<sink>.jsonl` (docs/operations.md), appended and
 * fsynced before the sink's cursor moves past the batch: a parked event is never lost.
 */
import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IdentityRef } from '../core/identity.js';
import type { ExportBatch } from './sink.js';

/** The identity the exporter acts as in its `export.dead-letter` events. */
export const EXPORT_ACTOR: IdentityRef = Object.freeze({
  subject: 'airlock',
  kind: 'service',
  groups: [],
  issuer: 'local',
  chain: [],
});

/** Attempts at a permanently refused batch before it is parked, unless the sink says otherwise. */
export const DEFAULT_DEAD_LETTER_AFTER = 10;

/** HTTP answers that are worth retrying however often they come: timeout, too early, rate limit. */
const TRANSIENT_4XX = new Set([408, 425, 429]);

/** True for a 4xx that will not change by retrying the same request (400, 401, 403, 404, 413, 422...). */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status <= 499 && !TRANSIENT_4XX.has(status);
}

/** One line of a dead-letter file, as parsed. */
export interface DeadLetterLine {
  readonly sink: string;
  readonly node: string;
  readonly seq: number;
  /** The receiver's last answer. */
  readonly status: number;
  /** Attempts at the parked batch (the one this line belongs to) before it was parked. */
  readonly attempts: number;
  /** The last delivery error (names the receiver by origin only). */
  readonly error: string;
  /** ISO-8601: when it was parked. */
  readonly at: string;
  /** The sealed record, exactly as stored (its hash still verifies). */
  readonly record: unknown;
}

/** What was parked, for callers (log, audit event, metric). */
export interface DeadLetterEntry {
  readonly node: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly events: number;
  readonly status: number;
  readonly attempts: number;
  readonly error: string;
  /** Absolute path of the dead-letter file. */
  readonly file: string;
}

/** The path of `sink`'s dead-letter file in `dir`. */
export function deadLetterPath(dir: string, sink: string): string {
  // Sink names are checked by the config (letters, digits, `.`, `_`, `-`), so they are safe here.
  return join(dir, `${sink}.jsonl`);
}

/**
 * Appends `batch` to the file, one line per event, and fsyncs. Throws when the file cannot be
 * written: the caller then keeps its cursor, and the batch is retried (and parked again) later.
 */
export async function appendDeadLetters(
  file: string,
  sink: string,
  batch: ExportBatch,
  why: { status: number; attempts: number; error: string; at: string },
): Promise<void> {
  const head = (seq: number) =>
    JSON.stringify({
      sink,
      node: batch.node,
      seq,
      status: why.status,
      attempts: why.attempts,
      error: why.error,
      at: why.at,
    }).slice(0, -1);
  let text = '';
  for (const event of batch.events) text += `${head(event.seq)},"record":${event.record}}\n`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a', 0o600);
  const before = (await handle.stat()).size;
  try {
    await handle.write(text);
    await handle.sync();
  } catch (err) {
    // A torn line would sit in front of the retried batch: cut back (best effort).
    await handle.truncate(before).catch(() => undefined);
    throw err;
  } finally {
    await handle.close();
  }
}
