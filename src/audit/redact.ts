/**
 * @module Password-literal redaction for statement text before it is journaled. A small SQL lexer
 * (PostgreSQL's lexical rules) finds string literals, so quotes inside comments, identifiers and
 * other literals cannot fool it, and replaces the secret ones with `'***'`:
 *  - the literal after the word PASSWORD (`CREATE|ALTER ROLE|USER ... [ENCRYPTED] PASSWORD '...'`,
 *    `OPTIONS (password '...')` of user mappings and servers), an optional `=` allowed between;
 *  - any literal containing `password=` / `password =` (libpq connection strings: dblink_connect,
 *    CREATE SUBSCRIPTION ... CONNECTION) or a URI with a password (`postgresql://user:pw@host`).
 * Dollar-quoted bodies (DO blocks, function bodies) are SQL themselves and are redacted recursively.
 * Everything else is kept byte for byte.
 */

/** Text that replaces a secret literal. */
export const REDACTED_LITERAL = "'***'";

const MAX_DEPTH = 8;

/** Character codes the lexer branches on. */
const C = {
  QUOTE: 0x27, // '
  DQUOTE: 0x22, // "
  DOLLAR: 0x24, // $
  DASH: 0x2d, // -
  SLASH: 0x2f, // /
  STAR: 0x2a, // *
  BACKSLASH: 0x5c, // \
  NEWLINE: 0x0a,
  EQUALS: 0x3d, // =
  AMP: 0x26, // &
} as const;

/** Identifier start: letter, underscore or any non-ASCII character (PostgreSQL's rule). */
function isIdentStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code >= 0x80;
}

/** Identifier continuation: also digits and `$`. */
function isIdentChar(code: number): boolean {
  return isIdentStart(code) || (code >= 0x30 && code <= 0x39) || code === C.DOLLAR;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0c || code === 0x0b;
}

/** What the lexer reports for each significant token. */
type TokenKind = 'word' | 'literal' | 'dollar' | 'quoted-ident' | 'other';

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** Dollar-quoted literals: where the body lies between the tags. */
  bodyStart?: number;
  bodyEnd?: number;
}

/**
 * Returns `text` with password literals replaced by `'***'`.
 *
 * Fast path: a statement that never spells "password" (in any case) and holds no `://` cannot
 * contain anything this function would redact, so it is returned as is without lexing; that is
 * nearly every statement, and the check is one scan with no allocation.
 */
export function redactSecrets(text: string): string {
  if (!mayHoldSecret(text)) return text;
  return redactAt(text, 0);
}

function mayHoldSecret(text: string): boolean {
  return /password/i.test(text) || text.includes('://');
}

/** A literal's text (without quotes) holds a connection string password or a URI password. */
function literalHoldsSecret(body: string): boolean {
  return /password\s*=/i.test(body) || /[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(body);
}

/**
 * `'***'`, padded with a space where a neighbour would fuse with it into a different token (a
 * `$$..$$` literal directly followed by `'`, or preceded by `'` or `U&`): without the pad, the next
 * pass would lex the output differently, and redaction would not be idempotent.
 */
function replacementFor(text: string, token: Token): string {
  const before = token.start > 0 ? text.charCodeAt(token.start - 1) : -1;
  const after = token.end < text.length ? text.charCodeAt(token.end) : -1;
  const padBefore = before === C.QUOTE || before === C.AMP ? ' ' : '';
  const padAfter = after === C.QUOTE ? ' ' : '';
  return padBefore + REDACTED_LITERAL + padAfter;
}

function redactAt(text: string, depth: number): string {
  const edits: { start: number; end: number; replacement: string }[] = [];
  // 'keyword' right after PASSWORD; 'equals' after PASSWORD =. A literal in either state is secret.
  let state: 'none' | 'keyword' | 'equals' = 'none';
  for (const token of lex(text)) {
    if (token.kind === 'literal' || token.kind === 'dollar') {
      const raw = text.slice(token.start, token.end);
      if (state !== 'none' || literalHoldsSecret(raw)) {
        if (raw !== REDACTED_LITERAL)
          edits.push({ start: token.start, end: token.end, replacement: replacementFor(text, token) });
      } else if (token.kind === 'dollar' && depth < MAX_DEPTH) {
        const body = text.slice(token.bodyStart, token.bodyEnd);
        const redacted = mayHoldSecret(body) ? redactAt(body, depth + 1) : body;
        if (redacted !== body)
          edits.push({ start: token.bodyStart!, end: token.bodyEnd!, replacement: redacted });
      }
      state = 'none';
    } else if (state === 'keyword' && token.kind === 'other' && text.charCodeAt(token.start) === C.EQUALS) {
      state = 'equals';
    } else if (token.kind === 'word') {
      state =
        token.end - token.start === 8 && text.slice(token.start, token.end).toLowerCase() === 'password'
          ? 'keyword'
          : 'none';
    } else if (token.kind === 'quoted-ident') {
      state = text.slice(token.start, token.end) === '"password"' ? 'keyword' : 'none';
    } else {
      state = 'none';
    }
  }
  if (edits.length === 0) return text;
  let out = '';
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.replacement;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** Yields significant tokens (whitespace and comments are skipped). Never throws. */
function* lex(text: string): Generator<Token> {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    if (isSpace(c)) {
      i++;
    } else if (c === C.DASH && next === C.DASH) {
      const nl = text.indexOf('\n', i + 2);
      i = nl < 0 ? n : nl + 1;
    } else if (c === C.SLASH && next === C.STAR) {
      i = skipBlockComment(text, i);
    } else if (c === C.QUOTE) {
      const end = skipQuoted(text, i, false);
      yield { kind: 'literal', start: i, end };
      i = end;
    } else if (c === C.DQUOTE) {
      const end = skipQuotedIdentifier(text, i);
      yield { kind: 'quoted-ident', start: i, end };
      i = end;
    } else if (c === C.DOLLAR && (next === C.DOLLAR || isIdentStart(next))) {
      const token = dollarQuoted(text, i);
      if (token) {
        yield token;
        i = token.end;
      } else {
        yield { kind: 'other', start: i, end: i + 1 };
        i++;
      }
    } else if (isIdentChar(c)) {
      let end = i + 1;
      while (end < n && isIdentChar(text.charCodeAt(end))) end++;
      const prefixed = stringPrefix(text, i, end);
      if (prefixed) {
        yield prefixed;
        i = prefixed.end;
      } else {
        yield { kind: 'word', start: i, end };
        i = end;
      }
    } else {
      yield { kind: 'other', start: i, end: i + 1 };
      i++;
    }
  }
}

/** `E'...'`, `U&'...'`, `B'...'`, `X'...'`, `N'...'`: a prefix word glued to a literal. */
function stringPrefix(text: string, start: number, wordEnd: number): Token | undefined {
  if (wordEnd - start !== 1) return undefined;
  const prefix = text.charCodeAt(start) | 0x20; // lower-case ASCII letter
  const quoteAt = text.charCodeAt(wordEnd);
  if (quoteAt === C.QUOTE && (prefix === 0x65 || prefix === 0x62 || prefix === 0x78 || prefix === 0x6e)) {
    return { kind: 'literal', start, end: skipQuoted(text, wordEnd, prefix === 0x65) };
  }
  if (prefix === 0x75 && quoteAt === C.AMP && text.charCodeAt(wordEnd + 1) === C.QUOTE) {
    return { kind: 'literal', start, end: skipQuoted(text, wordEnd + 1, false) };
  }
  return undefined;
}

/** End of a '...' literal starting at `quote`; `''` escapes, and `\x` too for E'' strings. */
function skipQuoted(text: string, quote: number, backslashEscapes: boolean): number {
  const n = text.length;
  let i = quote + 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (backslashEscapes && c === C.BACKSLASH) {
      i += 2;
    } else if (c === C.QUOTE) {
      if (text.charCodeAt(i + 1) === C.QUOTE) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return n; // unterminated: the literal runs to the end (and is still redacted if secret)
}

function skipQuotedIdentifier(text: string, quote: number): number {
  const n = text.length;
  let i = quote + 1;
  while (i < n) {
    if (text.charCodeAt(i) === C.DQUOTE) {
      if (text.charCodeAt(i + 1) === C.DQUOTE) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return n;
}

/** Nested `/* ... *\/` comments, as PostgreSQL allows. Returns the index after the comment. */
function skipBlockComment(text: string, open: number): number {
  const n = text.length;
  let depth = 1;
  let i = open + 2;
  while (i < n && depth > 0) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === C.SLASH && next === C.STAR) {
      depth++;
      i += 2;
    } else if (c === C.STAR && next === C.SLASH) {
      depth--;
      i += 2;
    } else {
      i++;
    }
  }
  return Math.min(i, n);
}

/** `$tag$ ... $tag$` (tag may be empty). Undefined when `$` does not open a dollar quote. */
function dollarQuoted(text: string, dollar: number): Token | undefined {
  const n = text.length;
  let i = dollar + 1;
  if (text.charCodeAt(i) !== C.DOLLAR) {
    while (i < n && isIdentChar(text.charCodeAt(i)) && text.charCodeAt(i) !== C.DOLLAR) i++;
    if (text.charCodeAt(i) !== C.DOLLAR) return undefined;
  }
  const tag = text.slice(dollar, i + 1);
  const bodyStart = i + 1;
  const close = text.indexOf(tag, bodyStart);
  if (close < 0) return { kind: 'dollar', start: dollar, end: n, bodyStart, bodyEnd: n };
  return { kind: 'dollar', start: dollar, end: close + tag.length, bodyStart, bodyEnd: close };
}
