import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { creditCardDetector, matchesScheme } from './credit-card.js';
import { emailDetector } from './email.js';
import { IBAN_LENGTHS } from './iban.js';
import { isJwt } from './jwt.js';
import { emptyFeatures, scanFeatures } from './prefilter.js';
import { isIssuableSsn } from './ssn.js';
import { TLDS } from './tlds.js';
import type { SpanSink } from './types.js';

function spans(find: (text: string, sink: SpanSink) => void, text: string): string[] {
  const found: string[] = [];
  find(text, { add: (start, end) => found.push(text.slice(start, end)) });
  return found;
}

describe('detectors', () => {
  it('prefilter counts what the detectors gate on, and nothing in plain prose', () => {
    const f = emptyFeatures();
    scanFeatures('plain words only, nothing else', f);
    assert.deepEqual({ ...f, length: 0 }, { ...emptyFeatures() });
    scanFeatures('a@b.io 12:30 x=1 AKIA_-', f);
    assert.deepEqual(
      {
        digits: f.digits,
        at: f.at,
        dots: f.dots,
        colons: f.colons,
        equals: f.equals,
        underscores: f.underscores,
        dashes: f.dashes,
        keyPrefixes: f.keyPrefixes,
      },
      { digits: 5, at: 1, dots: 1, colons: 1, equals: 1, underscores: 1, dashes: 1, keyPrefixes: 1 },
    );
  });

  it('card schemes: prefixes and lengths', () => {
    assert.ok(matchesScheme(411111, 16));
    assert.ok(!matchesScheme(411111, 15));
    assert.ok(matchesScheme(222100, 16) && matchesScheme(272099, 16) && !matchesScheme(272100, 16));
    assert.ok(matchesScheme(371449, 15) && !matchesScheme(371449, 16));
    assert.ok(matchesScheme(305693, 14) && matchesScheme(620000, 19) && matchesScheme(675964, 12));
    assert.ok(!matchesScheme(123456, 16) && !matchesScheme(990000, 16));
  });

  it('cards: a card after a short group is found, a piece of a longer grouped number is not', () => {
    assert.deepEqual(spans(creditCardDetector.find, 'order 12 4111 1111 1111 1111 exp 12/25'), [
      '4111 1111 1111 1111',
    ]);
    assert.deepEqual(spans(creditCardDetector.find, '4111 1111 1111 1111 12/25'), ['4111 1111 1111 1111']);
    assert.deepEqual(spans(creditCardDetector.find, '4111 1111 1111 1111 1111'), []);
    assert.deepEqual(spans(creditCardDetector.find, 'a4111111111111111 41111111111111110'), []);
  });

  it('SSN area, group and serial rules', () => {
    assert.ok(isIssuableSsn(123, 45, 6789));
    for (const [a, g, s] of [
      [0, 1, 1],
      [666, 1, 1],
      [900, 1, 1],
      [999, 1, 1],
      [1, 0, 1],
      [1, 1, 0],
      [78, 5, 1120],
    ]) {
      assert.ok(!isIssuableSsn(a!, g!, s!), `${a}-${g}-${s}`);
    }
  });

  it('IBAN table has every registry country; TLD list is the IANA one', () => {
    assert.equal(IBAN_LENGTHS.size, 89);
    assert.equal(IBAN_LENGTHS.get('NO'), 15);
    assert.equal(IBAN_LENGTHS.get('RU'), 33);
    assert.ok(TLDS.size > 1400 && TLDS.has('com') && TLDS.has('xn--p1ai') && !TLDS.has('png'));
  });

  it('email: trailing labels that are not a TLD are dropped, invalid local parts are not stretched', () => {
    assert.deepEqual(spans(emailDetector.find, 'mail a@b.com.Notatld now'), ['a@b.com']);
    assert.deepEqual(spans(emailDetector.find, 'x@y@z.com'), ['y@z.com']);
    assert.deepEqual(spans(emailDetector.find, `${'a'.repeat(65)}@example.com`), []);
  });

  it('JWT: header must be JSON with alg; none may go unsigned', () => {
    const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    assert.ok(isJwt(`${b({ alg: 'HS256' })}.${b({ a: 1 })}.sig`));
    assert.ok(isJwt(`${b({ alg: 'none' })}.${b({ a: 1 })}.`));
    assert.ok(!isJwt(`${b({ alg: 'HS256' })}.${b({ a: 1 })}.`));
    assert.ok(!isJwt(`${b({ alg: 1 })}.${b({ a: 1 })}.sig`));
    assert.ok(!isJwt(`${b({ alg: 'HS256' })}.${b({ a: 1 })}`));
  });
});
