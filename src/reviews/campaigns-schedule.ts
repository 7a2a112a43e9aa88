/**
 * @module The server's review upkeep, on the retention job's schedule (src/retention/job.ts):
 * expiry (src/reviews/expiry.ts) then campaign reminders and overdue items (campaigns.ts), first a
 * minute after start, then every `intervalMs` (default 15 minutes: expiry works in days, and live
 * sessions end through the change feed anyway). `run(clock?)` runs once; tests pass a clock set
 * ahead. Reminders are log lines plus the optional `remind` hook (a notifier can subscribe).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { TokenService } from '../identity/tokens.js';
import { RetentionJob } from '../retention/job.js';
import type { Database } from '../store/schema.js';
import type { CampaignReminder, CampaignService } from './campaigns.js';
import { type ExpiryResult, runExpiry } from './expiry.js';
import type { ReviewService } from './service.js';

/** What one upkeep run did. */
export interface ReviewUpkeepResult {
  readonly expiry: ExpiryResult;
  readonly reminded: readonly number[];
  readonly overdue: readonly number[];
}

/** What the upkeep needs. */
export interface ReviewUpkeepDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly reviews: ReviewService;
  readonly campaigns: CampaignService;
  readonly tokens: TokenService;
  readonly connections: () => ReadonlyMap<string, Connection>;
  /** Besides the log line: who else hears a campaign reminder. */
  readonly remind?: CampaignReminder;
  readonly intervalMs?: number;
}

/** The scheduled upkeep, and a way to run it now. */
export interface ReviewUpkeep {
  run(clock?: Clock): Promise<ReviewUpkeepResult>;
  start(): void;
  stop(): Promise<void>;
}

/** Binds the upkeep to the server. */
export function createReviewUpkeep(deps: ReviewUpkeepDeps): ReviewUpkeep {
  const { log } = deps;
  const remind: CampaignReminder = (campaign, pending) => {
    log.warn(
      {
        campaign: campaign.id,
        dueAt: campaign.dueAt,
        pending: pending.length,
        reviewers: campaign.reviewers,
      },
      `campaign ${campaign.id}: ${pending.length} item(s) to review before ${campaign.dueAt} (airlock reviews campaign show ${campaign.id})`,
    );
    deps.remind?.(campaign, pending);
  };
  const run = async (clock: Clock = deps.clock): Promise<ReviewUpkeepResult> => {
    const expiry = await runExpiry({
      db: deps.db,
      clock,
      connections: deps.connections,
      grants: deps.reviews.grants,
      suspensions: deps.reviews.suspensions,
      tokens: deps.tokens,
    });
    const { reminded, overdue } = await deps.campaigns.upkeep(remind, clock);
    return { expiry, reminded, overdue };
  };
  const job = new RetentionJob<ReviewUpkeepResult>({
    run: () => run(),
    intervalMs: deps.intervalMs ?? 15 * 60_000,
    onResult: (result) => {
      const { grants, suspended, delegates } = result.expiry;
      if (grants.length + suspended.length + delegates.length + result.overdue.length > 0)
        log.info({ expiry: result.expiry, overdue: result.overdue }, 'review upkeep ran');
    },
    onError: (err) => log.error({ err }, 'review upkeep failed; it runs again at the next interval'),
  });
  return { run, start: () => job.start(), stop: () => job.stop() };
}
