/**
 * @module Turns Cedar texts (compiled shorthand, `.cedar` files, global policies) into one
 * preparsed policy set per connection, and remembers for each policy what the engine needs at
 * decision time: its rule name (`@id`), its effect (allow, deny, or review for a forbid annotated
 * `@airlock("review")`), where it came from, and how to word its reason.
 */
import { createHash } from 'node:crypto';
import {
  type DetailedError,
  policySetTextToParts,
  policyToJson,
  preparsePolicySet,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
import { cedarSchema } from './schema.js';

/** One Cedar text and where it came from. */
export interface PolicySource {
  /** Shown in problems: a file path, `guardrails` or `global`. */
  readonly origin: string;
  /** Prefix of generated rule names for policies without `@id`: `<label>:policy<N>`. */
  readonly label: string;
  readonly text: string;
  /** Check the policies against the schema and report what does not fit as warnings. */
  readonly validate?: boolean;
  /**
   * Its policies read only the action and resource ids and the context, never entity data
   * (attributes, groups, tags): true for the default permit and the compiled shorthand.
   */
  readonly selfContained?: boolean;
}

/** What a policy does when it matches. */
export type RuleEffect = 'allow' | 'deny' | 'review';

/** What the engine knows about one policy of a set. */
export interface RuleInfo {
  /** The name decisions report: `@id`, or `<label>:policy<N>`. */
  readonly rule: string;
  readonly effect: RuleEffect;
  readonly origin: string;
  /** The shorthand name it was compiled from (`@guardrail`), which words the reason. */
  readonly guardrail?: string;
  /** The policy's `@reason("...")` annotation, put in front of the statement's description. */
  readonly note?: string;
}

/** A preparsed policy set and what its policies mean. */
export interface CompiledPolicySet {
  /** The id `statefulIsAuthorized` knows it by (content-derived: equal sets share one). */
  readonly id: string;
  /** Rule facts by Cedar policy id. */
  readonly rules: ReadonlyMap<string, RuleInfo>;
  /** Every policy's text, in order, for `policy test` and debugging. */
  readonly text: string;
  /** False when only permits exist: every request is allowed without asking Cedar. */
  readonly hasForbids: boolean;
  /** The strictest forbid (first plain one, else first review one): what dynamic SQL gets. */
  readonly strictest: RuleInfo | undefined;
  /**
   * False when every policy is self-contained: requests then carry no entities, which is most of a
   * Cedar request's cost (each entity crosses into wasm and is parsed there).
   */
  readonly needsEntities: boolean;
}

/** The result of building a set: a set only when there are no problems. */
export interface PolicySetBuild {
  readonly set?: CompiledPolicySet;
  readonly problems: string[];
  readonly warnings: string[];
}

// preparsePolicySet stores sets in the wasm instance for the process's life; sets are keyed by
// content so rebuilding an unchanged config (reload, tests) reuses them instead of growing the store.
const preparsed = new Set<string>();

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

function describeError(error: DetailedError, text?: string): string {
  const at =
    text !== undefined && error.sourceLocations?.[0]
      ? `${lineColumn(text, error.sourceLocations[0].start)}: `
      : '';
  const label = error.sourceLocations?.[0]?.label;
  return `${at}${error.message}${label ? ` (${label})` : ''}${error.help ? `; ${error.help}` : ''}`;
}

/**
 * `policySetTextToParts` returns policies sorted by their generated ids as strings (`policy0`,
 * `policy1`, `policy10`, `policy2`...). Undo that so file order, generated names and "first
 * matching rule" mean what the author wrote.
 */
export function inSourceOrder(policies: readonly string[]): string[] {
  const ids = policies.map((_, index) => `policy${index}`).sort();
  const ordered = new Array<string>(policies.length);
  ids.forEach((id, position) => {
    ordered[Number(id.slice(6))] = policies[position]!;
  });
  return ordered;
}

function ruleInfo(
  policy: string,
  index: number,
  source: PolicySource,
  problems: string[],
): RuleInfo | undefined {
  const parsed = policyToJson(policy);
  if (parsed.type === 'failure') {
    problems.push(`${source.origin}: ${parsed.errors.map((e) => describeError(e)).join('; ')}`);
    return undefined;
  }
  const annotations = parsed.json.annotations ?? {};
  const rule = annotations.id || `${source.label}:policy${index}`;
  const marker = annotations.airlock;
  if (marker !== undefined && marker !== 'review' && marker !== 'deny') {
    problems.push(
      `${source.origin}: ${rule}: @airlock("${marker}") is not known; use @airlock("review") or leave it out`,
    );
  }
  if (marker === 'review' && parsed.json.effect === 'permit') {
    problems.push(`${source.origin}: ${rule}: @airlock("review") holds only on a forbid, not on a permit`);
  }
  const effect: RuleEffect =
    parsed.json.effect === 'permit' ? 'allow' : marker === 'review' ? 'review' : 'deny';
  return {
    rule,
    effect,
    origin: source.origin,
    ...(annotations.guardrail ? { guardrail: annotations.guardrail } : {}),
    ...(annotations.reason ? { note: annotations.reason } : {}),
  };
}

function validationWarnings(
  policies: Record<string, string>,
  rules: ReadonlyMap<string, RuleInfo>,
  checked: ReadonlySet<string>,
): string[] {
  if (checked.size === 0) return [];
  const subset: Record<string, string> = {};
  for (const id of checked) subset[id] = policies[id]!;
  const answer = validate({
    schema: cedarSchema(),
    policies: { staticPolicies: subset },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') return answer.errors.map((e) => `schema: ${describeError(e)}`);
  return [...answer.validationErrors, ...answer.validationWarnings].map(({ policyId, error }) => {
    const info = rules.get(policyId);
    const message = describeError({ ...error, sourceLocations: [] }).replace(/^for policy `[^`]*`, /, '');
    return `${info?.origin ?? 'policy'}: ${info?.rule ?? policyId}: ${message}`;
  });
}

/** Parses, annotates and preparses `sources` as one set, in order. */
export function buildPolicySet(sources: readonly PolicySource[]): PolicySetBuild {
  const problems: string[] = [];
  const policies: Record<string, string> = {};
  const rules = new Map<string, RuleInfo>();
  const checked = new Set<string>();
  let needsEntities = false;
  for (const source of sources) {
    const parts = policySetTextToParts(source.text);
    if (parts.type === 'failure') {
      problems.push(`${source.origin}: ${parts.errors.map((e) => describeError(e, source.text)).join('; ')}`);
      continue;
    }
    if (!source.selfContained && parts.policies.length > 0) needsEntities = true;
    if (parts.policy_templates.length > 0) {
      problems.push(`${source.origin}: policy templates (?principal, ?resource) are not supported`);
    }
    inSourceOrder(parts.policies).forEach((policy, index) => {
      const info = ruleInfo(policy, index, source, problems);
      if (!info) return;
      const id = `p${rules.size}`;
      policies[id] = policy;
      rules.set(id, info);
      if (source.validate) checked.add(id);
    });
  }
  const warnings = validationWarnings(policies, rules, checked);
  if (problems.length > 0) return { problems, warnings };

  const id = `airlock-${createHash('sha256').update(JSON.stringify(policies)).digest('hex').slice(0, 32)}`;
  if (!preparsed.has(id)) {
    const answer = preparsePolicySet(id, { staticPolicies: policies });
    if (answer.type === 'failure') {
      return { problems: answer.errors.map((e) => `policies: ${describeError(e)}`), warnings };
    }
    preparsed.add(id);
  }
  const infos = [...rules.values()];
  const strictest = infos.find((r) => r.effect === 'deny') ?? infos.find((r) => r.effect === 'review');
  return {
    set: {
      id,
      rules,
      text: Object.values(policies).join('\n\n'),
      hasForbids: strictest !== undefined,
      strictest,
      needsEntities,
    },
    problems,
    warnings,
  };
}
