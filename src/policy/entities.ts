/**
 * @module Cedar request parts from Airlock's model: the principal entity (an identity, its groups as
 * parents, its delegation chain as attributes), the action entity (`Airlock::Action::"sql.delete"`
 * under its protocol group `Airlock::Action::"sql"`), the resource entity (the connection, its tags
 * as Cedar entity tags) and the context (the statement's facts). docs/policy.md shows the model.
 */
import type { CedarValueJson, Context, EntityJson, TypeAndId } from '@cedar-policy/cedar-wasm/nodejs';
import type { FactValue, StatementFacts } from '../core/command.js';
import type { Identity } from '../core/identity.js';
import type { PolicyResource } from './types.js';

/** Cedar entity type names, in one place so policies, schema and requests agree. */
export const EntityType = {
  Identity: 'Airlock::Identity',
  Group: 'Airlock::Group',
  Action: 'Airlock::Action',
  Connection: 'Airlock::Connection',
} as const;

/**
 * How each known fact reaches Cedar. `flag`: true when the classifier gave any truthy value (a
 * program string, a non-empty list), so a fact that names what it found still reads as a Bool.
 * `proof`: true only for exactly `true` (bounded): anything else must not read as safe. Unknown
 * fact names pass through as they are, so new classifier facts need no change here.
 */
export const FACT_TYPES = {
  bounded: 'proof',
  writableCte: 'flag',
  explainAnalyze: 'flag',
  copyDirection: 'string',
  copyProgram: 'flag',
  copyFile: 'flag',
  copyStdio: 'flag',
  dynamicSql: 'flag',
  callsUserFunction: 'flag',
  dangerousFunctions: 'set',
  createsRoutine: 'flag',
  innerActions: 'set',
  innerUnbounded: 'flag',
  setsRole: 'flag',
  settings: 'set',
  multiStatement: 'long',
  statementIndex: 'long',
  targets: 'set',
  preparedAction: 'string',
  explainedAction: 'string',
  embeddedIn: 'string',
  objectType: 'string',
  cascade: 'flag',
  securityDefiner: 'flag',
  routineLanguage: 'string',
  transactionKind: 'string',
  upsert: 'flag',
  rowLocks: 'flag',
  readWrite: 'flag',
  containsPassword: 'flag',
} as const satisfies Record<string, FactType>;

/** The Cedar shape a fact is coerced to. */
export type FactType = 'flag' | 'proof' | 'string' | 'set' | 'long';

/** An entity reference as Cedar's JSON takes it. */
export function uid(type: string, id: string): TypeAndId {
  return { type, id };
}

function truthy(value: FactValue): boolean {
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  return value.length > 0;
}

/** A value Cedar accepts: its Long is an integer, so other numbers travel as strings. */
function cedarValue(value: FactValue): CedarValueJson {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return [...value];
}

/** One fact as the context carries it. */
export function factValue(name: string, value: FactValue): CedarValueJson {
  const type: FactType | undefined = (FACT_TYPES as Record<string, FactType>)[name];
  switch (type) {
    case 'flag':
      return truthy(value);
    case 'proof':
      return value === true;
    case 'string':
      return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : String(value);
    case 'set':
      return typeof value === 'string' ? [value] : Array.isArray(value) ? [...value] : [String(value)];
    case 'long':
      return typeof value === 'number' ? Math.trunc(value) : typeof value === 'boolean' ? Number(value) : 0;
    default:
      return cedarValue(value);
  }
}

/**
 * The request context for one statement: its facts (absent ones omitted, lists as sets) plus
 * `objects`, the relations and functions it touches.
 */
export function statementContext(statement: StatementFacts): Context {
  const context: Context = {};
  for (const [name, value] of Object.entries(statement.facts)) {
    // Facts typed loosely by a caller (JSON, tests) may carry null: absent, not a value.
    if (value === undefined || value === null) continue;
    context[name] = factValue(name, value);
  }
  context.objects = [...statement.objects];
  return context;
}

/**
 * The principal: `Airlock::Identity::"<subject>"`, a member of `Airlock::Group::"<g>"` for each
 * group, with `kind`, `issuer`, `chainDepth` (how many actors it acts for), `rootSubject` and
 * `rootKind` (the start of the chain, itself when direct), `rootGroups` (the root's groups, when
 * known), `chain` (the actors' subjects) and `chainKinds` (the kinds of those actors).
 */
export function principalEntity(identity: Identity): EntityJson {
  const root = identity.chain[0];
  return {
    uid: uid(EntityType.Identity, identity.subject),
    attrs: {
      kind: identity.kind,
      issuer: identity.issuer,
      chainDepth: identity.chain.length,
      rootSubject: root?.subject ?? identity.subject,
      rootKind: root?.kind ?? identity.kind,
      // A delegate's groups are its root's (it has none of its own): "chains rooted in platform".
      rootGroups: [...(identity.delegation?.root.groups ?? (root ? [] : identity.groups))],
      chain: identity.chain.map((actor) => actor.subject),
      chainKinds: [...new Set(identity.chain.map((actor) => actor.kind))],
    },
    parents: identity.groups.map((group) => uid(EntityType.Group, group)),
  };
}

/** The protocol group an action belongs to: `sql` for `sql.delete`; none without a dot. */
export function actionGroup(action: string): string | undefined {
  const dot = action.indexOf('.');
  return dot > 0 ? action.slice(0, dot) : undefined;
}

/** The action entity, a child of its protocol group so `action in Airlock::Action::"sql"` holds. */
export function actionEntity(action: string): EntityJson {
  const group = actionGroup(action);
  return {
    uid: uid(EntityType.Action, action),
    attrs: {},
    parents: group ? [uid(EntityType.Action, group)] : [],
  };
}

/** The resource: `Airlock::Connection::"<name>"` with attribute `name` and the tags as entity tags. */
export function resourceEntity(connection: PolicyResource): EntityJson {
  return {
    uid: uid(EntityType.Connection, connection.name),
    attrs: { name: connection.name },
    parents: [],
    tags: { ...connection.tags },
  };
}
