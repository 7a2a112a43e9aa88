/**
 * @module The policy engine: decides every statement of a command with Cedar, one request per
 * statement, and combines the answers (deny beats review beats allow). A forbid annotated
 * `@airlock("review")` holds for approval, a plain forbid denies. Answers are cached per
 * (statement facts, principal attributes, connection), so a repeated statement costs a lookup.
 */
import {
  type AuthorizationAnswer,
  type EntityJson,
  type Response,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { StatementFacts } from '../core/command.js';
import { AirlockError } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import { type ConnectionPolicy, compileConnection, type GatherOptions } from './connection-policy.js';
import { LruCache } from './decision-cache.js';
import { actionEntity, factValue, principalEntity, resourceEntity, statementContext } from './entities.js';
import type { CompiledPolicySet } from './policy-set.js';
import { blockedBy, dynamicSqlBlock, type MatchedRule, unparsedBlock } from './reasons.js';
import {
  OUTCOME_RANK,
  type PolicyAllow,
  type PolicyConnection,
  type PolicyDecision,
  type PolicyResource,
} from './types.js';

/** What the engine is built from. */
export interface PolicyEngineOptions extends GatherOptions {
  readonly connections: readonly PolicyConnection[];
  /** Per-statement decisions kept (LRU). 0 turns caching off. Default 10,000. */
  readonly cacheSize?: number;
}

/** A command's statements, or why the classifier could not place it. */
export type PolicyInput = readonly StatementFacts[] | { readonly unparsed: string };

const DEFAULT_CACHE_SIZE = 10_000;
const ALLOW_DEFAULT: PolicyAllow = Object.freeze({ outcome: 'allow', rule: 'default' });
const NO_ENTITIES: EntityJson[] = [];

interface Keyed<T> {
  readonly key: string;
  readonly entity: T;
}

/** Decides statements against each connection's compiled Cedar policies. */
export class PolicyEngine {
  /** Policies that do not fit the schema (typos, unknown actions): worth logging, not fatal. */
  readonly warnings: readonly string[];
  readonly #connections = new Map<string, ConnectionPolicy>();
  readonly #fallback: ConnectionPolicy;
  readonly #cache: LruCache<PolicyDecision>;
  // Session objects are reused for every statement: remember their keys and entities by identity.
  readonly #principals = new WeakMap<Identity, Keyed<EntityJson>>();
  readonly #resources = new WeakMap<PolicyResource, Keyed<EntityJson>>();
  readonly #statementKeys = new WeakMap<StatementFacts, string>();
  readonly #actions = new Map<string, EntityJson>();

  /** Compiles every connection; throws `ERR_CONFIG_INVALID` listing all problems when any has one. */
  constructor(options: PolicyEngineOptions) {
    // The global policies alone: what a connection outside the configured list gets. Built first
    // so a broken global text is reported once, not once per connection.
    const fallback = compileConnection({ name: '', tags: {} }, options);
    const problems = [...fallback.problems];
    const warnings = [...fallback.warnings];
    if (fallback.policy) {
      for (const connection of options.connections) {
        const built = compileConnection(connection, options);
        problems.push(...built.problems);
        // The globals' warnings were reported once already.
        warnings.push(...built.warnings.filter((w) => !w.includes(': global policies')));
        if (built.policy) this.#connections.set(connection.name, built.policy);
      }
    }
    if (problems.length > 0 || !fallback.policy) {
      throw new AirlockError('ERR_CONFIG_INVALID', `policy: ${problems.join('; ')}`, {
        detail: problems.join('\n'),
      });
    }
    this.#fallback = fallback.policy;
    this.warnings = warnings;
    this.#cache = new LruCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  }

  /**
   * Decides a command: one Cedar request per statement, the strictest answer wins and the first
   * denied statement ends the work. A command the classifier could not place gets the connection's
   * `onUnparsed` outcome (deny or review, never allow), rule `unparsed`.
   */
  decide(identity: Identity, connection: PolicyResource, statements: PolicyInput): PolicyDecision {
    if (!Array.isArray(statements)) {
      const policy = this.#policyFor(connection.name);
      return unparsedBlock(policy.onUnparsed, (statements as { readonly unparsed: string }).unparsed);
    }
    // The first statement's answer stands unless a later one is stricter (so an allow names its rule).
    let strictest: PolicyDecision | undefined;
    for (const statement of statements as readonly StatementFacts[]) {
      const decision = this.decideStatement(identity, connection, statement);
      if (!strictest || OUTCOME_RANK[decision.outcome] > OUTCOME_RANK[strictest.outcome])
        strictest = decision;
      if (strictest.outcome === 'deny') break;
    }
    return strictest ?? ALLOW_DEFAULT;
  }

  /** Decides one statement (cached). */
  decideStatement(identity: Identity, connection: PolicyResource, statement: StatementFacts): PolicyDecision {
    const policy = this.#policyFor(connection.name);
    // Only permits: Cedar would allow everything, so skip the request (the common unguarded case).
    if (!policy.set.hasForbids) return ALLOW_DEFAULT;
    const principal = this.#principal(identity);
    const resource = this.#resource(connection);
    const key = `${resource.key}\n${principal.key}\n${this.#statementKey(statement)}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const decision = Object.freeze(this.#evaluate(policy.set, principal.entity, resource.entity, statement));
    this.#cache.set(key, decision);
    return decision;
  }

  /** The Cedar text a connection is decided with (shorthand compiled, files and globals included). */
  policyText(connectionName: string): string {
    return this.#policyFor(connectionName).set.text;
  }

  /** Cache hits, misses and size since the engine was built. */
  get cacheStats(): { readonly hits: number; readonly misses: number; readonly size: number } {
    return this.#cache.stats;
  }

  #evaluate(
    set: CompiledPolicySet,
    principal: EntityJson,
    resource: EntityJson,
    statement: StatementFacts,
  ): PolicyDecision {
    let answer: AuthorizationAnswer;
    try {
      answer = statefulIsAuthorized({
        principal: principal.uid,
        action: this.#action(statement.action).uid,
        resource: resource.uid,
        context: statementContext(statement),
        preparsedPolicySetId: set.id,
        entities: set.needsEntities ? [principal, this.#action(statement.action), resource] : NO_ENTITIES,
      });
    } catch (err) {
      // The binding throws only on malformed input; treat it like a refused request.
      const message = err instanceof Error ? err.message : String(err);
      answer = {
        type: 'failure',
        errors: [{ message, help: null, code: null, url: null, severity: null }],
        warnings: [],
      };
    }
    if (answer.type === 'failure') {
      // Fail closed: a request Cedar cannot evaluate is never allowed.
      const why = answer.errors.map((e) => e.message).join('; ');
      return { outcome: 'deny', rule: 'policy-error', reason: `the policy engine could not decide: ${why}` };
    }
    const decision = interpret(answer.response, set, statement);
    const strictest = set.strictest;
    const dynamic = statement.facts.dynamicSql;
    if (
      dynamic !== undefined &&
      factValue('dynamicSql', dynamic) === true &&
      strictest &&
      OUTCOME_RANK[strictest.effect] > OUTCOME_RANK[decision.outcome]
    ) {
      return dynamicSqlBlock(strictest, statement);
    }
    return decision;
  }

  #policyFor(name: string): ConnectionPolicy {
    return this.#connections.get(name) ?? this.#fallback;
  }

  #principal(identity: Identity): Keyed<EntityJson> {
    let keyed = this.#principals.get(identity);
    if (!keyed) {
      const entity = principalEntity(identity);
      // The attributes policies can see, and nothing else (token id and expiry do not matter).
      keyed = { key: JSON.stringify([identity.subject, entity.attrs, identity.groups]), entity };
      this.#principals.set(identity, keyed);
    }
    return keyed;
  }

  #resource(connection: PolicyResource): Keyed<EntityJson> {
    let keyed = this.#resources.get(connection);
    if (!keyed) {
      keyed = { key: JSON.stringify([connection.name, connection.tags]), entity: resourceEntity(connection) };
      this.#resources.set(connection, keyed);
    }
    return keyed;
  }

  #statementKey(statement: StatementFacts): string {
    let key = this.#statementKeys.get(statement);
    if (key === undefined) {
      key = JSON.stringify([statement.action, statement.objects, statement.facts]);
      this.#statementKeys.set(statement, key);
    }
    return key;
  }

  #action(action: string): EntityJson {
    let entity = this.#actions.get(action);
    if (!entity) {
      entity = actionEntity(action);
      this.#actions.set(action, entity);
    }
    return entity;
  }
}

/** Policy ids are `p<N>` in source order; sorting by N makes "first matching rule" deterministic. */
function policyOrder(id: string): number {
  return Number(id.slice(1));
}

/**
 * Turns Cedar's answer into Airlock's. Forbids that matched decide; so do forbids whose condition
 * raised an error (reading a fact the statement lacks without `has`): a guard that cannot be
 * evaluated counts as matched, never as passed.
 */
function interpret(response: Response, set: CompiledPolicySet, statement: StatementFacts): PolicyDecision {
  const matched: MatchedRule[] = [];
  const permits: string[] = [];
  for (const id of response.diagnostics.reason) {
    const info = set.rules.get(id);
    if (!info) continue;
    if (info.effect === 'allow') permits.push(id);
    else matched.push({ id, info });
  }
  for (const { policyId, error } of response.diagnostics.errors) {
    const info = set.rules.get(policyId);
    if (info && info.effect !== 'allow') matched.push({ id: policyId, info, error: error.message });
  }
  if (matched.length === 0) {
    if (response.decision === 'deny') return blockedBy(undefined, statement);
    const rules = permits
      .sort((a, b) => policyOrder(a) - policyOrder(b))
      .map((id) => set.rules.get(id)!.rule);
    const rule = rules.find((name) => name !== 'default') ?? 'default';
    return rule === 'default' ? ALLOW_DEFAULT : { outcome: 'allow', rule };
  }
  matched.sort((a, b) => policyOrder(a.id) - policyOrder(b.id));
  return blockedBy(matched.find((m) => m.info.effect === 'deny') ?? matched[0], statement);
}
