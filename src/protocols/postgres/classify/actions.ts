/**
 * @module The SQL actions a statement can be, and which parse-tree statement type is which action
 * for the statements that need no more than a name. docs/sql-actions.md explains each one; policy
 * names them as Cedar actions (`Action::"sql.drop"`).
 */

/** Every action the classifier produces. */
export const SqlAction = {
  select: 'sql.select',
  insert: 'sql.insert',
  update: 'sql.update',
  delete: 'sql.delete',
  merge: 'sql.merge',
  create: 'sql.create',
  alter: 'sql.alter',
  drop: 'sql.drop',
  truncate: 'sql.truncate',
  grant: 'sql.grant',
  revoke: 'sql.revoke',
  copy: 'sql.copy',
  call: 'sql.call',
  do: 'sql.do',
  set: 'sql.set',
  show: 'sql.show',
  transaction: 'sql.transaction',
  explain: 'sql.explain',
  prepare: 'sql.prepare',
  execute: 'sql.execute',
  deallocate: 'sql.deallocate',
  listen: 'sql.listen',
  notify: 'sql.notify',
  lock: 'sql.lock',
  vacuum: 'sql.vacuum',
  analyze: 'sql.analyze',
  cursor: 'sql.cursor',
  comment: 'sql.comment',
  refresh: 'sql.refresh',
  reindex: 'sql.reindex',
  cluster: 'sql.cluster',
  discard: 'sql.discard',
  load: 'sql.load',
  checkpoint: 'sql.checkpoint',
  utility: 'sql.utility',
} as const;

/** One SQL action name. */
export type SqlAction = (typeof SqlAction)[keyof typeof SqlAction];

/** Every action name, for documentation checks and policy validation. */
export const ALL_SQL_ACTIONS: readonly SqlAction[] = Object.values(SqlAction);

/** The statements that change rows; nested anywhere they run as part of the statement. */
export const DML_TYPES: ReadonlySet<string> = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
]);

/**
 * Statement types whose action follows from the type alone. Their relations, functions and nested
 * expressions are still walked; statements that need more (DML, SET, COPY, EXPLAIN, DO, functions,
 * GRANT...) have their own handlers. A type in neither list is unknown and fails closed.
 */
export const ACTION_BY_TYPE: Readonly<Record<string, SqlAction>> = {
  // CREATE: objects that hold data or define behaviour. Routines, triggers and rules have handlers.
  CreateStmt: SqlAction.create,
  ViewStmt: SqlAction.create,
  IndexStmt: SqlAction.create,
  CreateSeqStmt: SqlAction.create,
  CreateExtensionStmt: SqlAction.create,
  CreateFdwStmt: SqlAction.create,
  CreateForeignServerStmt: SqlAction.create,
  CreateForeignTableStmt: SqlAction.create,
  CreateUserMappingStmt: SqlAction.create,
  ImportForeignSchemaStmt: SqlAction.create,
  CreatePolicyStmt: SqlAction.create,
  CreateAmStmt: SqlAction.create,
  CreatePLangStmt: SqlAction.create,
  CreateRoleStmt: SqlAction.create,
  DefineStmt: SqlAction.create,
  CreateDomainStmt: SqlAction.create,
  CreateOpClassStmt: SqlAction.create,
  CreateOpFamilyStmt: SqlAction.create,
  CreateStatsStmt: SqlAction.create,
  CompositeTypeStmt: SqlAction.create,
  CreateEnumStmt: SqlAction.create,
  CreateRangeStmt: SqlAction.create,
  CreatedbStmt: SqlAction.create,
  CreateTableSpaceStmt: SqlAction.create,
  CreateConversionStmt: SqlAction.create,
  CreateCastStmt: SqlAction.create,
  CreateTransformStmt: SqlAction.create,
  CreatePublicationStmt: SqlAction.create,
  CreateSubscriptionStmt: SqlAction.create,
  // ALTER (and the statements that change an existing object's definition, owner or label).
  AlterTableStmt: SqlAction.alter,
  AlterCollationStmt: SqlAction.alter,
  AlterDomainStmt: SqlAction.alter,
  AlterTableSpaceOptionsStmt: SqlAction.alter,
  AlterTableMoveAllStmt: SqlAction.alter,
  AlterExtensionStmt: SqlAction.alter,
  AlterExtensionContentsStmt: SqlAction.alter,
  AlterFdwStmt: SqlAction.alter,
  AlterForeignServerStmt: SqlAction.alter,
  AlterUserMappingStmt: SqlAction.alter,
  AlterPolicyStmt: SqlAction.alter,
  AlterEventTrigStmt: SqlAction.alter,
  AlterRoleStmt: SqlAction.alter,
  AlterSeqStmt: SqlAction.alter,
  AlterOpFamilyStmt: SqlAction.alter,
  AlterStatsStmt: SqlAction.alter,
  RenameStmt: SqlAction.alter,
  AlterObjectDependsStmt: SqlAction.alter,
  AlterObjectSchemaStmt: SqlAction.alter,
  AlterOwnerStmt: SqlAction.alter,
  AlterOperatorStmt: SqlAction.alter,
  AlterTypeStmt: SqlAction.alter,
  AlterEnumStmt: SqlAction.alter,
  AlterDatabaseStmt: SqlAction.alter,
  AlterDatabaseRefreshCollStmt: SqlAction.alter,
  ReassignOwnedStmt: SqlAction.alter,
  AlterTSDictionaryStmt: SqlAction.alter,
  AlterTSConfigurationStmt: SqlAction.alter,
  AlterPublicationStmt: SqlAction.alter,
  AlterSubscriptionStmt: SqlAction.alter,
  SecLabelStmt: SqlAction.alter,
  // DROP
  DropTableSpaceStmt: SqlAction.drop,
  DropUserMappingStmt: SqlAction.drop,
  DropRoleStmt: SqlAction.drop,
  DropdbStmt: SqlAction.drop,
  DropOwnedStmt: SqlAction.drop,
  DropSubscriptionStmt: SqlAction.drop,
  // Maintenance and session utilities.
  VariableShowStmt: SqlAction.show,
  ListenStmt: SqlAction.listen,
  UnlistenStmt: SqlAction.listen,
  NotifyStmt: SqlAction.notify,
  LockStmt: SqlAction.lock,
  ClusterStmt: SqlAction.cluster,
  ReindexStmt: SqlAction.reindex,
  RefreshMatViewStmt: SqlAction.refresh,
  CheckPointStmt: SqlAction.checkpoint,
  LoadStmt: SqlAction.load,
  DeclareCursorStmt: SqlAction.cursor,
  FetchStmt: SqlAction.cursor,
  ClosePortalStmt: SqlAction.cursor,
  CommentStmt: SqlAction.comment,
  // SET CONSTRAINTS only moves deferred constraint checks within the open transaction.
  ConstraintsSetStmt: SqlAction.utility,
};
