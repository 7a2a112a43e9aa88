/**
 * @module Content detection over one text value: runs the prefilter, then the detectors it lets
 * through, and replaces every found value with a marker `[ENTITY]` (`[EMAIL]`, `[CREDIT_CARD]` …).
 * Overlapping spans are merged into one marker covering their union, so no part of any detected
 * value survives; the marker names the longest span (ties: `DETECTION_ORDER`). A text with nothing
 * to mask returns undefined without allocating.
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import { createDetector, DETECTION_ORDER } from './detectors/index.js';
import { emptyFeatures, scanFeatures, type TextFeatures } from './detectors/prefilter.js';
import type { Detector, SpanSink } from './detectors/types.js';
import type { Entity } from './entities.js';

/** What masking one text found. `text` is the masked text; counts per entity. */
export interface MaskOutcome {
  readonly text: string;
  readonly counts: Readonly<Partial<Record<Entity, number>>>;
}

export interface ContentMasker {
  /** Undefined when nothing was found (the common case: no allocation). Never throws on any input. */
  mask(text: string): MaskOutcome | undefined;
  /**
   * `mask` of the UTF-8 text in `bytes[start, end)`, with the same result. The prefilter runs over
   * the bytes first, so a value no detector can match (a number, a name, padding) is never turned
   * into a string.
   */
  maskBytes(bytes: Buffer, start: number, end: number): MaskOutcome | undefined;
}

/** The shortest text any detector can match (`a@b.io`). */
const MIN_TEXT = 6;

/** The marker that replaces a detected value. */
export function markerFor(entity: Entity): string {
  return `[${entity}]`;
}

/** Whether `region` is an ISO 3166 code libphonenumber knows (for configuration validation). */
export function isSupportedRegion(region: string): boolean {
  return isSupportedCountry(region);
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly entity: Entity;
  readonly rank: number;
}

const RANK: Readonly<Record<Entity, number>> = Object.fromEntries(
  DETECTION_ORDER.map((entity, index) => [entity, index]),
) as Record<Entity, number>;

function bySpan(a: Span, b: Span): number {
  return a.start - b.start || b.end - a.end || a.rank - b.rank;
}

/** Longest first, then the more specific entity. */
function beats(a: Span, b: Span): boolean {
  const la = a.end - a.start;
  const lb = b.end - b.start;
  return la > lb || (la === lb && a.rank < b.rank);
}

class Masker implements ContentMasker, SpanSink {
  readonly #detectors: readonly Detector[];
  readonly #features = emptyFeatures();
  // Reused by every call (mask is synchronous): emptied, never reallocated.
  readonly #spans: Span[] = [];

  constructor(detectors: readonly Detector[]) {
    this.#detectors = detectors;
  }

  add(start: number, end: number, entity: Entity): void {
    if (end > start) this.#spans.push({ start, end, entity, rank: RANK[entity] });
  }

  maskBytes(bytes: Buffer, start: number, end: number): MaskOutcome | undefined {
    // A UTF-8 text has at least as many bytes as UTF-16 units.
    if (end - start < MIN_TEXT || this.#detectors.length === 0) return undefined;
    const f = this.#features;
    scanFeatureBytes(bytes, start, end, f);
    // Each count is at least the text's (multi-byte characters hold no ASCII byte) and every
    // detector's mayContain only grows with the counts: "none may match" here means none would.
    if (!this.#mayFind(f)) return undefined;
    return this.mask(bytes.toString('utf8', start, end));
  }

  /** Whether any detector may find something in a text with features `f`. */
  #mayFind(f: TextFeatures): boolean {
    // Every detector needs at least one of these: most text values end here.
    if (
      f.digits + f.at + f.colons + f.equals + f.underscores + f.dashes + f.keyPrefixes === 0 &&
      f.dots < 2
    ) {
      return false;
    }
    for (const detector of this.#detectors) if (detector.mayContain(f)) return true;
    return false;
  }

  mask(text: string): MaskOutcome | undefined {
    if (typeof text !== 'string' || text.length < MIN_TEXT || this.#detectors.length === 0) return undefined;
    const spans = this.#spans;
    spans.length = 0;
    const f = this.#features;
    scanFeatures(text, f);
    if (!this.#mayFind(f)) return undefined;
    for (const detector of this.#detectors) {
      if (!detector.mayContain(f)) continue;
      try {
        detector.find(text, this);
      } catch {
        // A detector that fails on some input masks the whole text: never pass it on unexamined.
        this.add(0, text.length, detector.entity);
      }
    }
    if (spans.length === 0) return undefined;
    const outcome = replaceSpans(text, spans);
    spans.length = 0;
    return outcome;
  }
}

// The prefilter's character classes (`detectors/prefilter.ts`), over bytes: ASCII bytes of UTF-8
// are exactly the ASCII characters of the text, and bytes of multi-byte characters are all >= 0x80.
const B_DIGIT = 1;
const B_AT = 2;
const B_DOT = 3;
const B_COLON = 4;
const B_EQUALS = 5;
const B_UNDERSCORE = 6;
const B_DASH = 7;
const B_UPPER_A = 8;
const BYTE_CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) BYTE_CLASS[c] = B_DIGIT;
BYTE_CLASS[0x40] = B_AT;
BYTE_CLASS[0x2e] = B_DOT;
BYTE_CLASS[0x3a] = B_COLON;
BYTE_CLASS[0x3d] = B_EQUALS;
BYTE_CLASS[0x5f] = B_UNDERSCORE;
BYTE_CLASS[0x2d] = B_DASH;
BYTE_CLASS[0x41] = B_UPPER_A;
const byteCounts = new Int32Array(9);

/** `scanFeatures` over the UTF-8 bytes `bytes[start, end)`; `length` is the byte count (an upper bound). */
export function scanFeatureBytes(bytes: Uint8Array, start: number, end: number, f: TextFeatures): void {
  const counts = byteCounts;
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const k = BYTE_CLASS[bytes[i]!]!;
    if (k === 0) continue;
    if (k === B_UPPER_A) {
      // AKIA/ASIA (AWS), AIza (Google)
      const next = i + 1 < end ? bytes[i + 1] : 0;
      if (next === 0x4b || next === 0x53 || next === 0x49) counts[B_UPPER_A]!++;
    } else {
      counts[k]!++;
    }
  }
  f.length = end - start;
  f.digits = counts[B_DIGIT]!;
  f.at = counts[B_AT]!;
  f.dots = counts[B_DOT]!;
  f.colons = counts[B_COLON]!;
  f.equals = counts[B_EQUALS]!;
  f.underscores = counts[B_UNDERSCORE]!;
  f.dashes = counts[B_DASH]!;
  f.keyPrefixes = counts[B_UPPER_A]!;
}

/** Merges overlapping spans and builds the masked text and the counts. */
function replaceSpans(text: string, spans: Span[]): MaskOutcome {
  spans.sort(bySpan);
  const counts: Partial<Record<Entity, number>> = {};
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < spans.length) {
    let winner = spans[i]!;
    let end = winner.end;
    let j = i + 1;
    for (; j < spans.length && spans[j]!.start < end; j++) {
      const span = spans[j]!;
      if (span.end > end) end = span.end;
      if (beats(span, winner)) winner = span;
    }
    out += text.slice(copied, spans[i]!.start) + markerFor(winner.entity);
    copied = end;
    counts[winner.entity] = (counts[winner.entity] ?? 0) + 1;
    i = j;
  }
  out += text.slice(copied);
  return { text: out, counts };
}

export function createContentMasker(options: {
  readonly entities: readonly Entity[];
  readonly region: string;
}): ContentMasker {
  const wanted = new Set(options.entities);
  const detectors = DETECTION_ORDER.filter((entity) => wanted.has(entity)).map((entity) =>
    createDetector(entity, options.region),
  );
  return new Masker(detectors);
}
