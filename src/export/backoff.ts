/**
 * @module Exponential backoff for background retries (audit export, webhooks): the delay doubles
 * per consecutive failure up to a cap, with "equal jitter" (half fixed, half random) so replicas
 * retrying the same receiver spread out instead of arriving together.
 */

/** Options for `Backoff`. */
export interface BackoffOptions {
  /** First delay, in ms. Default 500. */
  readonly initialMs?: number;
  /** Longest delay, in ms. Default 30 000. */
  readonly maxMs?: number;
  /** A number in [0, 1); injectable so tests get exact delays. */
  readonly random?: () => number;
}

/** Delays for consecutive failures; `reset()` after a success. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts a failure and returns how long to wait before the next attempt. */
  next(): number {
    // Capping the exponent keeps 2 ** n finite however long a receiver stays down.
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.#random());
  }

  reset(): void {
    this.#failures = 0;
  }
}

/** Resolves after `ms`, or at once (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
