/**
 * @module Content detection inside binary-format values that are not text themselves: arrays and
 * records (row values, composite types) carry their elements' type OIDs and lengths, so they are
 * walked in place and each text-like element is checked, at any depth. A value of a type Airlock
 * does not know (user and extension types) is tried as an array, then as a record; when it is
 * neither, detection runs over its raw bytes and a value where anything is found is redacted whole
 * (fail closed: a binary encoding Airlock cannot rebuild is never sent with a finding inside).
 * Nothing is allocated unless a value changes.
 * @see https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 * (array_send / record_send in src/backend/utils/adt/arrayfuncs.c and rowtypes.c)
 */
import type { ContentMasker } from '../../../masking/content.js';
import type { MaskCounts } from './counts.js';
import { isReadableText, redactValue } from './values.js';

const JSONB_OID = 3802;
const RECORD_OID = 2249;
/** PostgreSQL's MAXDIM. */
const MAX_DIMS = 6;
/** Nesting deeper than this is not walked: the value is redacted whole. */
const MAX_DEPTH = 32;

/**
 * Built-in types whose binary form holds no text (numbers, times, addresses, geometry, ranges of
 * those, OIDs of catalog objects). `bytea` is here too: its text format (hex) is not read by
 * detection either, so both formats treat it alike.
 */
const NO_TEXT = new Set([
  16, 17, 20, 21, 23, 24, 26, 27, 28, 29, 600, 601, 602, 603, 604, 628, 650, 700, 701, 718, 774, 790, 829,
  869, 1082, 1083, 1114, 1184, 1186, 1266, 1560, 1562, 1700, 2202, 2203, 2204, 2205, 2206, 2278, 2950, 3220,
  3734, 3769, 3904, 3906, 3908, 3910, 3912, 3926, 4089, 4096, 5069,
]);

/** True when a binary value of this type may hold text detection cannot read as it is. */
export function needsBinaryWalk(typeOid: number): boolean {
  return !NO_TEXT.has(typeOid) && !isReadableText(typeOid, 1);
}

export interface WalkContext {
  readonly content: ContentMasker | undefined;
  readonly counts: MaskCounts;
}

function int32(b: Buffer, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function int32Bytes(v: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeInt32BE(v | 0, 0);
  return out;
}

/** A length-prefixed element: its new bytes, or undefined when unchanged. */
type Element = Buffer | undefined;

/**
 * The binary value `b[start, end)` of type `typeOid` with detected content masked, or undefined when
 * nothing changed. Never throws on malformed input: an unparsable value is checked as raw bytes.
 */
export function maskBinaryValue(
  b: Buffer,
  start: number,
  end: number,
  typeOid: number,
  ctx: WalkContext,
  depth = 0,
): Buffer | undefined {
  const content = ctx.content;
  if (!content) return undefined;
  if (isReadableText(typeOid, 1)) return maskTextElement(b, start, end, typeOid, ctx);
  if (NO_TEXT.has(typeOid)) return undefined;
  if (depth >= MAX_DEPTH) return redactIfFound(b, start, end, ctx, true);
  // Known shapes first; for other types, the structure decides (a walk validates every length).
  if (typeOid !== RECORD_OID) {
    const array = walkArray(b, start, end, ctx, depth);
    if (array !== false) return array;
  }
  const record = walkRecord(b, start, end, ctx, depth);
  if (record !== false) return record;
  return redactIfFound(b, start, end, ctx, false);
}

/** A text-like element (jsonb: a version byte, then text), content-masked. */
function maskTextElement(
  b: Buffer,
  start: number,
  end: number,
  typeOid: number,
  ctx: WalkContext,
): Buffer | undefined {
  const jsonb = typeOid === JSONB_OID;
  if (jsonb && end - start < 1) return undefined;
  const outcome = ctx.content!.maskBytes(b, jsonb ? start + 1 : start, end);
  if (!outcome) return undefined;
  ctx.counts.addEntities(outcome.counts);
  const text = Buffer.from(outcome.text, 'utf8');
  return jsonb ? Buffer.concat([b.subarray(start, start + 1), text]) : text;
}

/** Detection over raw bytes of a value Airlock cannot parse: anything found redacts it whole. */
function redactIfFound(
  b: Buffer,
  start: number,
  end: number,
  ctx: WalkContext,
  always: boolean,
): Buffer | undefined {
  if (!always) {
    // The byte prefilter first (no string for most values); invalid UTF-8 decodes to U+FFFD, and
    // ASCII text inside any binary encoding stays as it is for the detectors.
    const outcome = ctx.content!.maskBytes(b, start, end);
    if (!outcome) return undefined;
    ctx.counts.addEntities(outcome.counts);
  }
  ctx.counts.add('opaque', 1);
  return redactValue(undefined);
}

/**
 * An array: ndim, flags (has nulls), element type, (size, lower bound) per dimension, then each
 * element length-prefixed (-1: null). False when the bytes are not an array.
 */
function walkArray(
  b: Buffer,
  start: number,
  end: number,
  ctx: WalkContext,
  depth: number,
): Buffer | undefined | false {
  if (end - start < 12) return false;
  const ndim = int32(b, start);
  const flags = int32(b, start + 4);
  const elemType = int32(b, start + 8) >>> 0;
  if (ndim < 0 || ndim > MAX_DIMS || (flags !== 0 && flags !== 1)) return false;
  let pos = start + 12;
  if (end - pos < ndim * 8) return false;
  let count = ndim === 0 ? 0 : 1;
  for (let d = 0; d < ndim; d++) {
    const size = int32(b, pos);
    if (size < 0) return false;
    count *= size;
    pos += 8;
  }
  // Each element takes at least its 4-byte length: a larger count cannot fit (and bounds the loop).
  if (count > (end - pos) / 4) return false;
  return walkElements(b, start, pos, end, count, elemType, ctx, depth);
}

/** A record: field count, then per field its type OID and length-prefixed value. False when not one. */
function walkRecord(
  b: Buffer,
  start: number,
  end: number,
  ctx: WalkContext,
  depth: number,
): Buffer | undefined | false {
  if (end - start < 4) return false;
  const count = int32(b, start);
  if (count < 0 || count > (end - start - 4) / 8) return false;
  return walkElements(b, start, start + 4, end, count, PER_FIELD, ctx, depth);
}

/** `walkElements`' element type for records: each field carries its own type OID. */
const PER_FIELD = -1;

/**
 * Walks `count` elements from `first`: each is (a type OID when `elemType` is PER_FIELD) a length
 * and bytes. First checks the lengths fill `[first, end)` exactly (false if not), then masks;
 * rebuilds only when an element changed. No closure or view per element: this runs per value.
 */
function walkElements(
  b: Buffer,
  start: number,
  first: number,
  end: number,
  count: number,
  elemType: number,
  ctx: WalkContext,
  depth: number,
): Buffer | undefined | false {
  const step = elemType === PER_FIELD ? 8 : 4;
  let pos = first;
  for (let i = 0; i < count; i++) {
    if (end - pos < step) return false;
    const length = int32(b, pos + step - 4);
    pos += step;
    if (length === -1) continue;
    if (length < 0 || end - pos < length) return false;
    pos += length;
  }
  if (pos !== end) return false;
  let parts: Buffer[] | undefined;
  let copied = start;
  pos = first;
  for (let i = 0; i < count; i++) {
    const typeOid = elemType === PER_FIELD ? int32(b, pos) >>> 0 : elemType;
    const length = int32(b, pos + step - 4);
    const lengthAt = pos + step - 4;
    pos += step;
    if (length === -1) continue;
    const masked: Element = maskBinaryValue(b, pos, pos + length, typeOid, ctx, depth + 1);
    if (masked) {
      parts ??= [];
      parts.push(b.subarray(copied, lengthAt), int32Bytes(masked.length), masked);
      copied = pos + length;
    }
    pos += length;
  }
  if (!parts) return undefined;
  parts.push(b.subarray(copied, end));
  return Buffer.concat(parts);
}
