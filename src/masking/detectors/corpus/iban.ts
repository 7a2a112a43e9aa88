/** @module IBAN corpus: registry examples and generated IBANs for every country, compact and grouped. */
import { IBAN_LENGTHS } from '../iban.js';
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, group, ibanCheckDigits, randomFrom, seededRandom } from './types.js';

const random = seededRandom(3);

/** Published example IBANs (bank and registry documentation). */
const EXAMPLES = [
  'GB82 WEST 1234 5698 7654 32',
  'GB29 NWBK 6016 1331 9268 19',
  'DE89 3704 0044 0532 0130 00',
  'FR14 2004 1010 0505 0001 3M02 606',
  'NL91 ABNA 0417 1643 00',
  'BE68 5390 0754 7034',
  'CH93 0076 2011 6238 5295 7',
  'NO93 8601 1117 947',
  'MT84 MALT 0110 0001 2345 MTLC AST0 01S',
  'SA03 8000 0000 6080 1016 7519',
  'BR18 0036 0305 0000 1000 9795 493C 1',
  'ES9121000418450200051332',
  'IT60X0542811101000000123456',
  'PL61109010140000071219812874',
  'AT611904300234573201',
];

const valid: string[] = [...EXAMPLES];
for (const [country, length] of IBAN_LENGTHS) {
  for (let k = 0; k < 3; k++) {
    // Most BBANs are digits; some countries mix in letters (a bank code, a check letter).
    const alphabet = k === 2 ? '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ' : '0123456789';
    const bban = randomFrom(random, alphabet, length - 4);
    const iban = `${country}${ibanCheckDigits(country, bban)}${bban}`;
    valid.push(k === 0 ? iban : k === 1 ? group(iban, 4) : iban.toLowerCase());
  }
}

function corrupt(iban: string): string {
  const i = 2 + Math.floor(random() * (iban.length - 2));
  const c = iban[i]!;
  if (c === ' ') return `${iban}0`;
  const replacement = /\d/.test(c) ? String((Number(c) + 1) % 10) : /[zZ]/.test(c) ? 'A' : 'Z';
  return iban.slice(0, i) + replacement + iban.slice(i + 1);
}

const misses: string[] = [];
for (const example of valid.slice(0, 120)) misses.push(`acct ${corrupt(example)}`);
misses.push(
  'XX82 WEST 1234 5698 7654 32',
  'GB82 WEST 1234 5698 7654 3',
  'GB82WEST1234569876543200',
  'GB82 WE ST12 3456 9876 5432',
  'US12 3456 7890 1234 5678 90',
  'AB12CDEF3456GHIJ7890',
  'Model DE12 engine, part GB45-X',
);

export const ibanCorpus: DetectorCorpus = {
  entity: 'IBAN',
  positives: embed(valid),
  negatives: [...misses, ...NEAR_MISSES],
};
