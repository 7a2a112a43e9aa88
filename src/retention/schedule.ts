/**
 * @module The server's retention, bound to its dependencies: `run(clock?)` runs once (tests pass
 * a clock set in the future), `start()` schedules it hourly when `retention.audit` or
 * `retention.recordings` is configured. Each run deletes session recordings first, then audit
 * events: a recording is a view built from the audit trail, so it never outlives its evidence.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { AirlockConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import type { Database } from '../store/schema.js';
import { type AuditRetentionResult, runAuditRetention } from './audit-retention.js';
import { RetentionJob } from './job.js';
import { type RecordingRetentionResult, runRecordingRetention } from './recording-retention.js';

/** What the server hands retention. */
export interface RetentionDeps {
  readonly config: AirlockConfig;
  readonly db: Kysely<Database>;
  readonly key: Buffer;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** Default one hour. */
  readonly intervalMs?: number;
  /** Delay before the first scheduled run. Default 60 s. */
  readonly firstRunMs?: number;
  /** The session recordings (src/recordings/): their folder, and which are still being written. */
  readonly recordings?: { readonly dir: string; readonly isOpen?: (sessionId: string) => boolean };
}

/**
 * One run: the audit part (all zero, with an empty cutoff, when `retention.audit` is not set) and
 * the recordings part (absent when `retention.recordings` is not set).
 */
export type ServerRetentionResult = AuditRetentionResult & { readonly recordings?: RecordingRetentionResult };

/** Counters since start, for `/metrics`. */
export interface RetentionStats {
  /** Audit events deleted. */
  readonly deleted: number;
  /** Session recordings deleted. */
  readonly recordingsDeleted: number;
  /** Node runs that stopped at an event that does not verify (or a checkpoint that does not). */
  readonly stopped: number;
  /** Runs (scheduled and on demand) by how they ended: a failure deleted nothing it reports. */
  readonly runs: { readonly success: number; readonly failure: number };
  /** When the last run succeeded (by the server's clock, epoch ms); absent before the first. */
  readonly lastSuccessMs?: number;
}

/** The server's retention: scheduled, and callable. */
export interface ServerRetention {
  /** Runs once now; throws ERR_BAD_REQUEST when neither retention period is configured. */
  run(clock?: Clock): Promise<ServerRetentionResult>;
  start(): void;
  stop(): Promise<void>;
  stats(): RetentionStats;
}

/** Binds retention to the server; scheduling starts with `start()` and only with a period. */
export function createServerRetention(deps: RetentionDeps): ServerRetention {
  const { config, log } = deps;
  const period = config.retention?.audit;
  const recordingsPeriod = deps.recordings ? config.retention?.recordings : undefined;
  let deleted = 0;
  let stopped = 0;
  let recordingsDeleted = 0;
  const runs = { success: 0, failure: 0 };
  let lastSuccessMs: number | undefined;
  // Scheduled and on-demand runs alike are logged and counted, so an alert sees both.
  const report = (result: AuditRetentionResult) => {
    deleted += result.deleted;
    if (result.deleted > 0 || result.nodes.length > 0) log.info({ retention: result }, 'audit retention ran');
    for (const node of result.nodes) {
      if (!node.problem) continue;
      stopped++;
      log.error(
        { node: node.node, stoppedAt: node.stoppedAt, deleted: node.deleted, problem: node.problem },
        'audit retention stopped',
      );
    }
    return result;
  };
  const runRecordings = async (clock: Clock) => {
    if (!recordingsPeriod || !deps.recordings) return undefined;
    const result = await runRecordingRetention({
      dir: deps.recordings.dir,
      period: recordingsPeriod,
      clock,
      audit: deps.audit,
      ...(deps.recordings.isOpen ? { isOpen: deps.recordings.isOpen } : {}),
    });
    recordingsDeleted += result.deleted;
    if (result.deleted > 0) log.info({ recordings: result }, 'recording retention ran');
    if (result.failed > 0)
      log.error(
        { dir: deps.recordings.dir, failed: result.failed },
        'recording retention could not delete recordings',
      );
    return result;
  };
  // Every run is counted by outcome, so "retention has not succeeded for hours" can be alerted on.
  const run = async (clock: Clock = deps.clock): Promise<ServerRetentionResult> => {
    if (!period && !recordingsPeriod) {
      throw new AirlockError(
        'ERR_BAD_REQUEST',
        'neither retention.audit nor retention.recordings is configured',
      );
    }
    try {
      const result = await runOnce(clock);
      runs.success++;
      lastSuccessMs = clock.nowMs();
      return result;
    } catch (err) {
      runs.failure++;
      throw err;
    }
  };
  const runOnce = async (clock: Clock): Promise<ServerRetentionResult> => {
    // Recordings first (see the module comment).
    const recordings = await runRecordings(clock);
    const extra = recordings ? { recordings } : {};
    if (!period) return { cutoff: '', deleted: 0, sessions: 0, nodes: [], ...extra };
    const result = await runAuditRetention({
      db: deps.db,
      key: deps.key,
      clock,
      audit: deps.audit,
      period,
      sinks: (config.audit?.export ?? []).map((s) => s.name),
    });
    return { ...report(result), ...extra };
  };
  const job =
    period || recordingsPeriod
      ? new RetentionJob({
          run: () => run(),
          ...(deps.intervalMs ? { intervalMs: deps.intervalMs } : {}),
          ...(deps.firstRunMs ? { firstRunMs: deps.firstRunMs } : {}),
          onError: (err) => log.error({ err }, 'audit retention failed; it runs again within the hour'),
        })
      : undefined;
  return {
    run,
    start: () => job?.start(),
    stop: async () => job?.stop(),
    stats: () => ({
      deleted,
      stopped,
      recordingsDeleted,
      runs: { ...runs },
      ...(lastSuccessMs !== undefined ? { lastSuccessMs } : {}),
    }),
  };
}
