/**
 * @module The Cedar schema of Airlock's entity model. Requests are not validated against it (a
 * classifier may report actions and facts newer than this list); policies are, when loaded, so a
 * typo such as `context.boundd` or `Airlock::Action::"sql.dorp"` is reported instead of silently
 * never matching.
 */
import { FACT_TYPES, type FactType } from './entities.js';

/**
 * Actions the PostgreSQL classifier reports. A policy naming an action outside this list still
 * works; `config check` only warns about it.
 */
export const KNOWN_SQL_ACTIONS = [
  'sql.select',
  'sql.insert',
  'sql.update',
  'sql.delete',
  'sql.merge',
  'sql.create',
  'sql.alter',
  'sql.drop',
  'sql.truncate',
  'sql.grant',
  'sql.revoke',
  'sql.copy',
  'sql.call',
  'sql.do',
  'sql.set',
  'sql.show',
  'sql.transaction',
  'sql.explain',
  'sql.prepare',
  'sql.execute',
  'sql.deallocate',
  'sql.listen',
  'sql.notify',
  'sql.lock',
  'sql.vacuum',
  'sql.analyze',
  'sql.cursor',
  'sql.comment',
  'sql.refresh',
  'sql.reindex',
  'sql.cluster',
  'sql.discard',
  'sql.load',
  'sql.checkpoint',
  'sql.utility',
] as const;

const CEDAR_TYPE: Record<FactType, string> = {
  flag: 'Bool',
  proof: 'Bool',
  string: 'String',
  set: 'Set<String>',
  long: 'Long',
};

/** The schema in Cedar's human-readable format. */
export function cedarSchema(actions: readonly string[] = KNOWN_SQL_ACTIONS): string {
  const facts = Object.entries(FACT_TYPES as Record<string, FactType>)
    .map(([name, type]) => `    ${name}?: ${CEDAR_TYPE[type]},`)
    .join('\n');
  const actionList = actions.map((name) => `    ${JSON.stringify(name)}`).join(',\n');
  return `namespace Airlock {
  entity Group;
  entity Identity in [Group] = {
    kind: String,
    issuer: String,
    chainDepth: Long,
    rootSubject: String,
    rootKind: String,
    rootGroups: Set<String>,
    chain: Set<String>,
    chainKinds: Set<String>,
  };
  entity Connection = { name: String } tags String;
  type Statement = {
${facts}
    objects: Set<String>,
  };
  action "sql";
  action
${actionList}
    in [Action::"sql"] appliesTo {
    principal: Identity,
    resource: Connection,
    context: Statement,
  };
}
`;
}
