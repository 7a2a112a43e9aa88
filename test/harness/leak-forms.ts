/**
 * @module What the masking end-to-end suites look for in everything a client got back: every form
 * in which a raw value could be recovered (as is, upper-cased, reversed, base64, hex, its digits,
 * an email's local part), so an attempt that encodes a value before it leaves counts as a leak.
 */

/** Every recoverable form of each raw value, plus `extra` values taken as they are. */
export function recoverableForms(raws: readonly string[], extra: readonly string[] = []): string[] {
  const forms = new Set<string>(extra);
  for (const raw of raws) {
    forms.add(raw);
    forms.add(raw.toUpperCase());
    forms.add([...raw].reverse().join(''));
    forms.add(Buffer.from(raw).toString('base64').replace(/=+$/, ''));
    forms.add(Buffer.from(raw).toString('hex'));
    const digits = raw.replace(/\D/g, '');
    if (digits.length >= 9) forms.add(digits);
    // The local part of an email alone identifies the person.
    if (raw.includes('@')) forms.add(raw.split('@')[0]!);
  }
  return [...forms];
}

/**
 * The forms found in `text`: as written, with whitespace runs folded (psql wraps wide values), and,
 * for all-digit forms, in the text's digits alone (a card number printed with separators).
 */
export function leaksIn(text: string, forms: readonly string[]): string[] {
  const flat = text.replace(/\s+/g, ' ');
  const digitsOnly = text.replace(/\D/g, '');
  return forms.filter(
    (f) => text.includes(f) || flat.includes(f) || (/^\d+$/.test(f) && digitsOnly.includes(f)),
  );
}
