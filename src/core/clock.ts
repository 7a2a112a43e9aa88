/**
 * @module Time, injected. Nothing below the composition root reads `Date.now()` directly, so tests
 * can move time (token expiry, review age) without sleeping.
 */

/** A source of the current time. */
export interface Clock {
  now(): Date;
  /** Milliseconds since the epoch; the cheap form for the hot path. */
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  nowMs(): number {
    return this.#ms;
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}
