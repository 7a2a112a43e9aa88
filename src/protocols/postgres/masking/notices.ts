/**
 * @module ErrorResponse, NoticeResponse and NotificationResponse rewriting. Content detection runs over
 * every text field. On a connection with column rules, fields that can quote data are masked too:
 * messages raised by code (PL/pgSQL, SQL functions, RAISE: SQLSTATE class P0 or a context naming a
 * function) are replaced whole; data exceptions (class 22) lose their quoted values and detail;
 * constraint errors (class 23) lose their detail ("Key (email)=(...)", "Failing row contains (...)")
 * when the table is masked or not named. And whatever the SQLSTATE, when the statement in flight
 * reads masked data (or Airlock cannot tell which statement it is), every quoted span of the message,
 * detail, hint and context that the client did not type itself becomes `"[masked]"`: PostgreSQL quotes
 * the values it echoes (`unrecognized configuration parameter "<value>"`, `relation "<value>" does not
 * exist`), so the error keeps its SQLSTATE and wording and loses only the value. Context lines that
 * echo input unquoted (`JSON data, line 1: <value>`), multi-line details (parser dumps) and the
 * internal query of dynamic SQL are masked whole; everything after the first ": " of a message,
 * detail, hint or context line (where PostgreSQL puts the input it rejects, unquoted and in any
 * alphabet) is masked unless the client typed it (`maskEchoed`), and unquoted tokens before it that
 * look like values (digits, `@`, dotted names) are masked too. Every other field and the field order are kept. Notification payloads
 * are replaced whole on such connections (content-masked otherwise).
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
import type { ContentMasker } from '../../../masking/content.js';
import { BufferWriter } from '../../../wire/buffer-writer.js';
import { BackendCode, ErrorField } from '../codec/codes.js';
import type { MaskCounts } from './counts.js';

const MASKED_MESSAGE = '[message masked by airlock: it may quote masked values]';
const MASKED_DETAIL = '[detail masked by airlock: it may quote masked values]';
const MASKED_PAYLOAD = '[payload masked by airlock: it may carry masked values]';
const MASKED_QUERY = '[internal query masked by airlock: it may quote masked values]';
const MASKED_QUOTE = '"[masked]"';
const MASKED_TAIL = '[masked]';

/** Fields whose text may carry data. */
const TEXT_FIELDS = new Set<number>([
  ErrorField.Message,
  ErrorField.Detail,
  ErrorField.Hint,
  ErrorField.Where,
  ErrorField.InternalQuery,
]);

export interface NoticeContext {
  readonly content: ContentMasker | undefined;
  readonly counts: MaskCounts;
  /** Column rules exist: apply the data-field rules above. */
  readonly masksColumns: boolean;
  /** True when a relation name is masked or reads masked data. */
  readonly isSensitiveTable: (name: string) => boolean;
}

/** The statement an error or notice answers, as far as the session knows it. */
export interface InFlight {
  /** The statement reads masked data (or may: unknown cursors, prepared statements). */
  readonly touches: boolean;
  /** The text the client sent: quoted spans found in it are the client's own, not data. */
  readonly text: string;
}

const writer = new BufferWriter(4096);

/**
 * The rewritten message (same tag), or undefined when nothing changed. `inflight`: the statement it
 * answers; undefined when unknown, which masks as if it read masked data.
 */
export function rewriteNotice(
  code: number,
  fields: ReadonlyMap<number, string>,
  ctx: NoticeContext,
  inflight?: InFlight,
): Buffer | undefined {
  const sqlstate = fields.get(ErrorField.Code) ?? '';
  const where = fields.get(ErrorField.Where) ?? '';
  const table = fields.get(ErrorField.Table);
  const raisedByCode = sqlstate.startsWith('P0') || /PL\/pgSQL|SQL function/.test(where);
  const out = new Map(fields);
  let changed = false;
  const set = (type: number, value: string) => {
    if (out.get(type) === value) return;
    out.set(type, value);
    changed = true;
  };
  const update = (type: number, f: (value: string) => string) => {
    const value = out.get(type);
    if (value !== undefined) set(type, f(value));
  };
  if (ctx.masksColumns) {
    // Text the client typed is left readable only in answers to statements that read no masked data.
    // For one that does, the exemption would be an oracle: a statement listing every possible chunk
    // of a value (in a comment, literals or aliases) gets back, unmasked, the chunk an error echoed.
    const typed = inflight?.touches ? undefined : inflight?.text;
    if (raisedByCode) {
      if (out.has(ErrorField.Message)) set(ErrorField.Message, MASKED_MESSAGE);
      if (out.has(ErrorField.Detail)) set(ErrorField.Detail, MASKED_DETAIL);
      if (out.has(ErrorField.Hint)) set(ErrorField.Hint, MASKED_DETAIL);
    } else {
      const dataError = sqlstate.startsWith('22');
      const keyError = sqlstate.startsWith('23') && (table === undefined || ctx.isSensitiveTable(table));
      if (dataError) update(ErrorField.Message, (m) => maskQuoted(m, typed));
      if ((dataError || keyError) && out.has(ErrorField.Detail)) set(ErrorField.Detail, MASKED_DETAIL);
      if (dataError || inflight === undefined || inflight.touches) {
        update(ErrorField.Message, (m) => maskEchoed(m, typed));
        update(ErrorField.Detail, (d) =>
          d.includes('\n') && !isTyped(d, typed) ? MASKED_DETAIL : maskEchoed(d, typed),
        );
        update(ErrorField.Hint, (h) => maskEchoed(h, typed));
        update(ErrorField.Where, (w) => maskContext(w, typed));
        update(ErrorField.InternalQuery, (q) => (isTyped(q, typed) ? q : MASKED_QUERY));
      }
    }
    if (changed) ctx.counts.add('notice', 1);
  }
  if (ctx.content) {
    for (const [type, value] of out) {
      if (!TEXT_FIELDS.has(type)) continue;
      const outcome = ctx.content.mask(value);
      if (!outcome) continue;
      ctx.counts.addEntities(outcome.counts);
      set(type, outcome.text);
    }
  }
  if (!changed) return undefined;
  for (const [type, value] of out) writer.byte(type).cstring(value);
  return writer.byte(0).flush(code);
}

const WORD = /[\p{L}\p{N}_]/u;

/**
 * True when `span` is text the client sent itself (an identifier or literal of its statement, not
 * data from the database): found in the statement as a whole token, not inside a longer word.
 */
function isTyped(span: string, typed: string | undefined): boolean {
  if (typed === undefined || span.length === 0) return false;
  for (let at = typed.indexOf(span); at >= 0; at = typed.indexOf(span, at + 1)) {
    const before = at > 0 ? typed[at - 1]! : ' ';
    const after = at + span.length < typed.length ? typed[at + span.length]! : ' ';
    if (!WORD.test(before) && !WORD.test(after)) return true;
  }
  return false;
}

/**
 * `text` with its double-quoted spans masked, except spans the client typed. Quotes are paired in
 * order; everything from the first masked span's opening quote to the last masked span's closing
 * quote goes, so a value that itself holds quotes (which pairs them wrongly) leaks nothing between.
 * An unpaired quote masks from the first quote to the last.
 */
export function maskQuoted(text: string, typed: string | undefined): string {
  const first = text.indexOf('"');
  if (first < 0) return text;
  const quotes: number[] = [];
  for (let i = first; i >= 0; i = text.indexOf('"', i + 1)) quotes.push(i);
  if (quotes.length === 1) return `${text.slice(0, first)}${MASKED_QUOTE}`;
  if (quotes.length % 2 === 1) {
    return `${text.slice(0, first)}${MASKED_QUOTE}${text.slice(quotes[quotes.length - 1]! + 1)}`;
  }
  let from = -1;
  let to = -1;
  for (let i = 0; i < quotes.length; i += 2) {
    const open = quotes[i]!;
    const close = quotes[i + 1]!;
    if (isTyped(text.slice(open + 1, close), typed)) continue;
    if (from < 0) from = open;
    to = close;
  }
  if (from < 0) return text;
  return `${text.slice(0, from)}${MASKED_QUOTE}${text.slice(to + 1)}`;
}

/** Trailing punctuation of a sentence, and a leading parenthesis, around a token. */
const TOKEN_EDGES = /^\(+|[.,;:!?)]+$/g;

/**
 * `text` with its quoted spans masked (`maskQuoted`) and then every unquoted token that may be a value:
 * one holding a digit, an `@`, a `\` or a `.` inside it, unless the client typed it.
 * PostgreSQL also echoes values without quotes (`date field value out of range: 123456789-13-01`,
 * `requested character too large for encoding: 124570901`, `percentile value 123 is not between 0
 * and 1`, `improper qualified name (too many dotted names): a.b.c.d`); its own wording is words.
 */
export function maskValues(text: string, typed: string | undefined): string {
  return maskQuoted(text, typed).replace(/\S+/g, (token) => {
    if (token.includes(MASKED_QUOTE))
      return /\d/.test(token.replaceAll(MASKED_QUOTE, '')) ? MASKED_TAIL : token;
    const core = token.replace(TOKEN_EDGES, '');
    if (!/[\d@\\.]/.test(core) || isTyped(core, typed)) return token;
    return MASKED_TAIL;
  });
}

/**
 * `text` masked by its structure rather than by what its characters look like: PostgreSQL's messages
 * put the offending input after the first ": " outside quotes (`operator does not exist: <input>`,
 * `improper relation name (too many dotted names): <input>`, `cross-database references are not
 * implemented: <input>`, `JSON data, line 1: <input>`), unquoted and in any alphabet, so everything
 * there is masked unless the client typed it verbatim (or it is one quoted span, masked by
 * `maskQuoted`). What comes before keeps the template wording and goes through `maskValues`.
 */
export function maskEchoed(
  text: string,
  typed: string | undefined,
  maskHead: (text: string, typed: string | undefined) => string = maskValues,
): string {
  const colon = firstColonOutsideQuotes(text);
  if (colon < 0) return maskHead(text, typed);
  const head = maskHead(text.slice(0, colon), typed);
  const tail = text.slice(colon + 2);
  if (isTyped(tail, typed)) return `${head}: ${tail}`;
  const quoted = maskQuoted(tail, typed);
  return `${head}: ${/^"[^"]*"$/.test(quoted) ? quoted : MASKED_TAIL}`;
}

/** Index of the first ": " not inside a double-quoted span, or -1 (an unpaired quote ends the search). */
function firstColonOutsideQuotes(text: string): number {
  let quoted = false;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === ':' && text[i + 1] === ' ') return i;
  }
  return -1;
}

/**
 * A context (Where) field, line by line, each as `maskEchoed` masks a message, except that a line's
 * head loses only its quoted spans (its numbers are line numbers: `PL/pgSQL function f() line 3`).
 */
function maskContext(where: string, typed: string | undefined): string {
  return where
    .split('\n')
    .map((line) => maskEchoed(line, typed, maskQuoted))
    .join('\n');
}

/**
 * NotificationResponse with its payload masked, or undefined when unchanged. On a connection with
 * column rules the payload is replaced whole: it is text some session or trigger built (an existing
 * trigger may send `row_to_json(NEW)` of a masked table), and no column rule can be applied to it.
 * Otherwise content detection runs over it. The channel and the sender's process id are kept.
 */
export function rewriteNotification(
  processId: number,
  channel: string,
  payload: string,
  ctx: NoticeContext,
): Buffer | undefined {
  if (ctx.masksColumns && payload !== '') {
    ctx.counts.add('notification', 1);
    return writer
      .int32(processId)
      .cstring(channel)
      .cstring(MASKED_PAYLOAD)
      .flush(BackendCode.NotificationResponse);
  }
  const outcome = ctx.content?.mask(payload);
  if (!outcome) return undefined;
  ctx.counts.addEntities(outcome.counts);
  return writer
    .int32(processId)
    .cstring(channel)
    .cstring(outcome.text)
    .flush(BackendCode.NotificationResponse);
}
