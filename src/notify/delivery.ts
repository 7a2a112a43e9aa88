/**
 * @module The notifications' outbox: a bounded in-memory queue drained by a few workers, so the
 * code that creates a request (a held client's path) only appends and returns. Each delivery is
 * one signed POST retried with backoff a bounded number of times (`postSignedWithRetry`); a
 * delivery that still fails, or finds the queue full, is logged and counted, never retried later:
 * a notification is a courtesy, the request itself is in the store and `approvals list` shows it.
 */
import type { Clock } from '../core/clock.js';
import { postSignedWithRetry, type RetryOptions } from '../export/signed-post.js';

/** One POST to make. */
export interface Delivery {
  /** The target's name (logs). */
  readonly target: string;
  /** What it is about, for logs: `approval.requested 42`. */
  readonly about: string;
  /** Resolved at send, so a rotated secret applies and an unset one fails this delivery only. */
  readonly url: () => string;
  readonly secret: () => string | undefined;
  readonly body: string;
  readonly timeoutMs: number;
}

/** Where failures are told (pino's shape). */
export interface DeliveryLog {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Counters since start. */
export interface DeliveryStats {
  readonly delivered: number;
  readonly failed: number;
  /** Dropped because the queue was full. */
  readonly dropped: number;
  readonly queued: number;
}

/** Queue settings. */
export interface DeliveryOptions {
  readonly clock: Clock;
  readonly log: DeliveryLog;
  /** Most deliveries waiting; more are dropped. Default 1000. */
  readonly maxQueued?: number;
  /** Deliveries in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Default: 4 attempts, 500 ms doubling to at most 10 s. */
  readonly retry?: RetryOptions;
  readonly fetch?: typeof fetch;
}

/** Deliveries in the background. */
export class DeliveryQueue {
  readonly #o: DeliveryOptions;
  readonly #queue: Delivery[] = [];
  readonly #abort = new AbortController();
  readonly #idle = new Set<() => void>();
  #running = 0;
  #delivered = 0;
  #failed = 0;
  #dropped = 0;

  constructor(options: DeliveryOptions) {
    this.#o = options;
  }

  get stats(): DeliveryStats {
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      queued: this.#queue.length,
    };
  }

  /** Queues `delivery`; returns at once. */
  push(delivery: Delivery): void {
    if (this.#abort.signal.aborted) return;
    if (this.#queue.length >= (this.#o.maxQueued ?? 1000)) {
      this.#dropped++;
      this.#o.log.warn(
        { target: delivery.target, about: delivery.about },
        'notification dropped: too many waiting to be delivered',
      );
      return;
    }
    this.#queue.push(delivery);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < (this.#o.concurrency ?? 4) && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#running++;
      void this.#send(next).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#idle) resolve();
          this.#idle.clear();
        }
      });
    }
  }

  async #send(d: Delivery): Promise<void> {
    try {
      const secret = d.secret();
      await postSignedWithRetry(
        {
          url: d.url(),
          body: d.body,
          ...(secret !== undefined ? { secret } : {}),
          timeoutMs: d.timeoutMs,
          clock: this.#o.clock,
          signal: this.#abort.signal,
          ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
        },
        this.#o.retry ?? { attempts: 4, initialMs: 500, maxMs: 10_000 },
      );
      this.#delivered++;
      this.#o.log.debug({ target: d.target, about: d.about }, 'notification delivered');
    } catch (err) {
      this.#failed++;
      // The error names the receiver by origin only (signed-post.ts): no path, no token.
      this.#o.log.warn(
        { target: d.target, about: d.about, err: (err as Error).message },
        'notification failed; giving up on it',
      );
    }
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.#idle.add(done);
    });
  }

  /** Stops: gives what is in flight up to `graceMs`, then aborts it; drops the rest. */
  async close(graceMs = 2000): Promise<void> {
    await this.idle(graceMs);
    this.#abort.abort();
    this.#dropped += this.#queue.length;
    this.#queue.length = 0;
  }
}
