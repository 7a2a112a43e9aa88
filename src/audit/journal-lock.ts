/**
 * @module One writer per journal. A pid lock file beside the journal (`<journal>.lock`) keeps a
 * second process (a second server with the same node id, two CLI commands at once) from writing
 * the same file: two writers would number records twice and fork the chain.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { AirlockError } from '../core/errors.js';

/** Paths locked by this process: a second open in the same process is a bug, caught here. */
const lockedHere = new Set<string>();

function lockHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function lockAgeMs(lockPath: string): number {
  try {
    return Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the journal's lock file (`<journal>.lock`, holding the owner's pid), waiting up to
 * `waitMs` for another owner to let go. Two writers on one journal would number records twice and
 * fork the chain. A lock left by a killed process (its pid is gone) is taken over. Returns the
 * release function.
 */
export function acquireJournalLock(journalPath: string, waitMs: number): () => void {
  const lockPath = `${journalPath}.lock`;
  if (lockedHere.has(lockPath)) {
    throw new AirlockError('ERR_AUDIT_UNAVAILABLE', `journal ${journalPath} is already open in this process`);
  }
  const deadline = performance.now() + waitMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(lockPath);
    const stale =
      holder === undefined ? lockAgeMs(lockPath) > 1000 : holder !== process.pid && !processAlive(holder);
    if (stale) {
      // The owner is gone (or was killed between creating the lock and writing its pid; a lock
      // without a pid gets a second to be written): take it over.
      try {
        unlinkSync(lockPath);
      } catch {
        // Someone else removed it first; retry the create.
      }
      continue;
    }
    if (performance.now() >= deadline) {
      throw new AirlockError(
        'ERR_AUDIT_UNAVAILABLE',
        `journal ${journalPath} is in use by process ${holder ?? '?'}`,
        {
          userMessage: `another Airlock process (pid ${holder ?? '?'}) is writing this audit journal; retry when it is done`,
        },
      );
    }
    // Opening happens at start-up, never on the hot path, so a blocking wait is acceptable here.
    Atomics.wait(sleeper, 0, 0, 50);
  }
  lockedHere.add(lockPath);
  return () => {
    lockedHere.delete(lockPath);
    if (lockHolder(lockPath) === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone.
      }
    }
  };
}
