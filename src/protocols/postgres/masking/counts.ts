/**
 * @module Counts of what was masked, by column (`table.column`), `derived`, or entity (`EMAIL`), for
 * the `command.result` audit event and the `airlock.masking` diagnostics channel. Values never enter.
 */
import { type MaskingChannelMessage, maskingChannel } from '../../../core/channels.js';

/** A running tally, taken per command. */
export class MaskCounts {
  #counts = new Map<string, number>();

  add(kind: string, n: number): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + n);
  }

  addEntities(counts: Readonly<Record<string, number | undefined>>): void {
    for (const kind in counts) {
      const n = counts[kind];
      if (n) this.add(kind, n);
    }
  }

  /** Returns the tally so far (undefined when empty) and starts a new one; publishes it. */
  take(): Record<string, number> | undefined {
    if (this.#counts.size === 0) return undefined;
    const taken: Record<string, number> = {};
    for (const [kind, count] of this.#counts) {
      taken[kind] = count;
      if (maskingChannel.hasSubscribers)
        maskingChannel.publish({ entity: kind, values: count } satisfies MaskingChannelMessage);
    }
    this.#counts = new Map();
    return taken;
  }
}
