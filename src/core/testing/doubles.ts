/**
 * @module Protocol-neutral test doubles: an in-memory audit log (that can be told to fail) and an
 * identity. Used by the engine tests and by the services' tests (reviews, ...).
 */
import type { AuditEventBody, AuditLog, AuditRecord } from '../../audit/events.js';
import { AirlockError } from '../errors.js';
import type { Identity, IdentityKind } from '../identity.js';

/** Collects events in memory; `failWhen` makes `append` throw like an unwritable journal. */
export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  failWhen: (event: AuditEventBody) => boolean = () => false;

  append(event: AuditEventBody): AuditRecord {
    if (this.failWhen(event))
      throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'test journal refuses the append');
    const record = {
      ...event,
      v: 1,
      node: 'test',
      seq: this.records.length + 1,
      time: new Date(0).toISOString(),
      prevHash: '',
      hash: '',
    } as AuditRecord;
    this.records.push(record);
    return record;
  }

  /** Records of one type, narrowed. */
  ofType<T extends AuditRecord['type']>(type: T): Extract<AuditRecord, { type: T }>[] {
    return this.records.filter((r): r is Extract<AuditRecord, { type: T }> => r.type === type);
  }
}

/** An identity for tests. */
export function testIdentity(
  subject: string,
  groups: readonly string[],
  kind: IdentityKind = 'agent',
): Identity {
  return {
    subject,
    displayName: subject,
    kind,
    groups,
    issuer: 'airlock',
    tokenId: subject,
    expiresAt: undefined,
    chain: [],
  };
}
