/**
 * @module The StartupMessage `options` parameter, in libpq's syntax: arguments separated by
 * whitespace, a backslash makes the next character literal. Airlock reads its own settings from it
 * (`-c airlock.reason=...`, `-cairlock.reason=...`, `--airlock.reason=...`) and removes them before
 * the options travel upstream, where PostgreSQL would reject an unknown `airlock.*` parameter.
 * @see https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-OPTIONS
 */

const WHITESPACE = /\s/;

/** Splits `options` as PostgreSQL's `pg_split_opts` does. */
export function splitOptions(options: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < options.length) {
    while (i < options.length && WHITESPACE.test(options[i]!)) i++;
    if (i >= options.length) break;
    let arg = '';
    while (i < options.length && !WHITESPACE.test(options[i]!)) {
      if (options[i] === '\\' && i + 1 < options.length) i++;
      arg += options[i];
      i++;
    }
    args.push(arg);
  }
  return args;
}

/** Joins arguments back, escaping whitespace and backslashes, so `splitOptions` reverses it. */
export function joinOptions(args: readonly string[]): string {
  return args.map((arg) => arg.replace(/[\s\\]/g, (c) => `\\${c}`)).join(' ');
}

/** Airlock's own settings and the options that remain for the upstream. */
export interface AirlockOptions {
  /** `airlock.*` settings by name without the prefix (lower case), e.g. `reason`. */
  readonly settings: ReadonlyMap<string, string>;
  /** The options string without them; empty when nothing remains. */
  readonly upstream: string;
}

/** Parses `name=value`; PostgreSQL folds `-` to `_` for `--name=value` and names are case-insensitive. */
function setting(text: string, dashes: boolean): [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) return undefined;
  let name = text.slice(0, eq).toLowerCase();
  if (dashes) name = name.replace(/-/g, '_');
  return [name, text.slice(eq + 1)];
}

/** Extracts `airlock.*` settings from `options`. */
export function extractAirlockOptions(options: string | undefined): AirlockOptions {
  const settings = new Map<string, string>();
  if (!options) return { settings, upstream: '' };
  const args = splitOptions(options);
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let parsed: [string, string] | undefined;
    let consumed = 1;
    if (arg === '-c' && i + 1 < args.length) {
      parsed = setting(args[i + 1]!, false);
      consumed = 2;
    } else if (arg.startsWith('-c') && arg.length > 2) {
      parsed = setting(arg.slice(2), false);
    } else if (arg.startsWith('--')) {
      parsed = setting(arg.slice(2), true);
    }
    if (parsed?.[0].startsWith('airlock.')) {
      settings.set(parsed[0].slice('airlock.'.length), parsed[1]);
      i += consumed - 1;
    } else {
      kept.push(arg);
    }
  }
  return { settings, upstream: joinOptions(kept) };
}
