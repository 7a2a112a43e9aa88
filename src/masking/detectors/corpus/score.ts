/**
 * @module Scores a detector against its corpus: recall (positives masked exactly as expected) and
 * false-positive rate (negatives in which the entity was found), plus the failures for diagnosis.
 * Shared by the corpus test and `bench/masking-detectors.ts` so both report the same figures.
 */
import { createContentMasker, markerFor } from '../../content.js';
import type { Entity } from '../../entities.js';
import type { DetectorCorpus } from './types.js';

export const CORPUS_REGION = 'US';

export interface Score {
  readonly entity: Entity;
  readonly positives: number;
  readonly found: number;
  readonly negatives: number;
  readonly falsePositives: number;
  readonly recall: number;
  readonly falsePositiveRate: number;
  readonly ambiguous: number;
  readonly ambiguousMasked: number;
  readonly missed: readonly string[];
  readonly wronglyMasked: readonly string[];
}

export function scoreCorpus(corpus: DetectorCorpus): Score {
  const masker = createContentMasker({ entities: [corpus.entity], region: CORPUS_REGION });
  const missed: string[] = [];
  const wronglyMasked: string[] = [];
  for (const [before, value, after] of corpus.positives) {
    const outcome = masker.mask(before + value + after);
    if (outcome?.text !== before + markerFor(corpus.entity) + after) missed.push(before + value + after);
  }
  for (const text of corpus.negatives) {
    if (masker.mask(text) !== undefined) wronglyMasked.push(text);
  }
  const ambiguous = corpus.ambiguous ?? [];
  const ambiguousMasked = ambiguous.filter((text) => masker.mask(text) !== undefined).length;
  const found = corpus.positives.length - missed.length;
  return {
    entity: corpus.entity,
    positives: corpus.positives.length,
    found,
    negatives: corpus.negatives.length,
    falsePositives: wronglyMasked.length,
    recall: found / corpus.positives.length,
    falsePositiveRate: wronglyMasked.length / corpus.negatives.length,
    ambiguous: ambiguous.length,
    ambiguousMasked,
    missed,
    wronglyMasked,
  };
}
