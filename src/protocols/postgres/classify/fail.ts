/**
 * @module The one way classification gives up: a statement the classifier cannot place ends the
 * whole text with `{ ok: false, reason }` (fail closed), never with a guess.
 */
import { AirlockError } from '../../../core/errors.js';

/** Stops classifying: `reason` becomes the `ok: false` reason the client and the audit log see. */
export function unclassifiable(reason: string): never {
  throw new AirlockError('ERR_BAD_REQUEST', reason);
}
