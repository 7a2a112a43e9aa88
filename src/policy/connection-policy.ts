/**
 * @module Everything that applies to one connection, gathered into one policy set: the default
 * permit (guardrails restrict; access was checked when the session opened), global policies, the
 * compiled `guardrails:` shorthand and the connection's own `.cedar` files.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { buildPolicySet, type CompiledPolicySet, type PolicySource } from './policy-set.js';
import { compileGuardrails } from './shorthand.js';
import type { PolicyConnection, UnparsedOutcome } from './types.js';

/** The permit every set starts with; its `@id` is the rule allowed statements report. */
export const DEFAULT_PERMIT = '@id("default")\npermit (principal, action, resource);\n';

/** A connection's compiled policies. */
export interface ConnectionPolicy {
  readonly set: CompiledPolicySet;
  readonly onUnparsed: UnparsedOutcome;
}

/** How connection policies are gathered. */
export interface GatherOptions {
  /** Cedar texts applied to every connection. */
  readonly globalPolicies?: readonly string[];
  /** Reads a `.cedar` file (UTF-8). */
  readonly readFile?: (path: string) => string;
}

/** A compiled connection, or the problems that stop it from compiling. */
export interface ConnectionPolicyBuild {
  readonly policy?: ConnectionPolicy;
  readonly problems: string[];
  readonly warnings: string[];
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The global texts as sources; generated names read `global:policyN` (`global2:...` for the 2nd). */
export function globalSources(texts: readonly string[] = []): PolicySource[] {
  return texts.map((text, index) => ({
    origin: index === 0 ? 'global policies' : `global policies #${index + 1}`,
    label: index === 0 ? 'global' : `global${index + 1}`,
    text,
    validate: true,
  }));
}

/**
 * Compiles one connection. Problems (unknown shorthand, unreadable or invalid Cedar, bad
 * annotations) prevent a policy: a guardrail that does not compile must never be silently absent.
 */
export function compileConnection(
  connection: PolicyConnection,
  options: GatherOptions = {},
): ConnectionPolicyBuild {
  const readFile = options.readFile ?? readUtf8;
  const guardrails = connection.guardrails;
  const problems: string[] = [];
  const sources: PolicySource[] = [
    { origin: 'built-in', label: 'default', text: DEFAULT_PERMIT, selfContained: true },
    ...globalSources(options.globalPolicies),
  ];
  if (guardrails) {
    const compiled = compileGuardrails(guardrails, connection.name);
    problems.push(...compiled.problems);
    // Validated too: a shorthand policy that does not fit the schema is a bug worth hearing about.
    sources.push({
      origin: 'guardrails',
      label: 'guardrails',
      text: compiled.cedar,
      validate: true,
      selfContained: true,
    });
    for (const path of guardrails.policies) {
      try {
        sources.push({ origin: path, label: basename(path), text: readFile(path), validate: true });
      } catch (err) {
        problems.push(`guardrails.policies: cannot read ${path}: ${(err as Error).message}`);
      }
    }
  }
  const built = buildPolicySet(sources);
  problems.push(...built.problems);
  // The nameless connection is the engine's globals-only fallback: its problems are the globals'.
  const prefix = (line: string) => (connection.name === '' ? line : `connection ${connection.name}: ${line}`);
  if (problems.length > 0 || !built.set) {
    return { problems: problems.map(prefix), warnings: built.warnings.map(prefix) };
  }
  return {
    policy: { set: built.set, onUnparsed: guardrails?.onUnparsed ?? 'deny' },
    problems: [],
    warnings: built.warnings.map(prefix),
  };
}
