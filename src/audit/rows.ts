/**
 * @module How a sealed record maps onto its `audit_events` row: the searchable columns are copies
 * of record fields, the full record is kept as the JSON that was hashed. The drainer writes rows
 * with `toAuditRow`; verify checks the copies against the record with the same function.
 */
import type { IdentityRef } from '../core/identity.js';
import type { AuditEventsTable } from '../store/schema.js';
import type { AuditRecord } from './events.js';

/** The identity an event is about: the session's caller, or the actor of an admin event. */
export function recordIdentity(record: AuditRecord): IdentityRef | undefined {
  // Admin events (token.*, config.reload) name an actor; session events an identity.
  const found = 'actor' in record ? record.actor : record.identity;
  return typeof found === 'object' && found !== null ? found : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * The `audit_events` row for `record`, whose stored JSON is `json`. Reads the record as untrusted
 * input (a journal file can be edited): a field of the wrong shape becomes null instead of
 * throwing, so one odd line can neither stall the drainer nor crash verify.
 */
export function toAuditRow(record: AuditRecord, json: string): AuditEventsTable {
  const identity = recordIdentity(record) as Partial<IdentityRef> | undefined;
  const scoped = record as Partial<Record<'sessionId' | 'connection' | 'protocol', unknown>>;
  const groups = identity?.groups;
  const chain = identity?.chain;
  return {
    node: record.node,
    seq: record.seq,
    time: record.time,
    type: record.type,
    session_id: text(scoped.sessionId),
    subject: text(identity?.subject),
    groups: Array.isArray(groups) ? JSON.stringify(groups) : null,
    chain: Array.isArray(chain) ? JSON.stringify(chain.map((actor) => text(actor?.subject))) : null,
    connection: text(scoped.connection),
    protocol: text(scoped.protocol),
    record: json,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

/** The indexed columns, for comparing a stored row with the row its record implies. */
export const INDEXED_COLUMNS = [
  'node',
  'seq',
  'time',
  'type',
  'session_id',
  'subject',
  'groups',
  'chain',
  'connection',
  'protocol',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEventsTable)[];

/** Every column of `audit_events`: the indexed ones plus the sealed record itself. */
export const AUDIT_EVENT_COLUMNS = [
  ...INDEXED_COLUMNS,
  'record',
] as const satisfies readonly (keyof AuditEventsTable)[];
