/**
 * @module Row shapes: which column of a result is masked how, decided once per RowDescription, and
 * the rewriting of RowDescription (masked columns re-typed to text so clients decode the masked
 * value) and DataRow (values replaced, lengths and counts rebuilt).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION
 */
import { AirlockError } from '../../../core/errors.js';
import type { ContentMasker } from '../../../masking/content.js';
import type { Strategy } from '../../../masking/strategies.js';
import { BufferWriter } from '../../../wire/buffer-writer.js';
import { BackendCode } from '../codec/codes.js';
import type { FieldDescription } from '../codec/messages.js';
import type { StatementShape } from './analysis.js';
import type { CatalogSnapshot } from './catalog.js';
import type { MaskCounts } from './counts.js';
import { isReadableText, maskColumnValue, redactValue, TEXT_OID } from './values.js';

/** What happens to one output column. */
export type ColumnAction =
  | { readonly kind: 'pass' }
  | { readonly kind: 'strategy'; readonly strategy: Strategy; readonly label: string }
  | { readonly kind: 'derived' };

/** One result's plan: an action and the type/format per column. */
export interface RowPlan {
  readonly actions: readonly ColumnAction[];
  readonly typeOids: readonly number[];
  /** Format per column (0 text, 1 binary). */
  readonly formats: readonly number[];
  /** Nothing to do for any value (no masked column, no content detection). */
  readonly idle: boolean;
}

const PASS: ColumnAction = { kind: 'pass' };
const DERIVED: ColumnAction = { kind: 'derived' };

/** Decides each column from its origin (table OID + attribute number) and the statement's shape. */
export function planColumns(
  fields: readonly FieldDescription[],
  shape: StatementShape | undefined,
  snapshot: CatalogSnapshot,
): ColumnAction[] {
  const touches = shape?.touches ?? true;
  const clean = shape?.cleanOutputs?.length === fields.length ? shape.cleanOutputs : undefined;
  return fields.map((field, i) => {
    if (shape?.allDerived) return DERIVED;
    if (field.tableOid !== 0) {
      const relation = snapshot.masked.get(field.tableOid);
      if (relation) {
        if (field.columnAttribute === 0) return DERIVED; // the whole row
        const column = relation.columns.get(field.columnAttribute);
        return column
          ? { kind: 'strategy', strategy: column.strategy, label: `${relation.table}.${column.name}` }
          : PASS;
      }
      if (snapshot.tainted.has(field.tableOid)) return DERIVED;
      return PASS;
    }
    if (!touches) return PASS;
    return clean?.[i] ? PASS : DERIVED;
  });
}

/** A plan for actions with the formats in force (RowDescription's, or the Bind's result formats). */
export function makePlan(
  actions: readonly ColumnAction[],
  typeOids: readonly number[],
  formats: readonly number[],
  detects: boolean,
): RowPlan {
  return {
    actions,
    typeOids,
    formats,
    idle: !detects && actions.every((a) => a.kind === 'pass'),
  };
}

/** Result formats of a Bind for n columns: none = text, one = all, else one each. */
export function bindFormats(codes: readonly number[], n: number): number[] {
  if (codes.length === 0) return new Array<number>(n).fill(0);
  if (codes.length === 1) return new Array<number>(n).fill(codes[0]!);
  if (codes.length !== n)
    throw new AirlockError('ERR_MASKING_FAILED', 'result format count does not match the row shape');
  return [...codes];
}

const writer = new BufferWriter(64 * 1024);

/** RowDescription with masked columns re-typed to text; undefined when nothing changes. */
export function rewriteRowDescription(
  fields: readonly FieldDescription[],
  actions: readonly ColumnAction[],
): Buffer | undefined {
  let changed = false;
  for (let i = 0; i < fields.length; i++) {
    if (actions[i]!.kind !== 'pass' && fields[i]!.typeOid !== TEXT_OID) changed = true;
  }
  if (!changed) return undefined;
  writer.int16(fields.length);
  fields.forEach((f, i) => {
    const retype = actions[i]!.kind !== 'pass';
    writer
      .cstring(f.name)
      .int32(f.tableOid | 0)
      .int16(f.columnAttribute)
      .int32(retype ? TEXT_OID : f.typeOid | 0)
      .int16(retype ? -1 : f.typeSize)
      .int32(retype ? -1 : f.typeModifier)
      .int16(f.format);
  });
  return writer.flush(BackendCode.RowDescription);
}

/** Masking context for values. */
export interface ValueContext {
  readonly content: ContentMasker | undefined;
  readonly hashKey: Buffer | undefined;
  readonly counts: MaskCounts;
}

/** DataRow with values masked per plan; undefined when nothing changed. */
export function rewriteDataRow(
  values: readonly (Buffer | null)[],
  plan: RowPlan,
  ctx: ValueContext,
): Buffer | undefined {
  if (values.length !== plan.actions.length) {
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      `DataRow has ${values.length} columns, its RowDescription ${plan.actions.length}`,
    );
  }
  let out: (Buffer | null)[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === null) continue;
    const action = plan.actions[i]!;
    const format = plan.formats[i] ?? 0;
    const typeOid = plan.typeOids[i]!;
    let replaced: Buffer | undefined;
    if (action.kind === 'strategy') {
      replaced = maskColumnValue(action.strategy, value, typeOid, format, ctx.hashKey);
      ctx.counts.add(action.label, 1);
    } else if (action.kind === 'derived') {
      replaced = redactValue(ctx.hashKey);
      ctx.counts.add('derived', 1);
    } else if (ctx.content && isReadableText(typeOid, format)) {
      const text =
        typeOid === 3802 && format === 1 ? value.subarray(1).toString('utf8') : value.toString('utf8');
      const outcome = ctx.content.mask(text);
      if (outcome) {
        ctx.counts.addEntities(outcome.counts);
        const body = Buffer.from(outcome.text, 'utf8');
        replaced = typeOid === 3802 && format === 1 ? Buffer.concat([value.subarray(0, 1), body]) : body;
      }
    }
    if (replaced) {
      out ??= [...values];
      out[i] = replaced;
    }
  }
  if (!out) return undefined;
  writer.int16(out.length);
  for (const value of out) {
    if (value === null) writer.int32(-1);
    else writer.int32(value.length).bytes(value);
  }
  return writer.flush(BackendCode.DataRow);
}
