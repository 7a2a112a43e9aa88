/**
 * @module CLI input/output conventions: `--json` prints a JSON array (an object for `show`), times
 * are ISO-8601, a created id or token is the last line of stdout, errors go to stderr with what to
 * do next, and the exit status comes from the error catalog.
 */
import type { Writable } from 'node:stream';
import { isAirlockError, toAirlockError } from '../core/errors.js';

/** Where a CLI run reads and writes; tests pass their own. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Writes one line to stdout. */
export function say(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** Writes a value as pretty JSON. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A column of a human table. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | null | undefined;
}

/** Prints rows as an aligned text table. */
export function printTable<T>(io: CliIo, rows: readonly T[], columns: readonly Column<T>[]): void {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row) ?? '-')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  say(io, line(columns.map((c) => c.header)));
  for (const row of cells) say(io, line(row));
  if (rows.length === 0) say(io, '(none)');
}

/** Prints an error the way every command does and returns the exit status. */
export function reportError(io: CliIo, thrown: unknown): number {
  const err = toAirlockError(thrown);
  io.stderr.write(`error: ${err.userMessage}\n`);
  if (err.detail) io.stderr.write(`${err.detail}\n`);
  io.stderr.write(`${err.action}\n`);
  if (!isAirlockError(thrown) || err.code === 'ERR_INTERNAL') {
    io.stderr.write(`(${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)})\n`);
  }
  return err.entry.exit;
}
