/**
 * @module The options of a `COPY ... TO` statement as masking needs them: the format Airlock can
 * rewrite (text or CSV), the header, and the first option it does not support.
 */
import { type AstObject, listOf, nodeOf, str, stringNode } from '../classify/ast.js';

/** What masking reads from COPY's options. */
export interface CopyOptions {
  readonly binary: boolean;
  readonly csv: boolean;
  readonly header: boolean;
  /** The first option (or format) masking cannot rewrite. */
  readonly unsupported?: string;
}

/** Reads the options of a CopyStmt. */
export function copyOptions(copy: AstObject): CopyOptions {
  let binary = false;
  let csv = false;
  let header = false;
  let unsupported: string | undefined;
  for (const option of listOf(copy.options)) {
    const def = nodeOf(option, 'DefElem');
    const name = str(def, 'defname') ?? '';
    const arg = def?.arg;
    const text = stringNode(arg) ?? str(nodeOf(arg, 'String'), 'sval');
    if (name === 'format') {
      if (text === 'binary') binary = true;
      else if (text === 'csv') csv = true;
      else if (text !== 'text') unsupported ??= `FORMAT ${text}`;
    } else if (name === 'header') {
      header =
        arg === undefined || nodeOf(arg, 'Boolean')?.boolval === true || text === 'true' || text === 'on';
    } else unsupported ??= name.toUpperCase();
  }
  return { binary, csv, header, ...(unsupported ? { unsupported } : {}) };
}
