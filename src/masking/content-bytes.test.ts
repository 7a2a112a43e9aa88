import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createContentMasker, scanFeatureBytes } from './content.js';
import { CORPORA } from './detectors/corpus/index.js';
import { emptyFeatures, scanFeatures } from './detectors/prefilter.js';
import { ENTITIES } from './entities.js';

const all = createContentMasker({ entities: ENTITIES, region: 'US' });
const some = createContentMasker({ entities: ['EMAIL', 'CREDIT_CARD'], region: 'US' });

/** maskBytes over `bytes` placed inside a larger buffer (offsets matter), against mask of its text. */
function assertSame(masker: typeof all, bytes: Buffer): void {
  const framed = Buffer.concat([Buffer.from('xx@1.2'), bytes, Buffer.from('=:9')]);
  assert.deepEqual(
    masker.maskBytes(framed, 6, 6 + bytes.length),
    masker.mask(bytes.toString('utf8')),
    `for ${JSON.stringify(bytes.toString('utf8'))}`,
  );
}

describe('content masker over bytes', () => {
  it('gives what mask gives on every corpus value, positive and negative', () => {
    for (const corpus of CORPORA) {
      const texts = [
        ...corpus.positives.map((p) => p.join('')),
        ...corpus.negatives,
        ...(corpus.ambiguous ?? []),
      ];
      for (const text of texts) {
        assertSame(all, Buffer.from(text, 'utf8'));
        assertSame(some, Buffer.from(text, 'utf8'));
      }
    }
  });

  it('gives what mask gives on arbitrary text and arbitrary bytes (invalid UTF-8 included)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), (text) => {
        assertSame(all, Buffer.from(text, 'utf8'));
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        assertSame(all, Buffer.from(bytes));
        assertSame(some, Buffer.from(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('counts at least what the text scan counts, so its "nothing here" is never wrong', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (raw) => {
        const bytes = Buffer.from(raw);
        const fromText = emptyFeatures();
        const fromBytes = emptyFeatures();
        scanFeatures(bytes.toString('utf8'), fromText);
        scanFeatureBytes(bytes, 0, bytes.length, fromBytes);
        for (const key of Object.keys(fromText) as (keyof typeof fromText)[])
          assert.ok(fromBytes[key] >= fromText[key], `${key}: ${fromBytes[key]} < ${fromText[key]}`);
      }),
      { numRuns: 500 },
    );
  });

  it('finds values at the edges of the range and nothing outside it', () => {
    const buf = Buffer.from('a@example.com|4111 1111 1111 1111|b@example.org');
    assert.deepEqual(some.maskBytes(buf, 0, 13), { text: '[EMAIL]', counts: { EMAIL: 1 } });
    assert.deepEqual(some.maskBytes(buf, 14, 33), { text: '[CREDIT_CARD]', counts: { CREDIT_CARD: 1 } });
    assert.equal(some.maskBytes(buf, 1, 13), undefined); // '@example.com' alone is no address
  });
});
