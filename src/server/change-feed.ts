/**
 * @module Notices changes other processes made to the store (the CLI with --config, another
 * replica) within a second: polls the change feed and reacts, e.g. ends sessions of a revoked token.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { changesSince, latestChangeId } from '../store/changes.js';
import type { Database } from '../store/schema.js';

/** What the feed calls for each change. */
export type ChangeHandler = (change: { kind: string; ref: string }) => void;

/** Polls every `intervalMs` (default 250) until `stop()`. */
export async function watchChanges(
  db: Kysely<Database>,
  log: Logger,
  onChange: ChangeHandler,
  intervalMs = 250,
): Promise<{ stop(): void }> {
  let last = await latestChangeId(db);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const change of await changesSince(db, last)) {
        last = Math.max(last, change.id);
        onChange(change);
      }
    } catch (err) {
      log.warn({ err }, 'change feed poll failed');
    } finally {
      busy = false;
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
