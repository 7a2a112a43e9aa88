/**
 * @module The collector every config validator writes to. A problem names the key path and says
 * what was expected and what was received, so one `config check` run lists everything to fix.
 * Values are shown only where they cannot be secret; callers pass `{ secret: true }` otherwise.
 */

/** A plain object read from YAML (a mapping). */
export type YamlMap = Record<string, unknown>;

/** Options for describing a received value. */
export interface DescribeOptions {
  /** Describe only the type, never the value (passwords). */
  readonly secret?: boolean;
}

/** Problems and warnings found while validating one file. */
export class Findings {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  /** Records `path: expected EXPECTED, received RECEIVED`. */
  expected(path: string, expected: string, received: unknown, options: DescribeOptions = {}): void {
    this.problems.push(`${path}: expected ${expected}, received ${describe(received, options)}`);
  }

  /** Records that a required key is absent. */
  missing(path: string, expected: string): void {
    this.problems.push(`${path}: required key is missing (expected ${expected})`);
  }

  problem(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  warn(path: string, message: string): void {
    this.warnings.push(`${path}: ${message}`);
  }
}

/** `a.b`, `a[0]`, or the bare key at the top level. */
export function keyPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** True for a YAML mapping (not a list, not null). */
export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks `map` has only `allowed` keys; each other key is a problem with a close-match suggestion.
 * `where` is the key path of the map (empty at the top level).
 */
export function checkKeys(findings: Findings, where: string, map: YamlMap, allowed: readonly string[]): void {
  for (const key of Object.keys(map)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestKey(key, allowed);
    const at = where === '' ? 'at top level' : `in ${where}`;
    const hint =
      suggestion === undefined ? `; known keys: ${allowed.join(', ')}` : ` (did you mean "${suggestion}"?)`;
    findings.problems.push(`unknown key "${key}" ${at}${hint}`);
  }
}

/** How a received value reads in a problem: strings quoted, numbers bare, structures by kind. */
export function describe(value: unknown, options: DescribeOptions = {}): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (options.secret) return `a ${typeof value}`;
  if (typeof value === 'string') return JSON.stringify(redactUrlPassword(value));
  return String(value);
}

/** Replaces the password of a `scheme://user:password@host` URL, so store URLs never leak it. */
export function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** The allowed key closest to `key`, when it is close enough to be a plausible typo. */
export function closestKey(key: string, allowed: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Two edits catch most typos; longer keys tolerate a third (e.g. "groupClaims" for "groupsClaim").
  const limit = key.length > 8 ? 3 : 2;
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return d[rows * cols - 1]!;
}
