/**
 * @module The contract between the content masker and its detectors. A detector reports spans of
 * validated values into a sink the masker reuses, so a text with nothing to mask allocates nothing.
 */
import type { Entity } from '../entities.js';
import type { TextFeatures } from './prefilter.js';

/** Where detectors report what they found: [start, end) in UTF-16 code units of the text. */
export interface SpanSink {
  add(start: number, end: number, entity: Entity): void;
}

export interface Detector {
  readonly entity: Entity;
  /** A check on the prefilter's counts only: false means the text cannot hold this entity. */
  mayContain(features: TextFeatures): boolean;
  /** Reports every validated value in `text`. Must not throw on any input. */
  find(text: string, sink: SpanSink): void;
}
