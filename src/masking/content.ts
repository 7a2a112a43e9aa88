/**
 * @module Content detection over one text value: runs the prefilter, then the detectors it lets
 * through, and replaces every found value with a marker `[ENTITY]` (`[EMAIL]`, `[CREDIT_CARD]` …).
 * Overlapping spans are merged into one marker covering their union, so no part of any detected
 * value survives; the marker names the longest span (ties: `DETECTION_ORDER`). A text with nothing
 * to mask returns undefined without allocating.
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import { createDetector, DETECTION_ORDER } from './detectors/index.js';
import { emptyFeatures, scanFeatures } from './detectors/prefilter.js';
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

  mask(text: string): MaskOutcome | undefined {
    if (typeof text !== 'string' || text.length < MIN_TEXT || this.#detectors.length === 0) return undefined;
    const spans = this.#spans;
    spans.length = 0;
    const f = this.#features;
    scanFeatures(text, f);
    // Every detector needs at least one of these: most text values end here.
    if (
      f.digits + f.at + f.colons + f.equals + f.underscores + f.dashes + f.keyPrefixes === 0 &&
      f.dots < 2
    ) {
      return undefined;
    }
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
