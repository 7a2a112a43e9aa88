/**
 * @module The node's audit journal: an append-only JSON Lines file, `<dir>/journal-<node>.jsonl`.
 * `append` seals an event into the node's hash chain and writes it with one synchronous write(2)
 * on an O_APPEND descriptor, so the record is in the kernel's page cache, and survives SIGKILL,
 * before the caller forwards the statement. fsync runs in groups (at most every `syncIntervalMs`),
 * so a power loss costs at most that window and the hot path never waits for the disk.
 * The drainer (drain.ts) reads the file back into the store and asks for rotation once drained.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { GENESIS_HASH, sealEventLine } from './chain.js';
import type { AuditEventBody, AuditLog, AuditRecord } from './events.js';
import { type ChainHead, readState, recoverTail, type TailRecovery, writeState } from './journal-file.js';
import { acquireJournalLock } from './journal-lock.js';

/** Writes one whole line to `fd` or throws. Replaceable so tests can make the disk fail. */
export type JournalWriter = (fd: number, line: string) => void;

/** Options for `Journal.open`. */
export interface JournalOptions {
  /** Folder for the journal and its state file (the config's `stateDir`). */
  readonly dir: string;
  /** Node id: names the file and every record's `node`. One process per node id. */
  readonly node: string;
  readonly clock: Clock;
  /** The node key (node-key.ts); signs the head saved at rotation. */
  readonly key: Buffer;
  /**
   * The store's anchor for this node. When the journal knows less (its file was lost), numbering
   * continues after the anchor instead of restarting at 1 and colliding with stored events.
   */
  readonly resumeFrom?: ChainHead;
  /**
   * How long to wait for another process that holds the journal's lock (the CLI waits; a server
   * fails at once). Default 0.
   */
  readonly lockWaitMs?: number;
  /** Upper bound of the group-commit window, in ms. Default 50. */
  readonly syncIntervalMs?: number;
  readonly write?: JournalWriter;
}

/** What `open` found and prepared, handed to the constructor. */
interface OpenedFile {
  readonly path: string;
  readonly statePath: string;
  readonly unlock: () => void;
  readonly fd: number;
  readonly size: number;
  readonly head: ChainHead;
  readonly recovery: TailRecovery;
}

/**
 * Called after each append with the sealed record and its journal line (without the newline).
 * Must be cheap: it runs on the hot path.
 */
export type JournalListener = (record: AuditRecord, line: string) => void;

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The default writer: `writeSync` until every byte is out (short writes are rare but legal). */
const writeWholeLine: JournalWriter = (fd, line) => {
  const length = Buffer.byteLength(line);
  const written = writeSync(fd, line);
  if (written === length) return;
  const bytes = Buffer.from(line);
  for (let at = written; at < length; ) at += writeSync(fd, bytes, at, length - at);
};

/** The append-only, hash-chained journal of one node. */
export class Journal implements AuditLog {
  /** Absolute path of the journal file. */
  readonly path: string;
  readonly node: string;
  /** What opening had to clean up (a torn last line after a crash). */
  readonly recovery: TailRecovery;
  readonly #statePath: string;
  readonly #clock: Clock;
  readonly #key: Buffer;
  readonly #write: JournalWriter;
  readonly #syncIntervalMs: number;
  readonly #unlock: () => void;
  #fd: number;
  #seq: number;
  #hash: string;
  #size: number;
  /** Bytes past `#size` may hold a partial line from a failed write; cut before the next append. */
  #tailSuspect = false;
  #dirty = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #listeners: JournalListener[] = [];

  private constructor(options: JournalOptions, opened: OpenedFile) {
    this.path = opened.path;
    this.node = options.node;
    this.recovery = opened.recovery;
    this.#statePath = opened.statePath;
    this.#clock = options.clock;
    this.#key = options.key;
    this.#write = options.write ?? writeWholeLine;
    this.#syncIntervalMs = options.syncIntervalMs ?? 50;
    this.#unlock = opened.unlock;
    this.#fd = opened.fd;
    this.#size = opened.size;
    this.#seq = opened.head.seq;
    this.#hash = opened.head.hash;
  }

  /**
   * Opens or creates the journal of `node` in `dir`, cuts a torn last line away, and resumes the
   * chain after the last record (or the head saved at rotation, or `resumeFrom`, whichever is last).
   * Throws ERR_AUDIT_UNAVAILABLE when another live process holds the journal.
   */
  static open(options: JournalOptions): Journal {
    if (!NODE_ID.test(options.node)) {
      throw new AirlockError(
        'ERR_CONFIG_INVALID',
        `node id "${options.node}" must match ${NODE_ID.source} (it names the journal file)`,
      );
    }
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, `journal-${options.node}.jsonl`);
    const statePath = join(options.dir, `journal-${options.node}.state`);
    const unlock = acquireJournalLock(path, options.lockWaitMs ?? 0);
    let fd = -1;
    try {
      fd = openSync(path, 'a', 0o600);
      const tail = recoverTail(path);
      if (tail.last && tail.last.node !== options.node) {
        throw new AirlockError(
          'ERR_AUDIT_UNAVAILABLE',
          `journal ${path} holds records of node "${tail.last.node}", not "${options.node}"`,
        );
      }
      let head: ChainHead = tail.last
        ? { seq: tail.last.seq, hash: tail.last.hash }
        : { seq: 0, hash: GENESIS_HASH };
      for (const candidate of [readState(statePath, options.node, options.key), options.resumeFrom]) {
        if (candidate && candidate.seq > head.seq) head = candidate;
      }
      const recovery = { truncatedBytes: tail.truncatedBytes, droppedLines: tail.droppedLines };
      return new Journal(options, { path, statePath, unlock, fd, size: tail.size, head, recovery });
    } catch (err) {
      if (fd >= 0) closeSync(fd);
      unlock();
      throw err;
    }
  }

  /** Sequence number of the last record appended (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** The last record's position: what the next record links to. */
  get head(): ChainHead {
    return { seq: this.#seq, hash: this.#hash };
  }

  /** Bytes of complete records in the file; always ends on a line boundary. */
  get size(): number {
    return this.#size;
  }

  /** Failed appends and failed group fsyncs since open (exported as a metric). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Seals `body` and writes it. When this returns, the record is in the file. Throws AirlockError
   * ERR_AUDIT_UNAVAILABLE when it cannot be written; the chain then stays where it was.
   */
  append(body: AuditEventBody): AuditRecord {
    if (this.#fd < 0) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit journal is closed');
    if (this.#tailSuspect) this.#cutTail();
    const sealed = sealEventLine(body, {
      node: this.node,
      seq: this.#seq + 1,
      time: new Date(this.#clock.nowMs()).toISOString(),
      prevHash: this.#hash,
    });
    const line = sealed.json + '\n';
    try {
      this.#write(this.#fd, line);
    } catch (err) {
      this.#failures++;
      this.#tailSuspect = true;
      throw new AirlockError(
        'ERR_AUDIT_UNAVAILABLE',
        `audit journal write failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    this.#seq = sealed.record.seq;
    this.#hash = sealed.record.hash;
    this.#size += Buffer.byteLength(line);
    if (!this.#dirty) this.#scheduleSync();
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(sealed.record, sealed.json);
      } catch {
        // The record is written; a listener's failure must not turn into a refused statement.
      }
    }
    return sealed.record;
  }

  /** Calls `listener` after every append. Returns the unsubscribe function. */
  subscribe(listener: JournalListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Empties the file if it still is exactly `expected` (nothing appended since the caller drained
   * it), after saving the head in the signed state file so the chain continues. Synchronous, so no
   * append can slip in between the check and the truncation. Returns whether it rotated.
   */
  rotate(expected: { readonly size: number; readonly seq: number }): boolean {
    if (this.#fd < 0 || this.#tailSuspect) return false;
    if (expected.size !== this.#size || expected.seq !== this.#seq) return false;
    writeState(this.#statePath, this.node, this.#key, this.head);
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
    return true;
  }

  /** Flushes written records to the disk now (shutdown, tests). */
  sync(): void {
    if (this.#fd < 0) return;
    this.#dirty = false;
    fdatasyncSync(this.#fd);
  }

  /** Syncs and closes the file. Appends after this throw ERR_AUDIT_UNAVAILABLE. */
  close(): void {
    if (this.#fd < 0) return;
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    try {
      this.sync();
    } catch {
      this.#failures++;
    }
    closeSync(this.#fd);
    this.#fd = -1;
    this.#listeners = [];
    this.#unlock();
  }

  /** Removes a partial line a failed write may have left, or throws if the file stays unwritable. */
  #cutTail(): void {
    try {
      // Only ever shorten: growing the file back would fill it with zero bytes.
      if (fstatSync(this.#fd).size > this.#size) ftruncateSync(this.#fd, this.#size);
      this.#tailSuspect = false;
    } catch (err) {
      this.#failures++;
      throw new AirlockError(
        'ERR_AUDIT_UNAVAILABLE',
        `audit journal cannot be repaired: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Group commit: one fdatasync covers every record appended within the window. */
  #scheduleSync(): void {
    this.#dirty = true;
    if (this.#syncTimer) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (!this.#dirty || this.#fd < 0) return;
      this.#dirty = false;
      fdatasync(this.#fd, (err) => {
        if (err) this.#failures++;
      });
    }, this.#syncIntervalMs);
    // A pending sync must not keep a finished process alive; close() syncs what is left.
    this.#syncTimer.unref();
  }
}
