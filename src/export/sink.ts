/**
 * @module What an export sink receives: batches of sealed records of one node, in seq order,
 * exactly as the store holds them (canonical JSON, so receivers can re-check each hash).
 */

/** One stored audit event. */
export interface ExportEvent {
  readonly seq: number;
  /** The sealed AuditRecord's JSON, as stored in `audit_events.record`. */
  readonly record: string;
}

/** Consecutive stored events of one node, oldest first. */
export interface ExportBatch {
  readonly node: string;
  readonly events: readonly ExportEvent[];
}

/** A destination. `deliver` resolves only once the batch is durably accepted. */
export interface SinkWriter {
  deliver(batch: ExportBatch, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
