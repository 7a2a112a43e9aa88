/**
 * @module Functions whose arguments leave the statement's result: they store a value where another
 * statement, another session or another system reads it back without passing through masking, or
 * they act on it where others can observe the effect. A masked column reaching any argument of one
 * of them refuses the statement (`analysis.ts`, rule `masking-export`). One table, so a new channel is
 * one line here; a name that is missing only matters if it is a built-in (user functions are all
 * sinks, below).
 */
import { isBuiltinFunction, isDangerousFunction } from '../classify/functions.js';

/** Built-in functions that keep or send an argument, and where it can be read back. */
const SINK_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  // Sequences: the value becomes last_value (SELECT last_value FROM seq, pg_sequences, currval).
  ['setval', 'a sequence value is readable by anyone who can read the sequence'],
  // The seed makes random() deterministic: the next random() values give the seed back.
  ['setseed', 'the seed is recoverable from the following random() values'],
  // Settings: current_setting(), SHOW, pg_settings, and every later statement of the session.
  ['set_config', 'a setting is readable through current_setting() and SHOW'],
  // Notifications reach every listener, whose payload Airlock sees only on its own sessions.
  ['pg_notify', 'a notification reaches listeners on other connections'],
  // Large objects: contents and OIDs are readable through lo_get, loread, pg_largeobject_metadata.
  ['lowrite', 'large object contents are readable back with lo_get'],
  // Logical decoding: the message lands in the WAL stream of every logical replication slot.
  ['pg_logical_emit_message', 'a logical message is read by every decoding slot'],
  // Restore points and backup labels are written to the WAL and the backup's label file.
  ['pg_create_restore_point', 'a restore point name is written to the WAL'],
  ['pg_backup_start', 'a backup label is written to the backup'],
  ['pg_start_backup', 'a backup label is written to the backup'],
  // Backend control: which backend ends or is cancelled is seen by everyone (pg_stat_activity).
  ['pg_terminate_backend', 'the effect on another backend is visible to others'],
  ['pg_cancel_backend', 'the effect on another backend is visible to others'],
]);

/** Families of built-ins, by name prefix, with where their arguments are read back. */
const SINK_PREFIXES: readonly (readonly [string, string])[] = [
  // pg_advisory_lock(key), _shared, _xact_, unlock...: the key is listed in pg_locks to every session.
  ['pg_advisory_', 'an advisory lock key is listed in pg_locks for every session'],
  ['pg_try_advisory_', 'an advisory lock key is listed in pg_locks for every session'],
  // lo_create(oid), lo_from_bytea, lo_put, lo_import(path, oid), lo_export(oid, path), lo_truncate...
  ['lo_', 'a large object (its OID, contents or file) is readable back'],
  // Another server: the SQL text and connection string leave Airlock's sight entirely.
  ['dblink', 'the value is sent to another server'],
  // Replication origins and slots are named and positioned by their arguments (pg_replication_origin, pg_replication_slots).
  ['pg_replication_origin_', 'a replication origin name or position is readable from the catalog'],
  ['pg_create_', 'a replication slot name is readable from pg_replication_slots'],
  ['pg_copy_', 'a replication slot name is readable from pg_replication_slots'],
  // adminpack: server files.
  ['pg_file_', 'the value is written to a server file'],
];

/** Why a call of this function with a masked argument is refused, or undefined when it is not a sink. */
export function sinkReason(
  schema: string | undefined,
  name: string,
  userRoutines: ReadonlySet<string> = NONE,
): string | undefined {
  // A user (or extension) function's body is not visible: it may store its arguments anywhere.
  if (isUserFunction(schema, name, userRoutines)) return 'its body may store them anywhere';
  const exact = SINK_FUNCTIONS.get(name);
  if (exact) return exact;
  for (const [prefix, why] of SINK_PREFIXES) if (name.startsWith(prefix)) return why;
  // The classifier's dangerous built-ins (server files, other sessions, time) act where others see.
  if (isDangerousFunction(name)) return 'it acts outside the statement, where others see the effect';
  return undefined;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * True for a user function (not a built-in, or named like a routine the target holds outside the
 * system schemas: `userRoutines`): its arguments count as sinks, its calls as data reads.
 */
export function isUserFunction(
  schema: string | undefined,
  name: string,
  userRoutines: ReadonlySet<string> = NONE,
): boolean {
  return !isBuiltinFunction(schema, name) || userRoutines.has(name);
}
