/** @module SSN corpus: dashed and spaced forms, bare with context; area/group/serial misses. */
import { NEAR_MISSES } from './near-misses.js';
import { type DetectorCorpus, embed, type Positive, randomDigits, seededRandom } from './types.js';

const random = seededRandom(2);

function issuable(): [string, string, string] {
  let area = 1 + Math.floor(random() * 898);
  if (area === 666) area = 667;
  const group = 1 + Math.floor(random() * 99);
  const serial = 1 + Math.floor(random() * 9999);
  return [String(area).padStart(3, '0'), String(group).padStart(2, '0'), String(serial).padStart(4, '0')];
}

const dashed: string[] = ['123-45-6789', '001-01-0001', '899-99-9999', '665-12-3456'];
for (let i = 0; i < 80; i++) dashed.push(issuable().join(i % 4 === 3 ? ' ' : '-'));

const bare: Positive[] = [];
const labels = ['SSN ', 'ssn: ', 'Social Security Number: ', 'SSN#', 'soc sec no. ', 'TIN='];
for (let i = 0; i < 24; i++) bare.push([labels[i % labels.length]!, issuable().join(''), '']);

const misses: string[] = [
  '000-12-3456',
  '666-12-3456',
  '900-12-3456',
  '987-65-4321',
  '123-00-4567',
  '123-45-0000',
  '078-05-1120',
  '219-09-9999',
  '123-45-67890',
  '1123-45-6789',
  'A123-45-6789',
  '123-456-7890',
  '12-345-6789',
  '123/45/6789',
  'zip 94105-1234',
];
for (let i = 0; i < 40; i++) {
  misses.push(`order ${issuable().join('')}`); // nine digits without an SSN word
  misses.push(`account ${randomDigits(random, 9)} routed`);
  misses.push(`9${randomDigits(random, 2)}-${randomDigits(random, 2)}-${randomDigits(random, 4)}`); // ITIN-range area
}

export const ssnCorpus: DetectorCorpus = {
  entity: 'SSN',
  // `123.45.6789` and a bare number without an SSN word are missed by design (see the module doc).
  positives: [...embed(dashed), ...bare, ['', '234.56.7890', ''], ['id ', '234567890', '']],
  negatives: [...misses, ...NEAR_MISSES],
};
