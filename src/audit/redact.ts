/**
 * @module Placeholder replaced by the audit helper: password-literal redaction for statement text.
 */

/** Returns `text` with password literals replaced by `'***'`. */
export function redactSecrets(text: string): string {
  return text;
}
