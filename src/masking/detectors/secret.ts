/**
 * @module SECRET: values that are secret by where they stand rather than by their shape.
 * - Private-key blocks: `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP …
 *   BLOCK) through the matching `-----END …-----` line; a block cut off before its END line is
 *   masked to the end of the text.
 * - Assignments `word = value`, `word: value`, `"word": "value"`, `word => value` after a password
 *   word (`password`, `passwd`, `passphrase`, `pwd`, also as a suffix: `db_password`): any value of 4
 *   or more characters that is not a placeholder (`null`, `********`, `${VAR}`, `<password>`, `?`, `$1`).
 * - The same after a key word (`secret`, `client_secret`, `token`, `access_token`, `api_key`,
 *   `private_key`, `secret_access_key`, `credentials` …) and `Authorization: Bearer|Basic`: only
 *   values of 12 or more characters with Shannon entropy ≥ 3 bits per character, so `token: expired`
 *   or `secret=true` are kept.
 * - The password of a URI: `postgres://user:PASSWORD@host`.
 * - A 40-character AWS secret access key (base64 alphabet, entropy ≥ 4) within 200 characters of an
 *   `AKIA`/`ASIA` access key id.
 * The span is the value only: `password=[SECRET]` keeps the key name readable.
 */
import { shannonEntropy } from './entropy.js';
import type { Detector, SpanSink } from './types.js';

const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;

const PASSWORD_WORDS = 'password|passwd|passphrase|pwd';
const KEY_WORDS =
  'client_secret|secret_access_key|secretaccesskey|secret_key|secret|access_token|auth_token|' +
  'refresh_token|id_token|token|api_key|apikey|api-key|access_key|private_key|credentials?|' +
  'authorization:\\s*(?:bearer|basic)|bearer';
/** Keyword, optional closing quote, separator, optional opening quote; the value is read by hand. */
const ASSIGNMENT = new RegExp(
  `(?<![A-Za-z0-9])(?:(${PASSWORD_WORDS})|(${KEY_WORDS}))["']?(?:\\s{0,8}(=>|[:=])\\s{0,8}|(?<=bearer|basic)\\s{1,8})(["'\`]?)`,
  'gi',
);
const URI_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:@/]{1,128}:([^\s@/]{1,256})@/g;
const AWS_KEY_ID = /(?<![A-Za-z0-9])A(?:KI|SI)A[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

const MAX_VALUE = 512;
const MIN_PASSWORD = 4;
const MIN_KEY_VALUE = 12;
const MIN_KEY_ENTROPY = 3;
const AWS_CONTEXT = 200;

const PLACEHOLDERS = new Set([
  'null',
  'none',
  'nil',
  'true',
  'false',
  'undefined',
  'required',
  'optional',
  'redacted',
  'hidden',
  'empty',
  'string',
  'n/a',
  'password',
  'secret',
  'token',
]);

function isPlaceholder(value: string): boolean {
  if (PLACEHOLDERS.has(value.toLowerCase())) return true;
  const first = value.charCodeAt(0);
  let same = true;
  for (let i = 1; i < value.length && same; i++) same = value.charCodeAt(i) === first;
  if (same) return true; // `********`, `xxxxxxxx`
  // Template and parameter syntax: ${VAR}, {{var}}, <password>, %s, $1, :name, ?
  return /^(?:\$\{[^}]*\}?|\{\{.*|<[^>]*>?|%[sd]|\$\d+|:[A-Za-z_]\w*|\?|\[[A-Z_]+\]?)$/.test(value);
}

/**
 * End of a value starting at `start`: the closing quote when quoted, else the first delimiter. After
 * `=` (query strings, connection strings, env files) `& ; , ) } ] >` end a value too; after `:`
 * (YAML, headers, prose) only whitespace does, so `password: Tr0ub4dor&3` is masked whole.
 */
function valueEnd(text: string, start: number, quote: string, afterEquals: boolean): number {
  const limit = Math.min(text.length, start + MAX_VALUE);
  if (quote !== '') {
    const close = text.indexOf(quote, start);
    return close < 0 || close > limit ? -1 : close;
  }
  let i = start;
  while (i < limit) {
    const c = text.charCodeAt(i);
    // whitespace " ' ` , ; & < > ) } ]
    if (c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x60) break;
    if (afterEquals && (c === 0x2c || c === 0x3b || c === 0x26 || c === 0x29 || c === 0x7d || c === 0x5d))
      break;
    if (afterEquals && (c === 0x3c || c === 0x3e)) break;
    i++;
  }
  return i;
}

function findPem(text: string, sink: SpanSink): void {
  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const footer = `-----END ${m[1]}-----`;
    const endAt = text.indexOf(footer, m.index + m[0].length);
    const end = endAt < 0 ? text.length : endAt + footer.length;
    sink.add(m.index, end, 'SECRET');
    PEM_BEGIN.lastIndex = end;
  }
}

function findAssignments(text: string, sink: SpanSink): void {
  ASSIGNMENT.lastIndex = 0;
  for (let m = ASSIGNMENT.exec(text); m !== null; m = ASSIGNMENT.exec(text)) {
    const start = m.index + m[0].length;
    const end = valueEnd(text, start, m[4] ?? '', m[3] === '=');
    if (end <= start) continue;
    const value = text.slice(start, end);
    const accepted =
      m[1] !== undefined
        ? value.length >= MIN_PASSWORD && !isPlaceholder(value)
        : value.length >= MIN_KEY_VALUE && !isPlaceholder(value) && shannonEntropy(value) >= MIN_KEY_ENTROPY;
    if (accepted) sink.add(start, end, 'SECRET');
    ASSIGNMENT.lastIndex = Math.max(ASSIGNMENT.lastIndex, end);
  }
}

function findUriPasswords(text: string, sink: SpanSink): void {
  URI_PASSWORD.lastIndex = 0;
  for (let m = URI_PASSWORD.exec(text); m !== null; m = URI_PASSWORD.exec(text)) {
    const end = m.index + m[0].length - 1; // before the `@`
    sink.add(end - m[1]!.length, end, 'SECRET');
  }
}

function findAwsSecrets(text: string, sink: SpanSink): void {
  AWS_SECRET.lastIndex = 0;
  for (let m = AWS_SECRET.exec(text); m !== null; m = AWS_SECRET.exec(text)) {
    if (!looksLikeAwsSecret(m[0])) continue;
    const near = text.slice(Math.max(0, m.index - AWS_CONTEXT), m.index + 40 + AWS_CONTEXT);
    AWS_KEY_ID.lastIndex = 0;
    if (AWS_KEY_ID.test(near)) sink.add(m.index, m.index + 40, 'SECRET');
  }
}

function looksLikeAwsSecret(value: string): boolean {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) upper = true;
    else if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (c >= 0x30 && c <= 0x39) digit = true;
  }
  return upper && lower && digit && shannonEntropy(value) >= 4;
}

export const secretDetector: Detector = {
  entity: 'SECRET',
  mayContain: (f) => f.equals > 0 || f.colons > 0 || f.dashes >= 10 || f.keyPrefixes > 0,
  find(text: string, sink: SpanSink): void {
    if (text.includes('-----BEGIN ')) findPem(text, sink);
    if (text.includes('=') || text.includes(':')) findAssignments(text, sink);
    if (text.includes('://')) findUriPasswords(text, sink);
    if (text.includes('KIA') || text.includes('SIA')) findAwsSecrets(text, sink);
  },
};
