/**
 * @module Run-time settings a statement changes (SET, RESET, set_config, ALTER ... SET). Each name
 * lands in the `settings` fact; role changes set `setsRole`. Two settings change how PostgreSQL reads
 * the *next* statements, and the classifier (which reads them as PostgreSQL does by default) would
 * then see different statements than the server runs:
 * - `standard_conforming_strings = off` makes `\'` inside '...' an escaped quote, so text the
 *   classifier reads as a string literal can end a statement on the server.
 * - a client encoding such as SJIS or BIG5, where the second byte of a character can be `\` or `'`.
 * Setting either to a known bad value fails closed; to a value only known at run time, `dynamicSql`.
 * @see https://www.postgresql.org/docs/current/runtime-config-compatible.html#GUC-STANDARD-CONFORMING-STRINGS
 */
import { type AstObject, listOf, nodeOf, parseBool, str } from './ast.js';
import type { Draft } from './draft.js';
import { unclassifiable } from './fail.js';

/** What a statement sets a setting to. */
export type SettingValue =
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'default' }
  | { readonly kind: 'unknown' };

const DEFAULT: SettingValue = { kind: 'default' };
const UNKNOWN: SettingValue = { kind: 'unknown' };

/** Settings that change the role the session acts as. */
const ROLE_SETTINGS: ReadonlySet<string> = new Set(['role', 'session_authorization']);

/**
 * PostgreSQL client encodings (and their aliases, as `clean_encoding_name` spells them) in which a
 * multibyte character can end in an ASCII byte such as `\` or `'`.
 */
const SPLIT_BYTE_ENCODINGS: ReadonlySet<string> = new Set([
  'big5',
  'gb18030',
  'gbk',
  'johab',
  'mskanji',
  'shiftjis',
  'shiftjis2004',
  'sjis',
  'uhc',
  'win932',
  'win936',
  'win949',
  'win950',
  'windows932',
  'windows936',
  'windows949',
  'windows950',
  'cp932',
  'cp936',
  'cp949',
  'cp950',
]);

/** Records one setting change on `draft`; fails closed for values that would change how SQL is read. */
export function noteSetting(draft: Draft, rawName: string, value: SettingValue): void {
  const name = rawName.toLowerCase();
  draft.settings.add(name);
  if (ROLE_SETTINGS.has(name)) draft.flags.setsRole = true;
  if (name === 'standard_conforming_strings') {
    if (value.kind === 'unknown') draft.flags.dynamicSql = true;
    else if (value.kind === 'value' && parseBool(value.text) !== true) {
      unclassifiable(
        'standard_conforming_strings can only be on: with it off, PostgreSQL would read later statements ' +
          'differently from the guardrail',
      );
    }
  }
  if (name === 'client_encoding') {
    if (value.kind === 'unknown') draft.flags.dynamicSql = true;
    else if (
      value.kind === 'value' &&
      SPLIT_BYTE_ENCODINGS.has(value.text.toLowerCase().replace(/[^a-z0-9]/g, ''))
    ) {
      unclassifiable(
        `client_encoding ${value.text} is refused: in it, bytes of one character can read as quotes or ` +
          'backslashes, so PostgreSQL would read later statements differently from the guardrail; use UTF8',
      );
    }
  }
  if (
    (name === 'default_transaction_read_only' || name === 'transaction_read_only') &&
    value.kind === 'value'
  ) {
    const readOnly = parseBool(value.text);
    if (readOnly !== undefined) draft.extra.readWrite = !readOnly;
  }
}

/** The text of a constant SET argument (`'x'`, `5`, `off`), or undefined for anything computed. */
function constantText(node: unknown): string | undefined {
  const c = nodeOf(node, 'A_Const');
  if (!c) return undefined;
  if (c.isnull === true) return undefined;
  const sval = nodeOf(c, 'sval');
  if (sval) return str(sval, 'sval') ?? '';
  const ival = nodeOf(c, 'ival');
  if (ival) return String(ival.ival ?? 0);
  const fval = nodeOf(c, 'fval');
  if (fval) return str(fval, 'fval') ?? '0';
  const boolval = nodeOf(c, 'boolval');
  if (boolval) return boolval.boolval === true ? 'true' : 'false';
  return undefined;
}

/**
 * Records what a VariableSetStmt body changes (SET, RESET, SET TRANSACTION..., and the `SET` part
 * of ALTER ROLE/DATABASE/SYSTEM/FUNCTION).
 */
export function noteSetStatement(draft: Draft, body: AstObject): void {
  const kind = str(body, 'kind');
  const name = str(body, 'name') ?? '';
  switch (kind) {
    case 'VAR_RESET_ALL':
      draft.settings.add('all');
      return;
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
    case 'VAR_SET_CURRENT':
      noteSetting(draft, name, DEFAULT);
      return;
    case 'VAR_SET_VALUE': {
      const args = listOf(body.args);
      const texts = args.map(constantText);
      const value: SettingValue = texts.every((t) => t !== undefined)
        ? { kind: 'value', text: texts.join(',') }
        : UNKNOWN;
      noteSetting(draft, name, value);
      return;
    }
    case 'VAR_SET_MULTI':
      noteTransactionModes(draft, name, listOf(body.args));
      return;
    default:
      unclassifiable(`unknown SET form ${kind ?? '(none)'}`);
  }
}

/** SET TRANSACTION / SET SESSION CHARACTERISTICS AS TRANSACTION / SET TRANSACTION SNAPSHOT. */
function noteTransactionModes(draft: Draft, name: string, args: readonly unknown[]): void {
  if (name === 'TRANSACTION SNAPSHOT') {
    draft.settings.add('transaction_snapshot');
    return;
  }
  const prefix = name === 'SESSION CHARACTERISTICS' ? 'default_' : '';
  if (prefix === '' && name !== 'TRANSACTION') unclassifiable(`unknown SET ${name}`);
  for (const arg of args) {
    const def = nodeOf(arg, 'DefElem');
    const defname = str(def, 'defname');
    if (!def || defname === undefined) continue;
    draft.settings.add(prefix + defname);
    if (defname === 'transaction_read_only') noteReadOnlyMode(draft, def);
  }
}

/** BEGIN/SET TRANSACTION READ WRITE or READ ONLY (`transaction_read_only` 0 or 1). */
export function noteReadOnlyMode(draft: Draft, defElem: AstObject): void {
  const c = nodeOf(defElem.arg, 'A_Const');
  const readOnly = nodeOf(c, 'ival')?.ival === 1;
  draft.extra.readWrite = !readOnly;
}
