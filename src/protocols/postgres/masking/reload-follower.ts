/**
 * @module How a masked session follows config reloads: before each statement it compares the live
 * definition of its connection with the one last seen, and when the masking rules differ (by their
 * JSON, `rulesKey`) it builds the new rules for the session to put in force. Rules that cannot be
 * built give the `masking-reload` refusal, so the statement never runs under rules it should not have.
 * It is kept apart from `session.ts` because it deals with config, not with the wire.
 */
import type { Connection } from '../../../core/connection.js';
import type { Deny } from '../../../core/decision.js';
import { AirlockError, toAirlockError } from '../../../core/errors.js';
import { type LiveRules, type MaskingRules, NO_MASKING, rulesKey } from './live-rules.js';

/** What a reload means for the next statement: nothing, other rules to put in force, or a refusal. */
export type ReloadOutcome = undefined | { readonly rules: MaskingRules } | { readonly deny: Deny };

/** The connection definition and masking rules a session last saw. */
export class ReloadFollower {
  readonly #live: LiveRules | undefined;
  /** The live definition last seen, and the masking rules in force as JSON (what a reload compares). */
  #connection: Connection | undefined;
  #rulesKey: string;

  constructor(live: LiveRules | undefined, initial: MaskingRules) {
    this.#live = live;
    this.#connection = live?.initial;
    this.#rulesKey = rulesKey(initial.masking);
  }

  /**
   * Checks for a reload before a statement: a replaced definition of the connection with other
   * masking rules gives them (to put in force now); rules that cannot be built give a refusal.
   */
  check(): ReloadOutcome {
    const live = this.#live;
    if (!live) return undefined;
    const current = live.current();
    // Removed: the reloader ends the session; until then the rules in force stay.
    if (current === undefined || current === this.#connection) return undefined;
    const key = rulesKey(current.masking ?? NO_MASKING);
    let outcome: ReloadOutcome;
    if (key !== this.#rulesKey) {
      let rules: MaskingRules;
      try {
        rules = live.build(current);
      } catch (err) {
        const cause = toAirlockError(err, 'ERR_MASKING_FAILED');
        const userMessage = `blocked by airlock: masking-reload: the new masking rules cannot be applied: ${cause.message}`;
        return {
          deny: {
            outcome: 'deny',
            rule: 'masking-reload',
            error: new AirlockError('ERR_POLICY_DENIED', userMessage, {
              userMessage,
              detail: 'rule: masking-reload',
              cause,
            }),
          },
        };
      }
      this.#rulesKey = key;
      outcome = { rules };
    }
    this.#connection = current;
    return outcome;
  }
}
