/**
 * @module Wire messages → protocol-neutral Commands, one small named function per message kind (as
 * Teleport's `events.go` does), so what the gate decides and the journal records is visible in one
 * place. SQL text is classified by the real PostgreSQL parser (`classify/`); the facts ride on the
 * command so the gate's policy decides every statement.
 */
import type { Command } from '../../core/command.js';
import { type ClassifiedSql, classifySql, isClassifierReady, type PreparedLookup } from './classify/index.js';
import type { BindMessage, FunctionCallMessage } from './codec/messages.js';

const UNCLASSIFIED = 'sql.unclassified';
const NO_OBJECTS: readonly string[] = Object.freeze([]);

type Classification = Pick<Command, 'action' | 'objects' | 'statements' | 'unparsed'>;

const NOT_LOADED: Classification = Object.freeze({
  action: UNCLASSIFIED,
  objects: NO_OBJECTS,
  statements: [],
  unparsed: 'the SQL parser is not loaded',
});

// Keyed by the classifier's cached result, so a repeated statement reuses one summary object.
const summaries = new WeakMap<ClassifiedSql, Classification>();

/**
 * What the gate and the audit row need from the classifier's answer for `text`. `prepared` names the
 * session's SQL-level prepared statements, so `EXECUTE name` is judged by its body.
 */
function classify(text: string, prepared: PreparedLookup | undefined): Classification {
  // The engine loads the parser before its first session; if it somehow is not loaded, the
  // command fails closed instead of throwing inside a socket handler.
  if (!isClassifierReady()) return NOT_LOADED;
  const result = prepared ? classifySql(text, { prepared }) : classifySql(text);
  let summary = summaries.get(result);
  if (summary) return summary;
  if (!result.ok) {
    summary = { action: UNCLASSIFIED, objects: NO_OBJECTS, statements: [], unparsed: result.reason };
  } else {
    const actions = [...new Set(result.statements.map((s) => s.action))];
    const objects = [...new Set(result.statements.flatMap((s) => s.objects))].sort();
    summary = {
      action: actions.length === 0 ? 'sql.empty' : actions.join(','),
      objects,
      statements: result.statements,
    };
  }
  summaries.set(result, summary);
  return summary;
}

/** What a Bind left behind for its portal: the statement text and its parameters as audit strings. */
export interface PortalState {
  readonly text: string;
  readonly parameters: readonly (string | null)[];
}

/** A simple-protocol Query: the whole text (possibly several statements) is one command. */
export function auditQuery(id: number, text: string, prepared?: PreparedLookup): Command {
  return { id, channel: 'simple', text, ...classify(text, prepared) };
}

/** A Parse, for `gate.decide`: decided when prepared, journaled only when executed (or refused). */
export function auditParse(id: number, text: string, prepared?: PreparedLookup): Command {
  return { id, channel: 'extended', text, ...classify(text, prepared) };
}

/** One parameter as the audit shows it: text as is, binary as `\x` hex, NULL as null. */
function auditValue(value: Buffer | null, format: number): string | null {
  if (value === null) return null;
  return format === 1 ? `\\x${value.toString('hex')}` : value.toString('utf8');
}

/** Format code of parameter `i`: none listed = text, one = all, else per parameter. */
function formatOf(formats: readonly number[], i: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[i] ?? 0;
}

/** A Bind's parameters as audit strings (copied out of the frame, so they outlive it). */
export function auditBind(message: BindMessage): (string | null)[] {
  return message.parameters.map((value, i) => auditValue(value, formatOf(message.parameterFormats, i)));
}

/** An Execute of a bound portal: the statement text with the portal's parameters. */
export function auditExecute(id: number, portal: PortalState, prepared?: PreparedLookup): Command {
  return {
    id,
    channel: 'extended',
    text: portal.text,
    parameters: portal.parameters,
    ...classify(portal.text, prepared),
  };
}

/** A FunctionCall: there is no SQL text, only the function's OID and its arguments. */
export function auditFunctionCall(id: number, message: FunctionCallMessage): Command {
  return {
    id,
    channel: 'function-call',
    text: `function-call oid=${message.oid}`,
    parameters: message.arguments.map((value, i) => auditValue(value, formatOf(message.argumentFormats, i))),
    action: UNCLASSIFIED,
    objects: NO_OBJECTS,
  };
}

/** The text recorded for a portal or statement Airlock did not see prepared (SQL PREPARE, DECLARE). */
export function unknownPortalText(kind: 'statement' | 'portal', name: string): string {
  return `/* ${kind} "${name}" was not prepared through this Airlock session */`;
}
