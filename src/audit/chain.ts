/**
 * @module The per-node hash chain. Each record's hash covers the previous record's hash and the
 * record's own canonical JSON, so changing, removing or reordering any record breaks every hash
 * after it; the signed anchor (drain.ts) makes a cut-off tail show too.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AUDIT_SCHEMA_VERSION, type AuditEventBody, type AuditRecord } from './events.js';

/** The `prevHash` of a node's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A sealed record without its own hash: what `hashRecord` covers. */
export type UnsealedRecord = Omit<AuditRecord, 'hash'>;

/** Where a record sits in its node's chain. */
export interface ChainPosition {
  readonly node: string;
  readonly seq: number;
  /** ISO-8601. */
  readonly time: string;
  readonly prevHash: string;
}

/**
 * JSON with object keys sorted (by UTF-16 code units, recursively) and no whitespace. Undefined,
 * function and symbol members are left out of objects and become `null` in arrays, exactly as
 * `JSON.stringify` does, so a record keeps its canonical form across a JSON round trip (the store
 * re-hashes the parsed JSON). Non-finite numbers become `null` for the same reason.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalValue(value, undefined);
  if (out === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return out;
}

/** Characters JSON must escape, and lone-surrogate candidates: strings without any skip JSON.stringify. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** Quoted object keys, memoised: records reuse a few dozen key names (bounded against misuse). */
const quotedKeys = new Map<string, string>();

function quote(text: string): string {
  // JSON.stringify is the slow part of canonicalising a record; most strings need no escaping.
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    if (quotedKeys.size < 1024) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Canonical forms of frozen objects, which callers reuse across many records (the gate's identity
 * reference per session). A frozen object is taken as immutable all the way down.
 */
const frozenForms = new WeakMap<object, string>();

/**
 * Sorted key lists of the record shapes seen, by key count: records of one event type share a few
 * shapes, so the sort runs once per shape. A hit compares the key lists element by element (key
 * strings are interned, so each comparison is a pointer check); no joined text is built.
 */
const sortedByLength = new Map<
  number,
  { readonly keys: readonly string[]; readonly sorted: readonly string[] }[]
>();
let shapesKept = 0;

function sortedKeys(record: object): readonly string[] {
  const keys = Object.keys(record);
  if (keys.length < 4) return keys.sort();
  const bucket = sortedByLength.get(keys.length);
  if (bucket !== undefined) {
    for (let b = 0; b < bucket.length; b++) {
      const candidate = bucket[b]!;
      let i = 0;
      while (i < keys.length && candidate.keys[i] === keys[i]) i++;
      if (i === keys.length) return candidate.sorted;
    }
  }
  const sorted = [...keys].sort();
  // Bounded: a caller building objects with ever-new keys must not grow this without end.
  if (shapesKept < 256) {
    shapesKept++;
    if (bucket) bucket.push({ keys, sorted });
    else sortedByLength.set(keys.length, [{ keys, sorted }]);
  }
  return sorted;
}

/** `omitKey` leaves one top-level member out: a record's `hash`, without copying the record. */
function canonicalValue(value: unknown, omitKey: string | undefined): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (omitKey === undefined && Object.isFrozen(value)) {
        const known = frozenForms.get(value);
        if (known !== undefined) return known;
        const form = canonicalObject(value, undefined);
        if (form !== undefined) frozenForms.set(value, form);
        return form;
      }
      return canonicalObject(value, omitKey);
    }
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form');
    default:
      return undefined;
  }
}

function canonicalObject(value: object, omitKey: string | undefined): string | undefined {
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return canonicalValue(withToJson.toJSON(), undefined);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalValue(value[i], undefined) ?? 'null';
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = sortedKeys(record);
  let out = '{';
  let first = true;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key === omitKey) continue;
    const member = canonicalValue(record[key], undefined);
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quoteKey(key) + ':' + member;
  }
  return out + '}';
}

/** SHA-256 hex over `prevHash + '\n' + canonicalJson(record)`. */
export function hashRecord(prevHash: string, record: UnsealedRecord | Record<string, unknown>): string {
  return hashCanonical(prevHash, canonicalJson(record));
}

function hashCanonical(prevHash: string, canonical: string): string {
  // One update: each call converts its string and crosses into C++ once.
  return createHash('sha256')
    .update(prevHash + '\n' + canonical)
    .digest('hex');
}

/** A sealed record and the journal line that carries it (without the newline). */
export interface SealedLine {
  readonly record: AuditRecord;
  /** The record's JSON: its canonical form with `"hash"` appended as the last member. */
  readonly json: string;
}

/**
 * Seals `body` at `position` and renders its stored JSON in one pass: the canonical JSON that is
 * hashed is reused as the line, with the hash appended (saves a second serialisation per event).
 */
export function sealEventLine(body: AuditEventBody, position: ChainPosition): SealedLine {
  // Object.assign, not `{ ...body, v, ... }`: V8 builds a spread literal with trailing members
  // through a slow path (about 20 times slower in a Node 20 micro-benchmark), and the result is
  // slower to read while canonicalising.
  const record = Object.assign({}, body, {
    v: AUDIT_SCHEMA_VERSION,
    node: position.node,
    seq: position.seq,
    time: position.time,
    prevHash: position.prevHash,
    hash: '',
  }) as AuditRecord & { hash: string };
  const canonical = canonicalValue(record, 'hash')!;
  const hash = hashCanonical(position.prevHash, canonical);
  record.hash = hash;
  return { record, json: canonical.slice(0, -1) + ',"hash":"' + hash + '"}' };
}

/** Seals `body` into the record at `position` (v = AUDIT_SCHEMA_VERSION). */
export function sealEvent(body: AuditEventBody, position: ChainPosition): AuditRecord {
  return sealEventLine(body, position).record;
}

/** Why a stored record does not check out, or undefined when it does. */
export function checkRecordHash(record: Record<string, unknown>): string | undefined {
  const { hash, ...rest } = record;
  if (typeof hash !== 'string') return 'record has no hash';
  if (typeof rest.prevHash !== 'string') return 'record has no prevHash';
  return hashRecord(rest.prevHash, rest) === hash ? undefined : 'hash mismatch';
}

/**
 * The anchor's signature: HMAC-SHA256 with the node key over `node|seq|hash`, hex. Whoever can
 * edit the store but lacks the key cannot move the anchor back to hide a cut-off tail.
 */
export function signAnchor(key: Buffer, node: string, seq: number, hash: string): string {
  return signText(key, `${node}|${seq}|${hash}`);
}

/** True when `signature` is the anchor signature of (node, seq, hash) under `key`. */
export function anchorSignatureValid(
  key: Buffer,
  node: string,
  seq: number,
  hash: string,
  signature: string,
): boolean {
  return signatureValid(key, `${node}|${seq}|${hash}`, signature);
}

/** HMAC-SHA256 of `text` under the node key, hex: what anchors and checkpoints are signed with. */
export function signText(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** True when `signature` is `signText(key, text)`, compared in constant time. */
export function signatureValid(key: Buffer, text: string, signature: string): boolean {
  const expected = Buffer.from(signText(key, text), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
