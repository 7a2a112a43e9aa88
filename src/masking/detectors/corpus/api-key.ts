/** @module API_KEY corpus: each vendor prefix with random bodies; placeholders, test keys, identifiers. */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, randomFrom, seededRandom } from './types.js';

const random = seededRandom(7);
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const valid: string[] = ['AKIAIOSFODNN7EXAMPLE'];
for (let i = 0; i < 12; i++) {
  valid.push(`${i % 2 === 0 ? 'AKIA' : 'ASIA'}${randomFrom(random, UPPER_DIGITS, 16)}`);
  valid.push(`gh${'pousr'[i % 5]}_${randomFrom(random, ALNUM, 36)}`);
  valid.push(`github_pat_${randomFrom(random, ALNUM, 22)}_${randomFrom(random, ALNUM, 59)}`);
  valid.push(`${'srp'[i % 3]}k_live_${randomFrom(random, ALNUM, 24 + (i % 3) * 40)}`);
  valid.push(
    `xox${'bpas'[i % 4]}-${randomFrom(random, '0123456789', 12)}-${randomFrom(random, '0123456789', 13)}-${randomFrom(random, ALNUM, 24)}`,
  );
  valid.push(`AIza${randomFrom(random, `${ALNUM}-_`, 35)}`);
}

const misses: string[] = [
  'AKIAXXXXXXXXXXXXXXXX',
  'AKIA1234',
  'AKIAIOSFODNN7EXAMPLEX',
  'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  'ghp_short',
  `sk_test_${randomFrom(random, ALNUM, 24)}`,
  'sk_live_mode',
  'xoxo-gossip',
  'xoxb-',
  'AIzaSy',
  'ghost_rider',
  'pk_live_',
  'MY_AKIA_FLAG',
];

export const apiKeyCorpus: DetectorCorpus = {
  entity: 'API_KEY',
  // Newer GitHub fine-grained and Stripe restricted formats are covered; a key cut by a line break is not.
  positives: [
    ...embed(valid),
    ['', `ghp_${randomFrom(random, ALNUM, 20)}\n${randomFrom(random, ALNUM, 16)}`, ''],
  ],
  negatives: [...misses, ...NEAR_MISSES],
};
