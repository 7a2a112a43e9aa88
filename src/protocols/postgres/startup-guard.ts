/**
 * @module Startup settings that would change how the server reads SQL, or who runs it, behind the
 * classifier's back: `-c role=...`, `standard_conforming_strings=off` (then `\'` ends no string for
 * the parser but does for the server), a client encoding whose multibyte characters can swallow a
 * quote, a `search_path` that shadows built-ins. Only a short allowlist of harmless settings is
 * forwarded; anything else must be SET after connecting, where policy sees it.
 */
import { decodeBackend } from './codec/backend-decoder.js';
import type { Frame } from './codec/messages.js';
import { splitOptions } from './options.js';

/** Settings a client may pass at startup (lower case). */
const ALLOWED_SETTINGS = new Set([
  'application_name',
  'datestyle',
  'timezone',
  'intervalstyle',
  'extra_float_digits',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'idle_session_timeout',
  'work_mem',
  'client_encoding',
]);

/** Client encodings whose second byte can be an ASCII quote or backslash (PostgreSQL refuses them as server encodings). */
const UNSAFE_ENCODINGS = new Set([
  'sjis',
  'shiftjis',
  'mskanji',
  'big5',
  'gbk',
  'gb18030',
  'johab',
  'uhc',
  'cp932',
  'cp936',
  'cp949',
  'cp950',
  'win932',
  'win936',
  'win949',
  'win950',
  'windows932',
  'windows936',
  'windows949',
  'windows950',
]);

function encodingProblem(value: string): string | undefined {
  const normalized = value.toLowerCase().replace(/[-_\s'"]/g, '');
  return UNSAFE_ENCODINGS.has(normalized)
    ? `client_encoding ${value} is not accepted through Airlock (its characters can hide quotes from the SQL checks); use UTF8`
    : undefined;
}

/**
 * Returns a client-safe reason when the startup parameters or the (airlock.*-free) options string
 * carry a setting Airlock does not forward, else undefined.
 */
export function unsafeStartupSetting(
  parameters: ReadonlyMap<string, string>,
  options: string,
): string | undefined {
  const encoding = parameters.get('client_encoding');
  if (encoding !== undefined) {
    const problem = encodingProblem(encoding);
    if (problem) return problem;
  }
  const args = splitOptions(options);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let text: string | undefined;
    if (arg === '-c') text = args[++i];
    else if (arg.startsWith('-c')) text = arg.slice(2);
    else if (arg.startsWith('--')) text = arg.slice(2).replace(/-/g, '_');
    const eq = text?.indexOf('=') ?? -1;
    if (text === undefined || eq <= 0) {
      return `startup option "${arg}" is not forwarded through Airlock; connect without it`;
    }
    const name = text.slice(0, eq).toLowerCase();
    if (!ALLOWED_SETTINGS.has(name)) {
      return `startup setting ${name} is not forwarded through Airlock; run SET ${name} after connecting, where the guardrails see it`;
    }
    if (name === 'client_encoding') {
      const problem = encodingProblem(text.slice(eq + 1));
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Returns a reason when a setting the server reports (ParameterStatus, at startup or after any
 * statement) would make it read SQL differently from the classifier, else undefined. The classifier
 * refuses the statements it can see changing these; this catches what it cannot see: a role or
 * database default (`ALTER ROLE ... SET`), or a function that changed them inside itself.
 */
export function unsafeServerSetting(parameter: string, value: string): string | undefined {
  const name = parameter.toLowerCase();
  if (name === 'standard_conforming_strings' && value.toLowerCase() !== 'on') {
    return `the target session reported standard_conforming_strings=${value}; Airlock cannot check SQL read that way, so the session was closed`;
  }
  if (name === 'client_encoding') return encodingProblem(value);
  return undefined;
}

/** `unsafeServerSetting` for a ParameterStatus frame from the server. */
export function unsafeReportedSetting(frame: Frame): string | undefined {
  const message = decodeBackend(frame);
  return message.name === 'parameterStatus'
    ? unsafeServerSetting(message.parameter, message.value)
    : undefined;
}

/**
 * For a read-only session (a read scope): a reason when the server reports that new transactions
 * may write again, which only a function calling set_config can do unseen (the gate refuses the
 * statements that say so, src/core/read-only.ts). PostgreSQL reports the setting since version 14.
 */
export function readOnlyLost(frame: Frame): string | undefined {
  const message = decodeBackend(frame);
  if (message.name !== 'parameterStatus') return undefined;
  if (message.parameter.toLowerCase() !== 'default_transaction_read_only') return undefined;
  return message.value.toLowerCase() === 'on'
    ? undefined
    : `the target session reported default_transaction_read_only=${message.value}; a read-scoped session must stay read-only, so it was closed`;
}
