/**
 * @module Where the drainer gets records: the journal FILE is the source of truth, read from a
 * byte offset, so crash recovery, catch-up after a store outage and normal draining all resume
 * from the same place. While the drainer keeps up, though, re-reading and re-parsing lines the
 * journal sealed moments ago is wasted work: the feed keeps what the journal's listener handed it
 * (the record and its exact line) and serves those from memory. The memory is one contiguous run
 * of the file, bounded; when it would overflow, or anything looks out of place, it is dropped and
 * the feed reads the file until it has caught up again.
 */
import type { AuditRecord } from './events.js';
import type { Journal } from './journal.js';
import type { JournalChunk, JournalEntry, JournalReader } from './journal-file.js';

/** A record held in memory, with the file offset just past its line. */
interface HeldEntry extends JournalEntry {
  readonly end: number;
}

/** Records held in memory at most; past this the feed falls back to the file. */
export const DEFAULT_MEMORY_LIMIT = 8192;

/** Reads a journal from an offset, from memory when it can. Not safe for concurrent `read`s. */
export class JournalFeed {
  readonly #journal: Journal;
  readonly #reader: JournalReader;
  readonly #limit: number;
  /** Offset of the first byte not yet consumed (stored, or skipped as not storable). */
  #offset = 0;
  /** Held records, oldest first, from `#held[#head]`; contiguous in the file. */
  #held: HeldEntry[] = [];
  #head = 0;
  /** File offset where `#held[#head]` starts. */
  #heldFrom = 0;
  /** Whether new appends are held; off from an overflow until the file reading caught up. */
  #holding = false;

  constructor(journal: Journal, reader: JournalReader, limit = DEFAULT_MEMORY_LIMIT) {
    this.#journal = journal;
    this.#reader = reader;
    this.#limit = limit;
  }

  /** Offset of the first byte not yet consumed. */
  get offset(): number {
    return this.#offset;
  }

  /** Records held in memory right now. */
  get held(): number {
    return this.#held.length - this.#head;
  }

  /**
   * The journal listener: holds `record` if it continues the held run. Called synchronously right
   * after the append, so the journal's size is the end of `line`.
   */
  onAppend(record: AuditRecord, line: string): void {
    if (!this.#holding) return;
    const end = this.#journal.size;
    const start = end - Buffer.byteLength(line) - 1;
    const count = this.held;
    if (count === 0) {
      this.#held = [];
      this.#head = 0;
      this.#heldFrom = start;
    } else if (start !== this.#held[this.#held.length - 1]!.end || count >= this.#limit) {
      // Behind by more than the limit (store slow or down), or a line we did not see: the file has
      // everything, memory has nothing to add.
      this.#drop();
      return;
    }
    this.#held.push({ record, json: line, end });
  }

  /**
   * Up to `max` records from the current offset and before byte `until`, without consuming them:
   * from memory when the held run starts here, else from the file (up to where the run starts).
   */
  async read(max: number, until: number): Promise<JournalChunk> {
    const size = this.#journal.size;
    // The file was emptied under us (rotation by another reader of the same journal): start over.
    if (this.#offset > size) {
      this.#offset = 0;
      this.#drop();
    }
    this.#skipConsumedHeld();
    if (this.held > 0 && this.#heldFrom === this.#offset) {
      let upTo = this.#head;
      const last = Math.min(this.#held.length, this.#head + max);
      while (upTo < last && this.#held[upTo]!.end <= until) upTo++;
      const entries = this.#held.slice(this.#head, upTo);
      return { entries, nextOffset: entries.at(-1)?.end ?? this.#offset, corrupt: 0 };
    }
    const end = Math.min(until, this.held > 0 ? this.#heldFrom : size);
    if (this.#offset >= end) return { entries: [], nextOffset: this.#offset, corrupt: 0 };
    return this.#reader.read(this.#offset, end, max);
  }

  /**
   * Consumes up to `nextOffset` (a chunk's, once stored). Once everything is consumed, holding
   * (re)starts: every later append is then seen by `onAppend` with nothing missed in between.
   */
  advance(nextOffset: number): void {
    this.#offset = nextOffset;
    this.#skipConsumedHeld();
    if (this.held === 0 && this.#offset === this.#journal.size) this.#holding = true;
  }

  /** After the journal was rotated (emptied) with everything consumed. */
  rotated(): void {
    this.#offset = 0;
    this.#drop();
    this.#holding = true;
  }

  /** Drops held records the offset has passed; drops them all if the offset is inside a line. */
  #skipConsumedHeld(): void {
    while (this.#head < this.#held.length && this.#held[this.#head]!.end <= this.#offset) {
      this.#heldFrom = this.#held[this.#head]!.end;
      this.#head++;
    }
    if (this.held > 0 && this.#heldFrom < this.#offset) this.#drop();
    // Keep the array from growing without bound while the head walks forward.
    if (this.#head > 1024 && this.#head * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#head);
      this.#head = 0;
    }
  }

  #drop(): void {
    this.#held = [];
    this.#head = 0;
    this.#holding = false;
  }
}
