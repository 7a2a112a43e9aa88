/**
 * @module Deletes session recordings (src/recordings/) older than `retention.recordings`. A recording's age is the
 * time of its last write (its end line, for a closed one): a long session is kept for the period
 * after it ended, not after it began. Recordings still open are never deleted. A run that
 * deleted something writes one `retention.recordings` audit event counting it.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog, AuditRecord } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { RetentionPeriod } from '../core/config.js';
import { RETENTION_ACTOR } from './audit-retention.js';

/** What one run needs. */
export interface RecordingRetentionOptions {
  readonly dir: string;
  readonly period: RetentionPeriod;
  readonly clock: Clock;
  readonly audit: AuditLog;
  /** Recordings still being written (by session id): kept whatever their age. */
  readonly isOpen?: (sessionId: string) => boolean;
}

/** The outcome of a run. */
export interface RecordingRetentionResult {
  readonly cutoff: string;
  /** Recordings deleted. */
  readonly deleted: number;
  readonly bytes: number;
  /** Recordings that were due but could not be deleted (permissions...); tried again next run. */
  readonly failed: number;
  readonly event?: AuditRecord;
}

/** Runs recording retention once over `dir`. */
export async function runRecordingRetention(
  options: RecordingRetentionOptions,
): Promise<RecordingRetentionResult> {
  const cutoffMs = options.clock.nowMs() - options.period.ms;
  const cutoff = new Date(cutoffMs).toISOString();
  let names: string[];
  try {
    names = await readdir(options.dir);
  } catch (err) {
    // No folder: nothing was ever recorded here.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { cutoff, deleted: 0, bytes: 0, failed: 0 };
    throw err;
  }
  let deleted = 0;
  let bytes = 0;
  let failed = 0;
  for (const name of names.sort()) {
    if (!name.endsWith('.jsonl')) continue;
    if (options.isOpen?.(name.slice(0, -'.jsonl'.length))) continue;
    const path = join(options.dir, name);
    try {
      const info = await stat(path);
      if (!info.isFile() || info.mtimeMs >= cutoffMs) continue;
      await unlink(path);
      deleted++;
      bytes += info.size;
    } catch (err) {
      // Gone meanwhile (another run): nothing to do; anything else is retried next time.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failed++;
    }
  }
  const summary = { cutoff, deleted, bytes, failed };
  if (deleted === 0 && failed === 0) return summary;
  const event = options.audit.append({
    type: 'retention.recordings',
    actor: RETENTION_ACTOR,
    cutoff,
    period: options.period.text,
    deleted,
    bytes,
    failed,
  });
  return { ...summary, event };
}
