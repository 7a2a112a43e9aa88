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
import { type FieldDescription, Frame } from '../codec/messages.js';
import type { StatementShape } from './analysis.js';
import { maskBinaryValue, needsBinaryWalk } from './binary.js';
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
  /** What each DataRow value gets (`OP_*`), decided once here instead of per value. */
  readonly ops: Uint8Array;
}

/** A value passed on as is (no rule, and not text content detection can read). */
const OP_COPY = 0;
/** Text for content detection. */
const OP_CONTENT = 1;
/** Binary jsonb: a version byte, then text for content detection. */
const OP_CONTENT_JSONB = 2;
const OP_STRATEGY = 3;
const OP_DERIVED = 4;
/** Binary array, record or unknown type: walked for text elements (`binary.ts`). */
const OP_NESTED = 5;

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
  const ops = new Uint8Array(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const kind = actions[i]!.kind;
    const format = formats[i] ?? 0;
    const typeOid = typeOids[i]!;
    if (kind === 'strategy') ops[i] = OP_STRATEGY;
    else if (kind === 'derived') ops[i] = OP_DERIVED;
    else if (detects && isReadableText(typeOid, format))
      ops[i] = typeOid === JSONB_OID && format === 1 ? OP_CONTENT_JSONB : OP_CONTENT;
    else if (detects && format === 1 && needsBinaryWalk(typeOid)) ops[i] = OP_NESTED;
    else ops[i] = OP_COPY;
  }
  return {
    actions,
    typeOids,
    formats,
    idle: !detects && actions.every((a) => a.kind === 'pass'),
    ops,
  };
}

const JSONB_OID = 3802;

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

/**
 * The DataRow in `buffer[bodyStart, end)` (its body) with values masked per plan; undefined when
 * nothing changed. Read in place: unchanged values are copied byte for byte into the new message,
 * nothing is decoded or converted to a string unless a rule or a detector needs it.
 */
export function rewriteDataRow(
  buffer: Buffer,
  bodyStart: number,
  end: number,
  plan: RowPlan,
  ctx: ValueContext,
): Buffer | undefined {
  const ops = plan.ops;
  if (bodyStart + 2 > end) throw malformed('no column count');
  const n = buffer.readInt16BE(bodyStart);
  if (n !== ops.length) {
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      `DataRow has ${n} columns, its RowDescription ${ops.length}`,
    );
  }
  // Nothing is written until the first value that changes: a row that keeps every value (content
  // detection found nothing) costs the walk alone. Then the bytes before it are copied in one go.
  const out = rows;
  let started = false;
  let pos = bodyStart + 2;
  try {
    for (let i = 0; i < n; i++) {
      if (pos + 4 > end) throw malformed('a value length past the end');
      const header = pos;
      const length =
        (buffer[pos]! << 24) | (buffer[pos + 1]! << 16) | (buffer[pos + 2]! << 8) | buffer[pos + 3]!;
      pos += 4;
      if (length === -1) {
        if (started) out.int32(-1);
        continue;
      }
      const stop = pos + length;
      if (length < 0 || stop > end) throw malformed(`a value length of ${length}`);
      switch (ops[i]) {
        case OP_STRATEGY: {
          if (!started) started = out.startWith(buffer, bodyStart, header, end - bodyStart);
          const action = plan.actions[i] as Extract<ColumnAction, { kind: 'strategy' }>;
          writeMasked(out, action.strategy, buffer, pos, stop, plan.typeOids[i]!, plan.formats[i] ?? 0, ctx);
          ctx.counts.add(action.label, 1);
          break;
        }
        case OP_DERIVED:
          if (!started) started = out.startWith(buffer, bodyStart, header, end - bodyStart);
          out.value(redactValue(ctx.hashKey));
          ctx.counts.add('derived', 1);
          break;
        case OP_CONTENT:
        case OP_CONTENT_JSONB: {
          const jsonb = ops[i] === OP_CONTENT_JSONB;
          const outcome =
            jsonb && length === 0 ? undefined : ctx.content?.maskBytes(buffer, jsonb ? pos + 1 : pos, stop);
          if (outcome) {
            if (!started) started = out.startWith(buffer, bodyStart, header, end - bodyStart);
            ctx.counts.addEntities(outcome.counts);
            out.text(outcome.text, jsonb ? buffer[pos]! : -1);
          } else if (started) out.copy(buffer, pos, stop);
          break;
        }
        case OP_NESTED: {
          const masked = maskBinaryValue(buffer, pos, stop, plan.typeOids[i]!, ctx);
          if (masked) {
            if (!started) started = out.startWith(buffer, bodyStart, header, end - bodyStart);
            out.value(masked);
          } else if (started) out.copy(buffer, pos, stop);
          break;
        }
        default:
          if (started) out.copy(buffer, pos, stop);
      }
      pos = stop;
    }
    if (pos !== end) throw malformed('bytes after the last value');
  } catch (err) {
    if (started) out.discard();
    throw err;
  }
  return started ? out.finish(BackendCode.DataRow) : undefined;
}

function malformed(what: string): AirlockError {
  return new AirlockError('ERR_MASKING_FAILED', `a malformed DataRow (${what}) was not sent`);
}

/** A strategy's replacement, written in place where the value allows (redact; partial of ASCII text). */
function writeMasked(
  out: RowWriter,
  strategy: Strategy,
  buffer: Buffer,
  start: number,
  end: number,
  typeOid: number,
  format: number,
  ctx: ValueContext,
): void {
  if (strategy.kind === 'redact') {
    out.value(redactValue(ctx.hashKey));
    return;
  }
  if (strategy.kind === 'partial' && format === 0 && isAscii(buffer, start, end)) {
    // applyStrategy's partial on ASCII: one character per byte, so the same text without decoding.
    const length = end - start;
    const kept = Math.min(strategy.keep, Math.floor(length / 2));
    out.partial(buffer, start, end, kept);
    return;
  }
  out.value(maskColumnValue(strategy, buffer.subarray(start, end), typeOid, format, ctx.hashKey));
}

function isAscii(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buffer[i]! >= 0x80) return false;
  return true;
}

/** Below this many bytes a loop beats `Buffer#copy`, whose fixed cost dominates column values. */
const LOOP_COPY_MAX = 96;

/** `writeInt32BE` without its argument checks (offsets here are always in range). */
function putInt32(target: Buffer, at: number, v: number): void {
  target[at] = v >>> 24;
  target[at + 1] = v >>> 16;
  target[at + 2] = v >>> 8;
  target[at + 3] = v;
}

function copyBytes(source: Buffer, start: number, end: number, target: Buffer, at: number): void {
  if (end - start > LOOP_COPY_MAX) {
    source.copy(target, at, start, end);
    return;
  }
  for (let i = start; i < end; i++) target[at++] = source[i]!;
}

/**
 * Builds one DataRow at a time in a slab, like `BufferWriter`, with in-place copies of value ranges
 * (no view per value). A finished row is a view of the slab that is never written again: when the
 * slab is full a new one starts, so a row held by `socket.write` stays intact.
 */
class RowWriter {
  static readonly SLAB = 64 * 1024;
  #slab = Buffer.allocUnsafe(RowWriter.SLAB);
  #start = 0;
  #pos = 0;
  /** The last row finished and where it starts in the slab (the relay frames it right away). */
  #lastRow: Buffer | undefined;
  #lastSlab = this.#slab;
  #lastStart = 0;

  /** Starts a row with the original body's bytes `source[start, end)`; `hint`: the body's size. */
  startWith(source: Buffer, start: number, end: number, hint: number): true {
    this.#pos = this.#start + 5;
    this.#ensure(hint);
    copyBytes(source, start, end, this.#slab, this.#pos);
    this.#pos += end - start;
    return true;
  }

  int32(v: number): void {
    this.#ensure(4);
    putInt32(this.#slab, this.#pos, v);
    this.#pos += 4;
  }

  /** A value copied from `source[start, end)`, with its length. */
  copy(source: Buffer, start: number, end: number): void {
    this.#ensure(4 + end - start);
    putInt32(this.#slab, this.#pos, end - start);
    copyBytes(source, start, end, this.#slab, this.#pos + 4);
    this.#pos += 4 + end - start;
  }

  /** A value, with its length. */
  value(bytes: Buffer): void {
    this.copy(bytes, 0, bytes.length);
  }

  /** A text value, after a prefix byte when `prefix` >= 0 (binary jsonb's version). */
  text(text: string, prefix: number): void {
    const bytes = Buffer.byteLength(text, 'utf8');
    const head = prefix >= 0 ? 1 : 0;
    this.#ensure(4 + head + bytes);
    this.#slab.writeInt32BE(head + bytes, this.#pos);
    if (head) this.#slab[this.#pos + 4] = prefix;
    this.#slab.write(text, this.#pos + 4 + head, bytes, 'utf8');
    this.#pos += 4 + head + bytes;
  }

  /** `*` for each byte of `source[start, end)` but the last `kept`, which are copied. */
  partial(source: Buffer, start: number, end: number, kept: number): void {
    const length = end - start;
    this.#ensure(4 + length);
    const at = this.#pos + 4;
    putInt32(this.#slab, this.#pos, length);
    const slab = this.#slab;
    for (let i = at; i < at + length - kept; i++) slab[i] = 0x2a;
    copyBytes(source, end - kept, end, slab, at + length - kept);
    this.#pos = at + length;
  }

  /** The finished row (a view of the slab no later row overwrites). */
  finish(code: number): Buffer {
    const slab = this.#slab;
    slab[this.#start] = code;
    slab.writeInt32BE(this.#pos - this.#start - 1, this.#start + 1);
    const row = slab.subarray(this.#start, this.#pos);
    this.#lastRow = row;
    this.#lastSlab = slab;
    this.#lastStart = this.#start;
    this.#start = this.#pos;
    return row;
  }

  /** The slab of the last row finished. */
  get lastSlab(): Buffer {
    return this.#lastSlab;
  }

  /** Where `bytes` starts in the current slab when it is the last row finished, else -1. */
  offsetOf(bytes: Buffer): number {
    return bytes === this.#lastRow ? this.#lastStart : -1;
  }

  /** Drops the row being built. */
  discard(): void {
    this.#pos = this.#start;
  }

  #ensure(count: number): void {
    if (this.#pos + count <= this.#slab.length) return;
    const used = this.#pos - this.#start;
    let size = RowWriter.SLAB;
    while (size < used + count) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#slab.copy(next, 0, this.#start, this.#pos);
    this.#slab = next;
    this.#start = 0;
    this.#pos = used;
  }
}

const rows = new RowWriter();

const outgoing = new Frame();

/**
 * A stable frame over rewritten bytes, for the relay's outbox. A DataRow built here is framed over
 * the writer's slab itself, so consecutive rewritten rows (adjacent in the slab) merge into one span
 * and a chunk of masked rows leaves in one write, not one write per row. The frame object is reused:
 * the outbox keeps only its buffer and offsets.
 */
export function outgoingFrame(bytes: Buffer): Frame {
  const offset = rows.offsetOf(bytes);
  const frame = outgoing;
  frame.buffer = offset >= 0 ? rows.lastSlab : bytes;
  frame.start = offset >= 0 ? offset : 0;
  frame.end = frame.start + bytes.length;
  frame.bodyStart = frame.start + 5;
  frame.code = bytes[0]!;
  frame.stable = true;
  return frame;
}
