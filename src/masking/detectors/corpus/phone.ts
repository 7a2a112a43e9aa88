/**
 * @module PHONE corpus (default region US): US numbers in every common national format, and the
 * library's example mobile number of 60 countries in international and `00` forms; dates, times,
 * ids, IPs and versions as near-misses.
 */
import { type CountryCode, getCountries, getExampleNumber } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, type Positive, randomDigits, seededRandom } from './types.js';

const random = seededRandom(4);

const US_AREAS = ['202', '212', '310', '415', '503', '617', '646', '702', '773', '917'];

const valid: string[] = [
  '(202) 555-0143',
  '202-555-0143',
  '202.555.0143',
  '202 555 0143',
  '+1 202 555 0143',
  '+1-202-555-0143',
  '+1 (202) 555-0143',
  '1-800-555-0199',
  '+44 20 7946 0958',
  '+33 1 42 68 53 00',
  '+49 30 901820',
  '+61 2 9374 4000',
  '+81 3-3224-9999',
  '0044 20 7946 0958',
  '+12025550143',
];
for (let i = 0; i < 40; i++) {
  const area = US_AREAS[i % US_AREAS.length]!;
  const line = `${2 + Math.floor(random() * 7)}${randomDigits(random, 2)}`;
  const rest = randomDigits(random, 4);
  const formats = [
    `(${area}) ${line}-${rest}`,
    `${area}-${line}-${rest}`,
    `${area}.${line}.${rest}`,
    `+1 ${area} ${line} ${rest}`,
  ];
  valid.push(formats[i % formats.length]!);
}

const countries = getCountries().filter((c) => c !== 'US');
for (let i = 0; i < countries.length && valid.length < 175; i += 3) {
  const example = getExampleNumber(countries[i] as CountryCode, examples);
  if (example === undefined || !example.isValid()) continue;
  valid.push(example.formatInternational());
  if (i % 2 === 0) valid.push(`00${example.number.slice(1)}`);
}

/** Bare digit runs count with a phone word before them. */
const withContext: Positive[] = [
  ['phone: ', '2025550143', ''],
  ['Tel ', '4155552671', ''],
  ['{"mobile":"', '6465550123', '"}'],
  ['call me at ', '3105550177', ' tomorrow'],
];

const misses: string[] = [
  'order 2025550143',
  'id=4155552671',
  'ORD-2025550143',
  'account 6465550123 closed',
  '2024-01-15',
  '15.01.2024',
  '01/15/2024',
  '2024-01-15 10:23:45',
  '192.168.100.200',
  '10.20.30.40',
  'version 2.31.4.1',
  '1.2.3.4.5.6.7',
  '4111 1111 1111 1111',
  '123-45-6789',
  '555-0143',
  '12345',
  'page 1234567',
  '978-3-16-148410-0',
  '2025-550143',
];
for (let i = 0; i < 40; i++) misses.push(`ref ${randomDigits(random, 10)} batch ${randomDigits(random, 7)}`);

export const phoneCorpus: DetectorCorpus = {
  entity: 'PHONE',
  // Bare digit runs without a phone word and `+1 202 5550143`-style odd groupings are the hard cases.
  positives: [
    ...embed(valid),
    ...withContext,
    ['tel:', '+1-202-555-0143', ''],
    ['', '+1 202 555 0143', ' ext. 12'],
    ['', '2025550143', ''],
    ['reach her on ', '(415)555-2671', ''],
  ],
  negatives: [...misses, ...NEAR_MISSES],
};
