/**
 * @module One shared waiter for every held client, keyed by request id: a held session costs one
 * map entry and one timer, never a poll of its own. `wake(id)` (an in-process decision, or the
 * change feed seeing `approval.decided` from another process) reads the request once and releases
 * everyone waiting on it. With `decided` given, the waiter also asks the store, every `recheckMs`
 * and only while someone waits, which of the waited-on requests were decided: one query for all of
 * them, so a decision another process wrote wakes its clients within that interval instead of the
 * change feed's slower poll.
 */

/** How a wait ended. */
export type WaitEnd<T> =
  | { readonly kind: 'decided'; readonly request: T }
  | { readonly kind: 'timeout' | 'aborted' };

/** The optional store re-check while clients wait. */
export interface WaiterRecheck {
  /** Of `ids`, those no longer pending in the store. */
  readonly decided: (ids: readonly number[]) => Promise<readonly number[]>;
  /** How often to ask while anyone waits (default 40 ms). */
  readonly recheckMs?: number;
}

/** Waiters per request id. */
export class ApprovalWaiter<T extends { readonly status: string }> {
  readonly #waiting = new Map<number, Set<(end: WaitEnd<T>) => void>>();
  readonly #load: (id: number) => Promise<T | undefined>;
  readonly #recheck: WaiterRecheck | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(load: (id: number) => Promise<T | undefined>, recheck?: WaiterRecheck) {
    this.#load = load;
    this.#recheck = recheck;
  }

  /** Clients waiting right now. */
  get size(): number {
    let n = 0;
    for (const set of this.#waiting.values()) n += set.size;
    return n;
  }

  /** Resolves when request `id` is decided, after `timeoutMs`, or when `signal` aborts. */
  wait(id: number, timeoutMs: number, signal: AbortSignal): Promise<WaitEnd<T>> {
    return new Promise((resolve) => {
      let set = this.#waiting.get(id);
      if (!set) {
        set = new Set();
        this.#waiting.set(id, set);
      }
      const waiters = set;
      const finish = (end: WaitEnd<T>) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(finish);
        if (waiters.size === 0 && this.#waiting.get(id) === waiters) this.#waiting.delete(id);
        if (this.#waiting.size === 0) this.#stopRecheck();
        resolve(end);
      };
      const onAbort = () => finish({ kind: 'aborted' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, timeoutMs));
      timer.unref();
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      waiters.add(finish);
      this.#startRecheck();
    });
  }

  /** One timer for the whole process, running only while someone waits. */
  #startRecheck(): void {
    const recheck = this.#recheck;
    if (!recheck || this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#busy || this.#waiting.size === 0) return;
      this.#busy = true;
      recheck
        .decided(this.ids())
        .then((ids) => Promise.all(ids.map((id) => this.wake(id))))
        // A failed re-check is retried at the next tick; the change feed still covers the decision.
        .catch(() => {})
        .finally(() => {
          this.#busy = false;
        });
    }, recheck.recheckMs ?? 40);
    this.#timer.unref();
  }

  #stopRecheck(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Re-reads request `id` if anyone waits on it and releases them once it is no longer pending. */
  async wake(id: number): Promise<void> {
    if (!this.#waiting.has(id)) return;
    const request = await this.#load(id);
    if (!request || request.status === 'pending') return;
    const set = this.#waiting.get(id);
    if (!set) return;
    for (const finish of [...set]) finish({ kind: 'decided', request });
  }

  /** Ids with waiters (for a periodic re-check that covers a missed change). */
  ids(): number[] {
    return [...this.#waiting.keys()];
  }
}
