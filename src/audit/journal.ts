/**
 * @module The node's audit journal: an append-only JSON Lines file, `<dir>/journal-<node>.jsonl`.
 * `append` seals an event into the node's hash chain and writes it with one synchronous write(2)
 * on an O_APPEND descriptor, so the record is in the kernel's page cache, and survives SIGKILL,
 * before the caller forwards the statement. fsync runs in groups (at most every `syncIntervalMs`),
 * so a power loss costs at most that window and the hot path never waits for the disk.
 * The drainer (drain.ts) reads the file back into the store and asks for rotation once drained.
 *
 * Batching, so a busy relay does not pay one write(2) per event:
 *  - `begin`/`commit`: appends between them are sealed into a buffer and `commit` writes them all
 *    with one write. A protocol engine opens one around each chunk it handles and commits before it
 *    forwards anything, so write-before-forward still holds; when `commit` throws, none of the
 *    batch is in the file, the chain stays where it was, and the caller forwards nothing.
 *  - `appendDeferred`: for events that are not a forwarding precondition (a command's result). Sealed
 *    now, written with the next write or, at the latest, once the current event-loop turn's I/O
 *    callbacks have run (setImmediate), and always by `sync` and `close`.
 * Sealed but unwritten records are invisible outside: `seq`, `head` and `size` describe the file,
 * and listeners hear of a record only once it is written.
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

/** A sealed record waiting for the batch write that carries it. */
interface PendingRecord {
  readonly record: AuditRecord;
  readonly json: string;
}

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
  /** The last record in the file. */
  #seq: number;
  #hash: string;
  /** The last record sealed: past `#seq` while a batch or deferred records wait to be written. */
  #sealedSeq: number;
  #sealedHash: string;
  /** Sealed lines not yet written, `\n`-terminated, in chain order, and their records. */
  #pendingText = '';
  #pending: PendingRecord[] = [];
  /** Open `begin`s; writes wait until it is back to 0. */
  #depth = 0;
  #deferredFlush: NodeJS.Immediate | undefined;
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
    this.#seq = this.#sealedSeq = opened.head.seq;
    this.#hash = this.#sealedHash = opened.head.hash;
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
   * Seals `body` and writes it (with any deferred records before it). When this returns, the record
   * is in the file, unless a batch is open (`begin`): then it is written by the matching `commit`.
   * Throws AirlockError ERR_AUDIT_UNAVAILABLE when it cannot be written; the chain then goes back
   * to the last record in the file.
   */
  append(body: AuditEventBody): AuditRecord {
    if (this.#fd < 0) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit journal is closed');
    const record = this.#seal(body);
    if (this.#depth === 0) this.#writePending();
    return record;
  }

  /**
   * Seals `body` now (its place in the chain and its time are fixed) and writes it with the next
   * write, or once this event-loop turn's I/O callbacks have run. For events nothing waits on.
   * Never throws: a failed write is counted in `failures`, like a failed `append`.
   */
  appendDeferred(body: AuditEventBody): AuditRecord | undefined {
    if (this.#fd < 0) {
      this.#failures++;
      return undefined;
    }
    const record = this.#seal(body);
    if (this.#depth === 0 && this.#deferredFlush === undefined) {
      this.#deferredFlush = setImmediate(this.#flushDeferred);
    }
    return record;
  }

  /**
   * Opens a batch: appends until the matching `commit` are sealed but not written. Batches nest;
   * the outermost `commit` writes. Open and commit within one synchronous section.
   */
  begin(): void {
    this.#depth++;
  }

  /**
   * Closes a batch; the outermost writes everything sealed since with one write. Throws
   * ERR_AUDIT_UNAVAILABLE when that write fails: nothing of the batch is in the file then.
   */
  commit(): void {
    if (this.#depth === 0) return;
    this.#depth--;
    if (this.#depth === 0 && this.#pending.length > 0) this.#writePending();
  }

  /** The time text of the last record sealed, reused while the clock stays on the same ms. */
  #timeMs = Number.NaN;
  #timeText = '';

  #seal(body: AuditEventBody): AuditRecord {
    const nowMs = this.#clock.nowMs();
    if (nowMs !== this.#timeMs) {
      this.#timeMs = nowMs;
      this.#timeText = new Date(nowMs).toISOString();
    }
    const sealed = sealEventLine(body, {
      node: this.node,
      seq: this.#sealedSeq + 1,
      time: this.#timeText,
      prevHash: this.#sealedHash,
    });
    this.#sealedSeq = sealed.record.seq;
    this.#sealedHash = sealed.record.hash;
    this.#pendingText += sealed.json + '\n';
    this.#pending.push(sealed);
    return sealed.record;
  }

  readonly #flushDeferred = (): void => {
    this.#deferredFlush = undefined;
    if (this.#depth > 0 || this.#pending.length === 0 || this.#fd < 0) return;
    try {
      this.#writePending();
    } catch {
      // Counted in `failures`; nothing waited on these records.
    }
  };

  /** Forgets sealed, unwritten records: the next one links to the last record in the file. */
  #rewind(): void {
    this.#sealedSeq = this.#seq;
    this.#sealedHash = this.#hash;
  }

  /** Writes every sealed record with one write; on failure drops them and rewinds the chain. */
  #writePending(): void {
    const text = this.#pendingText;
    const records = this.#pending;
    this.#pendingText = '';
    this.#pending = [];
    try {
      if (this.#fd < 0) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit journal is closed');
      if (this.#tailSuspect) this.#cutTail();
    } catch (err) {
      this.#rewind();
      throw err;
    }
    try {
      this.#write(this.#fd, text);
    } catch (err) {
      this.#failures++;
      this.#tailSuspect = true;
      this.#rewind();
      throw new AirlockError(
        'ERR_AUDIT_UNAVAILABLE',
        `audit journal write failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    this.#seq = this.#sealedSeq;
    this.#hash = this.#sealedHash;
    if (!this.#dirty) this.#scheduleSync();
    const listeners = this.#listeners;
    if (listeners.length === 0) {
      this.#size += Buffer.byteLength(text);
      return;
    }
    for (let r = 0; r < records.length; r++) {
      const { record, json } = records[r]!;
      // Listeners rely on `size` ending at the line they are handed (journal-feed.ts).
      this.#size += Buffer.byteLength(json) + 1;
      for (let i = 0; i < listeners.length; i++) {
        try {
          listeners[i]!(record, json);
        } catch {
          // The record is written; a listener's failure must not turn into a refused statement.
        }
      }
    }
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
    if (this.#fd < 0 || this.#tailSuspect || this.#pending.length > 0) return false;
    if (expected.size !== this.#size || expected.seq !== this.#seq) return false;
    writeState(this.#statePath, this.node, this.#key, this.head);
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
    return true;
  }

  /** Writes deferred records and flushes written records to the disk now (shutdown, tests). */
  sync(): void {
    if (this.#fd < 0) return;
    if (this.#depth === 0 && this.#pending.length > 0) this.#writePending();
    this.#dirty = false;
    fdatasyncSync(this.#fd);
  }

  /** Syncs and closes the file. Appends after this throw ERR_AUDIT_UNAVAILABLE. */
  close(): void {
    if (this.#fd < 0) return;
    clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    clearImmediate(this.#deferredFlush);
    this.#deferredFlush = undefined;
    // Whatever is still sealed (deferred results, a batch left open) is written before the end.
    this.#depth = 0;
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
