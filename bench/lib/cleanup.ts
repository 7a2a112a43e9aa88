/**
 * @module Stopping everything the bench started, on a normal end, on an error and on Ctrl-C or
 * SIGTERM, so no postgres, pgbouncer or Airlock is left running.
 */

/** A stack of stop functions, run newest first. */
export class Cleanup {
  readonly #steps: { name: string; stop: () => Promise<void>; kill?: () => void }[] = [];
  #running: Promise<void> | undefined;

  /**
   * Registers a stop step. `kill` is the synchronous last resort used if the process exits before
   * `run()` finished (for example on a second Ctrl-C).
   */
  add(name: string, stop: () => Promise<void>, kill?: () => void): void {
    this.#steps.push(kill ? { name, stop, kill } : { name, stop });
  }

  /** Runs every step once, newest first; a failing step does not skip the others. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      while (this.#steps.length > 0) {
        // Popped only once stopped, so killRemaining() still reaches a step that is mid-stop.
        const step = this.#steps[this.#steps.length - 1]!;
        try {
          await step.stop();
        } catch (err) {
          process.stderr.write(`bench: stopping ${step.name} failed: ${(err as Error).message}\n`);
        }
        this.#steps.pop();
      }
    })();
    return this.#running;
  }

  /** Synchronous kills of the steps not yet stopped (for `process.on('exit')`). */
  killRemaining(): void {
    for (const step of this.#steps) {
      try {
        step.kill?.();
      } catch {
        // already gone
      }
    }
  }
}
