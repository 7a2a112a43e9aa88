/**
 * @module ErrorResponse, NoticeResponse and NotificationResponse rewriting. Content detection runs over
 * every text field. On a connection with column rules, fields that can quote data are masked too:
 * messages raised by code (PL/pgSQL, SQL functions, RAISE: SQLSTATE class P0 or a context naming a
 * function) are replaced whole; data exceptions (class 22) lose their quoted values; constraint
 * errors (class 23) lose their detail ("Key (email)=(...)", "Failing row contains (...)") when the
 * table is masked or not named. Every other field and the field order are kept.
 * @see https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
import type { ContentMasker } from '../../../masking/content.js';
import { BufferWriter } from '../../../wire/buffer-writer.js';
import { BackendCode, ErrorField } from '../codec/codes.js';
import type { MaskCounts } from './counts.js';

const MASKED_MESSAGE = '[message masked by airlock: it may quote masked values]';
const MASKED_DETAIL = '[detail masked by airlock: it may quote masked values]';
const MASKED_QUOTE = '"[masked]"';

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

const writer = new BufferWriter(4096);

/** The rewritten message (same tag), or undefined when nothing changed. */
export function rewriteNotice(
  code: number,
  fields: ReadonlyMap<number, string>,
  ctx: NoticeContext,
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
  if (ctx.masksColumns) {
    if (raisedByCode) {
      if (out.has(ErrorField.Message)) set(ErrorField.Message, MASKED_MESSAGE);
      if (out.has(ErrorField.Detail)) set(ErrorField.Detail, MASKED_DETAIL);
      if (out.has(ErrorField.Hint)) set(ErrorField.Hint, MASKED_DETAIL);
      ctx.counts.add('notice', 1);
    } else if (sqlstate.startsWith('22')) {
      const message = out.get(ErrorField.Message);
      if (message !== undefined) set(ErrorField.Message, message.replace(/"(?:[^"]|"")*"/g, MASKED_QUOTE));
      if (out.has(ErrorField.Detail)) set(ErrorField.Detail, MASKED_DETAIL);
      if (changed) ctx.counts.add('notice', 1);
    } else if (
      sqlstate.startsWith('23') &&
      out.has(ErrorField.Detail) &&
      (table === undefined || ctx.isSensitiveTable(table))
    ) {
      set(ErrorField.Detail, MASKED_DETAIL);
      ctx.counts.add('notice', 1);
    }
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

/** NotificationResponse with its payload content-masked, or undefined when unchanged. */
export function rewriteNotification(
  processId: number,
  channel: string,
  payload: string,
  ctx: NoticeContext,
): Buffer | undefined {
  const outcome = ctx.content?.mask(payload);
  if (!outcome) return undefined;
  ctx.counts.addEntities(outcome.counts);
  return writer
    .int32(processId)
    .cstring(channel)
    .cstring(outcome.text)
    .flush(BackendCode.NotificationResponse);
}
