/**
 * @module Diagnostics channels other capabilities publish on, and the shape of each message.
 * Metrics (`src/server/metrics.ts`) subscribe; publishers never import the metrics library. The
 * gate's own channels (`airlock.session`, `airlock.command`) are declared in `gate.ts`.
 *
 * Publish only when someone listens, so an unobserved process pays nothing:
 *
 * ```ts
 * if (approvalChannel.hasSubscribers) approvalChannel.publish({ phase: 'held', protocol, connection, rule } satisfies ApprovalChannelMessage);
 * ```
 *
 * Messages are plain objects with bounded label values (connection and rule names from the config,
 * entity names from the masking catalog): never statement text, identities or values.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Protocol } from './connection.js';

/** Channel names, as `diagnostics.channel(name)` and `diagnostics.subscribe(name, fn)` take them. */
export const CHANNEL_NAMES = {
  approval: 'airlock.approval',
  masking: 'airlock.masking',
} as const;

/**
 * Published on `airlock.approval` by the review gate.
 * - `held`: a statement is now waiting for a reviewer (the held-requests gauge goes up by one).
 * - `released`: a held statement stopped waiting, whatever the answer (the gauge goes down by one;
 *   `waitedMs`, from hold to answer, feeds the approval latency histogram).
 * Every `held` must be followed by exactly one `released`, also when the session ends first
 * (`outcome: 'cancelled'`), or the gauge drifts.
 */
export type ApprovalChannelMessage =
  | {
      readonly phase: 'held';
      readonly protocol: Protocol;
      readonly connection: string;
      readonly rule: string;
    }
  | {
      readonly phase: 'released';
      readonly protocol: Protocol;
      readonly connection: string;
      readonly rule: string;
      readonly outcome: 'approved' | 'denied' | 'expired' | 'cancelled';
      readonly waitedMs: number;
    };

/**
 * Published on `airlock.masking` by the masking layer, once per statement that masked anything, one
 * message per entity: `values` is how many values of that entity were replaced in the statement's
 * results (added to `airlock_masked_values_total{entity}`).
 */
export interface MaskingChannelMessage {
  /** A masking entity name, e.g. `EMAIL` (`src/masking/entities.ts`). */
  readonly entity: string;
  readonly values: number;
}

/** `airlock.approval`. */
export const approvalChannel = diagnostics.channel(CHANNEL_NAMES.approval);
/** `airlock.masking`. */
export const maskingChannel = diagnostics.channel(CHANNEL_NAMES.masking);
