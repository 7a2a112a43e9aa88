/** @module EMAIL corpus: local-part variety, sub-domains, new and country TLDs; handles, paths, fake TLDs. */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, pick, randomFrom, seededRandom } from './types.js';

const random = seededRandom(5);
const letters = 'abcdefghijklmnopqrstuvwxyz';
const TLD_SAMPLE = [
  'com',
  'org',
  'net',
  'io',
  'dev',
  'co.uk',
  'de',
  'fr',
  'photography',
  'museum',
  'app',
  'xn--p1ai',
  'CoM',
];

const valid: string[] = [
  'john.doe@example.com',
  'Jane_Roe+newsletter@mail.example.org',
  "o'brien@example.ie",
  'first.last-2@sub.domain.co.uk',
  'x@ex.io',
  'USER@EXAMPLE.COM',
  '12345@numbers.net',
  'a.b.c.d@e-f.g-h.com',
  'support%team@example.dev',
  'jürgen@example.de',
  'admin@xn--80ak6aa92e.com',
  'ops@example.photography',
];
for (let i = 0; i < 80; i++) {
  const local =
    randomFrom(random, letters, 3 + Math.floor(random() * 8)) +
    pick(random, ['', '.', '_', '+', '-']) +
    randomFrom(random, `${letters}0123456789`, 1 + Math.floor(random() * 6));
  const domain = `${randomFrom(random, letters, 4 + Math.floor(random() * 6))}.${pick(random, TLD_SAMPLE)}`;
  valid.push(`${local}@${domain}`);
}

const misses: string[] = [
  '@handle and @another_one',
  'user@localhost',
  'a@b',
  'name@domain.notarealtld',
  'foo@bar.c',
  'x@-bad.com',
  'x@bad-.com',
  'package@1.2.3',
  '@scope/pkg@1.0.0',
  'git@github:org/repo',
  '.leading@',
  'trailing.@example.com',
  'double..dot@',
  'user@.example.com',
  'user@example..com',
  'email at example dot com',
  'user(at)example.com',
];
for (let i = 0; i < 40; i++)
  misses.push(
    `${randomFrom(random, letters, 6)}@${randomFrom(random, letters, 6)}.${randomFrom(random, 'qxz', 5)}`,
  );

export const emailCorpus: DetectorCorpus = {
  entity: 'EMAIL',
  // IDN top-level domains in Unicode form are not in the ASCII list: counted, and missed.
  positives: [...embed(valid), ['mailto:', 'john@example.com', '?subject=hi'], ['', 'user@пример.рф', '']],
  negatives: [...misses, ...NEAR_MISSES],
};
