import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createContentMasker, markerFor } from './content.js';
import { CORPORA } from './detectors/corpus/index.js';
import { scoreCorpus } from './detectors/corpus/score.js';
import { ENTITIES, isEntity } from './entities.js';

const all = createContentMasker({ entities: ENTITIES, region: 'US' });

describe('content masker', () => {
  it('knows the entity names', () => {
    assert.ok(isEntity('EMAIL') && isEntity('JWT'));
    assert.ok(!isEntity('email') && !isEntity('NAME') && !isEntity(''));
  });

  it('returns undefined when nothing is found', () => {
    for (const text of ['', 'short', 'Jane Roe', 'Lorem ipsum dolor sit amet, 42 times.', '2024-01-15']) {
      assert.equal(all.mask(text), undefined);
    }
  });

  it('replaces each value with [ENTITY] and counts per entity', () => {
    const outcome = all.mask('mail a@example.com or b@example.org, card 4111 1111 1111 1111, from 10.1.2.3');
    assert.deepEqual(outcome, {
      text: 'mail [EMAIL] or [EMAIL], card [CREDIT_CARD], from [IP_ADDRESS]',
      counts: { EMAIL: 2, CREDIT_CARD: 1, IP_ADDRESS: 1 },
    });
    assert.equal(markerFor('SSN'), '[SSN]');
  });

  it('only runs the configured entities', () => {
    const emailOnly = createContentMasker({ entities: ['EMAIL'], region: 'US' });
    assert.equal(emailOnly.mask('card 4111 1111 1111 1111'), undefined);
    assert.equal(emailOnly.mask('x a@example.com')?.text, 'x [EMAIL]');
    assert.equal(createContentMasker({ entities: [], region: 'US' }).mask('a@example.com'), undefined);
  });

  it('uses the default region for national phone formats', () => {
    const gb = createContentMasker({ entities: ['PHONE'], region: 'GB' });
    const us = createContentMasker({ entities: ['PHONE'], region: 'US' });
    assert.equal(gb.mask('ring 020 7946 0958')?.text, 'ring [PHONE]');
    assert.equal(us.mask('ring 020 7946 0958'), undefined);
    assert.equal(us.mask('ring +44 20 7946 0958')?.text, 'ring [PHONE]');
  });

  it('merges overlapping spans into one marker covering their union, named by the longest', () => {
    // The URI password and the email-like `pass@host.com` overlap: nothing of either survives.
    const outcome = all.mask('dsn postgres://app:pw12@db.example.com/x');
    assert.equal(outcome?.text, 'dsn postgres://app:[EMAIL]/x');
    assert.deepEqual(outcome?.counts, { EMAIL: 1 });
    // A JWT as a token's value: the JWT span equals the SECRET span; JWT is more specific.
    const jwt = CORPORA.find((c) => c.entity === 'JWT')!.positives[0]![1];
    assert.equal(all.mask(`token=${jwt}`)?.text, 'token=[JWT]');
  });

  it('is deterministic and reusable across calls (no state leaks between values)', () => {
    const text = 'ssn 123-45-6789 and ssn 234-56-7890';
    const first = all.mask(text);
    all.mask('a@example.com');
    assert.deepEqual(all.mask(text), first);
    assert.equal(all.mask('nothing here at all'), undefined);
  });

  it('never throws and never grows a value that holds nothing (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 300 }), (text) => {
        const outcome = all.mask(text);
        if (outcome !== undefined) assert.notEqual(outcome.text, text);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        all.mask(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a found corpus value through, whatever surrounds it (fuzz)', () => {
    const values = CORPORA.flatMap((corpus) => {
      const missed = new Set(scoreCorpus(corpus).missed);
      return corpus.positives.filter((p) => !missed.has(p.join('')));
    });
    const noise = fc.string({ unit: fc.constantFrom(...'ab1 .-:@=_/\n'.split('')), maxLength: 30 });
    fc.assert(
      fc.property(noise, fc.constantFrom(...values), noise, (before, [context, value, rest], after) => {
        const outcome = all.mask(`${before}\n${context}${value}${rest}\n${after}`);
        assert.ok(outcome !== undefined && !outcome.text.includes(value), value);
      }),
      { numRuns: 2000 },
    );
  });

  it('stays linear on adversarial inputs (no regex backtracking blow-up)', () => {
    const n = 100_000;
    const inputs = [
      'a'.repeat(n),
      '1'.repeat(n),
      '1 '.repeat(n / 2),
      `ey${'A'.repeat(n)}`,
      `ey${'A.'.repeat(n / 2)}`,
      'a:'.repeat(n / 2),
      `${'f'.repeat(n)}:`,
      '@'.repeat(n),
      `${'a'.repeat(n)}@`,
      'a@b.'.repeat(n / 4),
      'password='.repeat(n / 9),
      `-----BEGIN PRIVATE KEY-----${'-'.repeat(n)}`,
      '+1 '.repeat(n / 3),
      'GB82 '.repeat(n / 5),
      `AKIA${'A'.repeat(n)}`,
    ];
    for (const text of inputs) {
      const started = process.hrtime.bigint();
      all.mask(text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 500, `${JSON.stringify(text.slice(0, 12))}…: ${ms.toFixed(0)} ms`);
    }
  });
});
