/**
 * @module The server's retention, bound to its dependencies: `run(clock?)` runs once (tests pass
 * a clock set in the future), `start()` schedules it hourly when `retention.audit` is configured.
 * `retention.recordings` has nothing to delete until session recordings exist.
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
}

/** The server's retention: scheduled, and callable. */
export interface ServerRetention {
  /** Runs once now; throws ERR_BAD_REQUEST when `retention.audit` is not configured. */
  run(clock?: Clock): Promise<AuditRetentionResult>;
  start(): void;
  stop(): Promise<void>;
}

/** Binds retention to the server; scheduling starts with `start()` and only with a period. */
export function createServerRetention(deps: RetentionDeps): ServerRetention {
  const { config, log } = deps;
  const period = config.retention?.audit;
  const run = (clock: Clock = deps.clock) => {
    if (!period) {
      return Promise.reject(new AirlockError('ERR_BAD_REQUEST', 'retention.audit is not configured'));
    }
    return runAuditRetention({
      db: deps.db,
      key: deps.key,
      clock,
      audit: deps.audit,
      period,
      sinks: (config.audit?.export ?? []).map((s) => s.name),
    });
  };
  const job = period
    ? new RetentionJob({
        run: () => run(),
        ...(deps.intervalMs ? { intervalMs: deps.intervalMs } : {}),
        onResult: (result) => {
          if (result.deleted > 0 || result.nodes.length > 0)
            log.info({ retention: result }, 'audit retention ran');
          for (const node of result.nodes) {
            if (node.problem)
              log.error({ node: node.node, problem: node.problem }, 'audit retention stopped');
          }
        },
        onError: (err) => log.error({ err }, 'audit retention failed; it runs again within the hour'),
      })
    : undefined;
  return {
    run,
    start: () => job?.start(),
    stop: async () => job?.stop(),
  };
}
