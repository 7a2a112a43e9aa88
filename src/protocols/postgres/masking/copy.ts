/**
 * @module CopyData rewriting for `COPY relation [(columns)] TO STDOUT` in text or CSV format with
 * default delimiters (the analysis refuses other options and binary format on masked data). The
 * server sends one row per CopyData message; each field is decoded, masked and encoded again.
 * @see https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9
 */
import { AirlockError } from '../../../core/errors.js';
import { applyStrategy } from '../../../masking/strategies.js';
import { BufferWriter } from '../../../wire/buffer-writer.js';
import { BackendCode } from '../codec/codes.js';
import type { StatementShape } from './analysis.js';
import type { CatalogSnapshot } from './catalog.js';
import type { ColumnAction, ValueContext } from './rows.js';
import { redactValue } from './values.js';

/** How one COPY result is rewritten. */
export interface CopyPlan {
  readonly format: 'text' | 'csv';
  readonly header: boolean;
  /** Per column; undefined = columns unknown (content detection only, per field). */
  readonly actions: readonly ColumnAction[] | undefined;
  /** Rows seen so far (the first is the header when `header`). */
  rows: number;
}

const writer = new BufferWriter(64 * 1024);

function unescapeText(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) =>
    c === 't'
      ? '\t'
      : c === 'n'
        ? '\n'
        : c === 'r'
          ? '\r'
          : c === 'b'
            ? '\b'
            : c === 'f'
              ? '\f'
              : c === 'v'
                ? '\v'
                : c,
  );
}

function escapeText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function splitCsv(line: string): (string | null)[] {
  const out: (string | null)[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length)
          throw new AirlockError('ERR_MASKING_FAILED', 'unterminated CSV quote in COPY data');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      out.push(value);
    } else {
      const end = line.indexOf(',', i);
      const raw = end === -1 ? line.slice(i) : line.slice(i, end);
      out.push(raw === '' ? null : raw);
      i = end === -1 ? line.length : end;
    }
    if (i >= line.length) break;
    if (line[i] !== ',')
      throw new AirlockError('ERR_MASKING_FAILED', 'unexpected character in CSV COPY data');
    i++;
    if (i === line.length) {
      out.push(null);
      break;
    }
  }
  return out;
}

function quoteCsv(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** One CopyData body masked; undefined when unchanged. */
export function rewriteCopyData(data: Buffer, plan: CopyPlan, ctx: ValueContext): Buffer | undefined {
  const row = plan.rows++;
  const text = data.toString('utf8');
  const newline = text.endsWith('\r\n') ? '\r\n' : text.endsWith('\n') ? '\n' : '';
  const line = text.slice(0, text.length - newline.length);
  const fields = plan.format === 'csv' ? splitCsv(line) : line.split('\t').map(unescapeText);
  if (plan.actions && fields.length !== plan.actions.length) {
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      `COPY row has ${fields.length} fields, expected ${plan.actions.length}`,
    );
  }
  const isHeader = plan.header && row === 0;
  let changed = false;
  const masked = fields.map((value, i) => {
    if (value === null || isHeader) return value;
    const action = plan.actions?.[i];
    if (action?.kind === 'strategy') {
      changed = true;
      ctx.counts.add(action.label, 1);
      return applyStrategy(action.strategy, value, ctx.hashKey);
    }
    if (action?.kind === 'derived') {
      changed = true;
      ctx.counts.add('derived', 1);
      return redactValue(ctx.hashKey).toString('utf8');
    }
    const outcome = ctx.content?.mask(value);
    if (!outcome) return value;
    changed = true;
    ctx.counts.addEntities(outcome.counts);
    return outcome.text;
  });
  if (!changed) return undefined;
  const body =
    plan.format === 'csv'
      ? masked.map((v) => (v === null ? '' : quoteCsv(v))).join(',')
      : masked.map((v) => (v === null ? '\\N' : escapeText(v))).join('\t');
  return writer.string(body + newline).flush(BackendCode.CopyData);
}

/** Column actions of `COPY relation [(columns)]` from the snapshot (by name; any schema when unqualified). */
export function copyActions(shape: StatementShape, snapshot: CatalogSnapshot): ColumnAction[] | undefined {
  const copy = shape.copy!;
  const relations = [...snapshot.masked.values()].filter(
    (r) => r.table === copy.table && (copy.schema === undefined || r.schema === copy.schema),
  );
  if (relations.length === 0) return undefined;
  const names = copy.columns ?? relations[0]!.attributes.map((a) => a.name);
  return names.map((name): ColumnAction => {
    for (const r of relations) {
      for (const column of r.columns.values()) {
        if (column.name === name)
          return { kind: 'strategy', strategy: column.strategy, label: `${r.table}.${name}` };
      }
    }
    return { kind: 'pass' };
  });
}
