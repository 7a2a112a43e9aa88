/**
 * @module Runs retention on a schedule: first shortly after start (not during it, so a restart
 * is not slowed by a large first run), then every `intervalMs`. Runs never overlap; a failed run
 * is reported and the next one tries again. Timers are unref'd: the job never keeps a process up.
 */
import type { AuditRetentionResult } from './audit-retention.js';

/** Options for `RetentionJob` (`R`: what one run returns; src/reviews/ schedules expiry with it too). */
export interface RetentionJobOptions<R = AuditRetentionResult> {
  /** One run (`runAuditRetention` with the server's dependencies bound). */
  readonly run: () => Promise<R>;
  /** Default one hour. */
  readonly intervalMs?: number;
  /** Delay before the first run. Default 60 s. */
  readonly firstRunMs?: number;
  readonly onResult?: (result: R) => void;
  readonly onError?: (err: unknown) => void;
}

/** A scheduled retention job. */
export class RetentionJob<R = AuditRetentionResult> {
  readonly #o: RetentionJobOptions<R>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: RetentionJobOptions<R>) {
    this.#o = options;
  }

  start(): void {
    this.#schedule(this.#o.firstRunMs ?? 60_000);
  }

  /** Runs now, or joins the run in flight. Never rejects (errors go to `onError`). */
  runNow(): Promise<void> {
    this.#running ??= this.#o
      .run()
      .then(
        (result) => this.#o.onResult?.(result),
        (err: unknown) => this.#o.onError?.(err),
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Cancels the schedule and waits for a run in flight (it is a few short transactions). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.runNow().then(() => this.#schedule(this.#o.intervalMs ?? 3_600_000));
    }, delayMs);
    this.#timer.unref();
  }
}
