import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContentMasker } from '../content.js';
import { ENTITIES } from '../entities.js';
import { CORPORA } from './corpus/index.js';
import { NEAR_MISSES } from './corpus/near-misses.js';
import { scoreCorpus } from './corpus/score.js';

// Thresholds from the issue. Every corpus holds hard cases the detectors miss on purpose (dotted
// card numbers, bare nine-digit SSNs, keys cut by a line break), so recall is measured, not 1 by
// construction; see docs/masking.md for the table.
const MIN_RECALL = 0.95;
const MAX_FALSE_POSITIVE_RATE = 0.02;

describe('detector corpus', () => {
  it('has a corpus for every entity, with positives and near-misses', () => {
    assert.deepEqual(
      CORPORA.map((c) => c.entity),
      [...ENTITIES],
    );
    for (const corpus of CORPORA) {
      assert.ok(corpus.positives.length >= 40, `${corpus.entity}: ${corpus.positives.length} positives`);
      assert.ok(corpus.negatives.length >= 200, `${corpus.entity}: ${corpus.negatives.length} negatives`);
    }
  });

  for (const corpus of CORPORA) {
    it(`${corpus.entity}: recall ≥ ${MIN_RECALL}, false positives ≤ ${MAX_FALSE_POSITIVE_RATE}`, () => {
      const score = scoreCorpus(corpus);
      assert.ok(
        score.recall >= MIN_RECALL,
        `recall ${score.recall.toFixed(3)}; missed: ${score.missed.join(' ¦ ')}`,
      );
      assert.ok(
        score.falsePositiveRate <= MAX_FALSE_POSITIVE_RATE,
        `false positives ${score.falsePositiveRate.toFixed(3)}: ${score.wronglyMasked.join(' ¦ ')}`,
      );
    });
  }

  it('all detectors together leave the shared near-misses alone', () => {
    const masker = createContentMasker({ entities: ENTITIES, region: 'US' });
    const masked = NEAR_MISSES.filter((text) => masker.mask(text) !== undefined);
    assert.ok(masked.length / NEAR_MISSES.length <= MAX_FALSE_POSITIVE_RATE, masked.join(' ¦ '));
  });

  it('a positive of one entity is masked when every detector runs (overlaps resolve to one marker)', () => {
    const masker = createContentMasker({ entities: ENTITIES, region: 'US' });
    for (const corpus of CORPORA) {
      const score = scoreCorpus(corpus);
      const missed = new Set(score.missed);
      for (const [before, value, after] of corpus.positives) {
        if (missed.has(before + value + after)) continue;
        const outcome = masker.mask(before + value + after);
        assert.ok(
          outcome !== undefined && !outcome.text.includes(value),
          `${corpus.entity}: ${value} survived`,
        );
      }
    }
  });
});
