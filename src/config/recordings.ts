/**
 * @module Reads `recordings:`: where database session recordings (src/recordings/) are written.
 * Recordings can outgrow the state folder, so they may live on their own volume. Retention deletes
 * old `.jsonl` files in that folder, so it must not be a folder whose `.jsonl` files are something
 * else: the audit journal, a JSONL export sink or the dead-letter files.
 */
import { dirname, join, resolve } from 'node:path';
import type { ExportSink } from '../core/config.js';
import { resolveFrom } from './fields.js';
import { checkKeys, type Findings, isMap } from './problems.js';

/** What the folder check needs from the rest of the config. */
export interface RecordingsContext {
  readonly baseDir: string;
  readonly stateDir: string;
  readonly sinks: readonly ExportSink[];
}

/** The `recordings:` block; the folder defaults to `<stateDir>/recordings`. */
export function readRecordings(
  findings: Findings,
  value: unknown,
  context: RecordingsContext,
): { dir: string } {
  const fallback = { dir: join(context.stateDir, 'recordings') };
  if (value === undefined || value === null) return fallback;
  if (!isMap(value)) {
    findings.expected('recordings', 'a mapping such as {dir: /var/lib/airlock/recordings}', value);
    return fallback;
  }
  checkKeys(findings, 'recordings', value, ['dir']);
  if (value.dir === undefined) return fallback;
  if (typeof value.dir !== 'string' || value.dir.trim() === '') {
    findings.expected('recordings.dir', 'a folder path', value.dir);
    return fallback;
  }
  const dir = resolve(resolveFrom(context.baseDir, value.dir));
  const clash = foreignJsonl(dir, context);
  if (clash) {
    findings.problem(
      'recordings.dir',
      `${dir} holds ${clash}; retention deletes old .jsonl files in the recordings folder, so use a folder of its own`,
    );
  }
  return { dir };
}

/** What else keeps `.jsonl` files in `dir`, if anything. */
function foreignJsonl(dir: string, context: RecordingsContext): string | undefined {
  if (dir === resolve(context.stateDir)) return 'the audit journal (stateDir)';
  if (dir === resolve(context.stateDir, 'export-dead-letter')) return 'the export dead-letter files';
  const sink = context.sinks.find((s) => s.type === 'jsonl' && resolve(dirname(s.path)) === dir);
  return sink ? `the file of export sink ${sink.name}` : undefined;
}
