/**
 * @module Policy: guardrail shorthand compiled to Cedar, the entity model and the engine that decides
 * each statement. docs/policy.md documents the model for users writing their own policies.
 */
export {
  type ConnectionPolicyBuild,
  compileConnection,
  DEFAULT_PERMIT,
  type GatherOptions,
} from './connection-policy.js';
export { LruCache } from './decision-cache.js';
export { PolicyEngine, type PolicyEngineOptions, type PolicyInput } from './engine.js';
export {
  actionEntity,
  EntityType,
  FACT_TYPES,
  principalEntity,
  resourceEntity,
  statementContext,
} from './entities.js';
export { cedarSchema, KNOWN_SQL_ACTIONS } from './schema.js';
export { type CompiledGuardrails, compileGuardrails } from './shorthand.js';
export { RECOMMENDED_DENY, SHORTHAND_NAMES, SHORTHAND_RULES, type ShorthandRule } from './shorthand-rules.js';
export type {
  GuardrailConfig,
  PolicyAllow,
  PolicyBlock,
  PolicyConnection,
  PolicyDecision,
  PolicyResource,
  UnparsedOutcome,
} from './types.js';
export { OUTCOME_RANK } from './types.js';
