/**
 * @module An Outbox that also shows masking every message bound for the upstream, in the order it is
 * written: client messages, batches moved whole, and Airlock's own probes and Syncs alike.
 */
import type { Frame } from '../codec/messages.js';
import { Outbox } from '../outbox.js';

export class TappedOutbox extends Outbox {
  readonly #tap: (bytes: Buffer) => void;

  constructor(tap: (bytes: Buffer) => void) {
    super();
    this.#tap = tap;
  }

  override addFrame(frame: Frame): void {
    this.#tap(frame.raw);
    // The base class copies an unstable frame through addBytes, which would tap it twice.
    if (frame.stable) super.addFrame(frame);
    else super.addBytes(Buffer.from(frame.raw));
  }

  override addBytes(bytes: Buffer): void {
    this.#tap(bytes);
    super.addBytes(bytes);
  }
}
