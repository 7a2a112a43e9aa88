/** @module CREDIT_CARD corpus: every scheme, lengths, compact/spaced/dashed; Luhn and prefix misses. */
import { NEAR_MISSES } from './near-misses.js';
import {
  type DetectorCorpus,
  embed,
  group,
  luhnCheckDigit,
  pick,
  randomDigits,
  seededRandom,
} from './types.js';

const random = seededRandom(1);

/** Scheme prefixes and the lengths issued with them. */
const SCHEMES: readonly (readonly [string, readonly number[]])[] = [
  ['4', [13, 16, 19]],
  ['51', [16]],
  ['55', [16]],
  ['2221', [16]],
  ['2720', [16]],
  ['2500', [16]],
  ['34', [15]],
  ['37', [15]],
  ['6011', [16, 19]],
  ['644', [16]],
  ['65', [16]],
  ['3528', [16]],
  ['3589', [16, 19]],
  ['300', [14]],
  ['305', [14]],
  ['36', [14]],
  ['38', [16]],
  ['62', [16, 17, 18, 19]],
  ['81', [16]],
  ['2200', [16]],
  ['5018', [12, 16, 19]],
  ['6304', [16, 18]],
  ['6759', [16]],
  ['6762', [19]],
];

function card(prefix: string, length: number): string {
  const body = prefix + randomDigits(random, length - prefix.length - 1);
  return body + luhnCheckDigit(body);
}

function format(number: string, style: number): string {
  if (number.length === 15 && style === 1)
    return `${number.slice(0, 4)} ${number.slice(4, 10)} ${number.slice(10)}`;
  if (number.length === 14 && style === 1)
    return `${number.slice(0, 4)} ${number.slice(4, 10)} ${number.slice(10)}`;
  if (style === 0) return number;
  return group(number, 4, style === 1 ? ' ' : '-');
}

const valid: string[] = [
  '4111111111111111',
  '4111 1111 1111 1111',
  '4012-8888-8888-1881',
  '5555555555554444',
  '5105 1051 0510 5100',
  '2223000048400011',
  '378282246310005',
  '3714 496353 98431',
  '6011111111111117',
  '6011 0009 9013 9424',
  '3530111333300000',
  '3566-0020-2036-0505',
  '30569309025904',
  '3852 0000 0232 37',
  '6200000000000005',
];
for (const [prefix, lengths] of SCHEMES) {
  for (const length of lengths) {
    for (let style = 0; style < 3; style++) valid.push(format(card(prefix, length), style));
  }
}

function breakLuhn(number: string): string {
  const last = Number(number[number.length - 1]);
  return number.slice(0, -1) + String((last + 1 + Math.floor(random() * 8)) % 10);
}

const misses: string[] = [];
for (let i = 0; i < 60; i++) {
  const [prefix, lengths] = pick(random, SCHEMES);
  const number = card(prefix, pick(random, lengths));
  misses.push(`card ${format(breakLuhn(number), i % 3)}`); // Luhn-invalid
  misses.push(`id ${card(pick(random, ['1', '7', '90', '99']), 16)}`); // no scheme has this prefix
  misses.push(`ref ${card('4', 16)}${randomDigits(random, 4)}`); // a card number inside a longer number
  misses.push(`ORD-${card('4', 16)}`); // glued to an order-id prefix
}
misses.push('4111 1111 1111', '4111 1111 1111 1111 1111 1111', '4111-1111 1111-1111', '41111 11111 11111 1');

/** Written in ways the detector does not read (dots, mixed separators): counted, and missed. */
const HARD = ['4111.1111.1111.1111', '4111 1111-1111 1111'];

export const creditCardCorpus: DetectorCorpus = {
  entity: 'CREDIT_CARD',
  positives: embed([...valid, ...HARD]),
  negatives: [...misses, ...NEAR_MISSES],
};
