/**
 * @module IBAN: a country code from the IBAN registry, two check digits, then exactly that country's
 * length in letters and digits, compact (`DE89370400440532013000`) or in groups of four separated by
 * one space (`DE89 3704 0044 0532 0130 00`), upper or lower case, whose ISO 13616 mod-97 checksum
 * is 1. Wrong lengths, wrong check digits and unknown countries are kept.
 */
import { isAsciiAlnum, isAsciiLetter, isDigit } from './chars.js';
import type { Detector, SpanSink } from './types.js';

/** Country code and IBAN length, SWIFT IBAN registry (2025, 89 countries; territories using a parent's code omitted). */
const LENGTH_TABLE =
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
  'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 ' +
  'IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 ' +
  'MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 ' +
  'SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30';

/** IBAN length per upper-case country code. */
export const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  LENGTH_TABLE.split(' ').map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

const MIN_LENGTH = 15;

/** Value of one IBAN character for mod-97: digits 0-9, letters A=10 … Z=35. */
function charValue(c: number): number {
  if (isDigit(c)) return c - 0x30;
  return (c | 0x20) - 0x61 + 10;
}

/**
 * Reads `length` IBAN characters from `start` (compact, or groups of 4 with single spaces) and
 * returns the end offset, or -1 when the text does not hold exactly that.
 */
function readIban(text: string, start: number, length: number, grouped: boolean): number {
  let pos = start;
  for (let k = 0; k < length; k++) {
    if (grouped && k > 0 && k % 4 === 0) {
      if (text.charCodeAt(pos) !== 0x20) return -1;
      pos++;
    }
    if (!isAsciiAlnum(text.charCodeAt(pos))) return -1;
    pos++;
  }
  return isAsciiAlnum(text.charCodeAt(pos)) ? -1 : pos;
}

/** ISO 7064 mod 97-10 over the rearranged IBAN (BBAN first, then country and check digits). */
function mod97(text: string, start: number, end: number): number {
  let remainder = 0;
  const add = (i: number) => {
    const c = text.charCodeAt(i);
    if (c === 0x20) return;
    const v = charValue(c);
    remainder = (v >= 10 ? remainder * 100 + v : remainder * 10 + v) % 97;
  };
  for (let i = start + 4; i < end; i++) add(i);
  for (let i = start; i < start + 4; i++) add(i);
  return remainder;
}

export const ibanDetector: Detector = {
  entity: 'IBAN',
  mayContain: (f) => f.digits >= 2 && f.length >= MIN_LENGTH,
  find(text: string, sink: SpanSink): void {
    const n = text.length;
    for (let i = 0; i + MIN_LENGTH <= n; i++) {
      const c0 = text.charCodeAt(i);
      if (!isAsciiLetter(c0) || !isAsciiLetter(text.charCodeAt(i + 1))) continue;
      if (!isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3))) continue;
      if (i > 0 && isAsciiAlnum(text.charCodeAt(i - 1))) continue;
      const length = IBAN_LENGTHS.get(text.slice(i, i + 2).toUpperCase());
      if (length === undefined) continue;
      const grouped = text.charCodeAt(i + 4) === 0x20;
      const end = readIban(text, i, length, grouped);
      if (end < 0 || mod97(text, i, end) !== 1) continue;
      sink.add(i, end, 'IBAN');
      i = end - 1;
    }
  },
};
