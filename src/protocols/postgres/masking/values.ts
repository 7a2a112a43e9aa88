/**
 * @module One column value in, its masked form out. Text-format values are UTF-8 text; binary-format
 * values are decoded for the common types (integers, floats, bool, uuid, date, text-like) so strategies
 * that keep part of the value (partial, hash, email) see the same text a text-format client would.
 * A binary value of another type cannot be read: it is redacted whole (never sent as is).
 * @see https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 */
import { applyStrategy, type Strategy } from '../../../masking/strategies.js';

/** Type OIDs whose binary form is their UTF-8 text. */
const TEXT_LIKE = new Set([25, 1043, 1042, 19, 114, 142, 705, 18]);

/** PostgreSQL's `text` type, what masked columns are re-typed to. */
export const TEXT_OID = 25;

/** True when content detection can read a value of this type and format. */
export function isReadableText(typeOid: number, format: number): boolean {
  return format === 0 || TEXT_LIKE.has(typeOid) || typeOid === 3802;
}

const EPOCH_2000_DAYS = 10_957;

/** The text of a binary value, or undefined when the type is not one Airlock decodes. */
export function binaryToText(typeOid: number, value: Buffer): string | undefined {
  if (TEXT_LIKE.has(typeOid)) return value.toString('utf8');
  switch (typeOid) {
    case 3802: // jsonb: version byte 1, then text
      return value[0] === 1 ? value.subarray(1).toString('utf8') : undefined;
    case 16:
      return value.length === 1 ? (value[0] ? 't' : 'f') : undefined;
    case 21:
      return value.length === 2 ? String(value.readInt16BE(0)) : undefined;
    case 23:
    case 26:
      return value.length === 4
        ? String(typeOid === 26 ? value.readUInt32BE(0) : value.readInt32BE(0))
        : undefined;
    case 20:
      return value.length === 8 ? value.readBigInt64BE(0).toString() : undefined;
    case 700:
      return value.length === 4 ? String(value.readFloatBE(0)) : undefined;
    case 701:
      return value.length === 8 ? String(value.readDoubleBE(0)) : undefined;
    case 2950: {
      if (value.length !== 16) return undefined;
      const h = value.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 1082: {
      if (value.length !== 4) return undefined;
      const days = value.readInt32BE(0);
      const date = new Date((days + EPOCH_2000_DAYS) * 86_400_000);
      return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10);
    }
    default:
      return undefined;
  }
}

const REDACT: Strategy = { kind: 'redact' };

/** Masks one non-null value with `strategy`; returns the replacement's UTF-8 bytes. */
export function maskColumnValue(
  strategy: Strategy,
  value: Buffer,
  typeOid: number,
  format: number,
  hashKey: Buffer | undefined,
): Buffer {
  if (strategy.kind === 'redact') return REDACTED_BYTES;
  const text = format === 0 ? value.toString('utf8') : binaryToText(typeOid, value);
  if (text === undefined) return REDACTED_BYTES;
  return Buffer.from(applyStrategy(strategy, text, hashKey), 'utf8');
}

/** `redact` gives one fixed text whatever the value: encoded once. Never written to. */
const REDACTED_BYTES = Buffer.from(applyStrategy(REDACT, '', undefined), 'utf8');

/** The redaction of a derived value (computed from masked data): always whole. Shared: do not write to it. */
export function redactValue(_hashKey: Buffer | undefined): Buffer {
  return REDACTED_BYTES;
}
