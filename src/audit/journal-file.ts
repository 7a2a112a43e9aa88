/**
 * @module The journal's file format and the byte-level work around it: recovering the head from
 * the tail after a crash, the signed state file that carries the head across rotation, and the
 * reader the drainer uses. A journal is JSON Lines: one sealed record per line, `\n`-terminated.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AirlockError } from '../core/errors.js';
import type { AuditRecord } from './events.js';

const NEWLINE = 0x0a;
const SCAN_CHUNK = 64 * 1024;

/** The last record of a chain: where the next one links. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** What opening a journal had to clean up after a crash. */
export interface TailRecovery {
  /** Bytes cut from the end: a torn last line and any unparseable lines before it. */
  readonly truncatedBytes: number;
  /** Complete lines that were not JSON records (e.g. zero-filled blocks after a power loss). */
  readonly droppedLines: number;
}

/** A record read back from a journal, with the exact JSON it was stored as. */
export interface JournalEntry {
  readonly record: AuditRecord;
  readonly json: string;
}

/** Parses one journal line; undefined when it is not a sealed record. */
export function parseJournalLine(json: string): AuditRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  // Every field a row needs and the chain relies on; the rest is checked by verify.
  const record = value as Partial<AuditRecord>;
  const valid =
    Number.isSafeInteger(record.seq) &&
    typeof record.type === 'string' &&
    typeof record.node === 'string' &&
    typeof record.time === 'string' &&
    typeof record.prevHash === 'string' &&
    typeof record.hash === 'string';
  return valid ? (record as AuditRecord) : undefined;
}

/** Position of the last `\n` before byte `end`, or -1. Reads backwards in chunks. */
function lastNewlineBefore(fd: number, end: number, scratch: Buffer): number {
  let pos = end;
  while (pos > 0) {
    const start = Math.max(0, pos - scratch.length);
    const length = pos - start;
    readSync(fd, scratch, 0, length, start);
    const at = scratch.subarray(0, length).lastIndexOf(NEWLINE);
    if (at >= 0) return start + at;
    pos = start;
  }
  return -1;
}

/**
 * Finds the last record of the journal at `path` and cuts away whatever follows it: a line torn by
 * a crash mid-write (no trailing newline) and complete lines that are not JSON records. A line that
 * parses is kept even if its hash is wrong: verify names it, and dropping it would lose evidence.
 */
export function recoverTail(path: string): { last: AuditRecord | undefined; size: number } & TailRecovery {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const scratch = Buffer.allocUnsafe(SCAN_CHUNK);
    let end = size;
    let droppedLines = 0;
    let last: AuditRecord | undefined;
    while (end > 0) {
      const nl = lastNewlineBefore(fd, end, scratch);
      if (nl < 0) {
        end = 0;
        break;
      }
      end = nl + 1;
      const start = lastNewlineBefore(fd, nl, scratch) + 1;
      const line = Buffer.allocUnsafe(nl - start);
      readSync(fd, line, 0, line.length, start);
      last = parseJournalLine(line.toString('utf8'));
      if (last) break;
      droppedLines++;
      end = start;
    }
    if (end < size) {
      ftruncateSync(fd, end);
      fsyncSync(fd);
    }
    return { last, size: end, truncatedBytes: size - end, droppedLines };
  } finally {
    closeSync(fd);
  }
}

function stateMac(key: Buffer, node: string, head: ChainHead): string {
  return createHmac('sha256', key).update(`journal-state|${node}|${head.seq}|${head.hash}`).digest('hex');
}

/** Reads the signed head saved at the last rotation; undefined when there is none. */
export function readState(path: string, node: string, key: Buffer): ChainHead | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: { seq?: unknown; hash?: unknown; mac?: unknown };
  try {
    state = JSON.parse(text) as typeof state;
  } catch {
    throw new AirlockError(
      'ERR_AUDIT_UNAVAILABLE',
      `journal state ${path} is not JSON; restore it or remove it`,
    );
  }
  const { seq, hash, mac } = state;
  if (!Number.isSafeInteger(seq) || typeof hash !== 'string' || typeof mac !== 'string') {
    throw new AirlockError('ERR_AUDIT_UNAVAILABLE', `journal state ${path} lacks seq, hash or mac`);
  }
  const head = { seq: seq as number, hash };
  const expected = Buffer.from(stateMac(key, node, head), 'hex');
  const given = Buffer.from(mac, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AirlockError(
      'ERR_AUDIT_UNAVAILABLE',
      `journal state ${path} does not verify with the node key (edited, or node.key replaced)`,
    );
  }
  return head;
}

/** Saves the head durably and atomically: temp file, fsync, rename, fsync of the folder. */
export function writeState(path: string, node: string, key: Buffer, head: ChainHead): void {
  const tmp = `${path}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify({ seq: head.seq, hash: head.hash, mac: stateMac(key, node, head) }) + '\n',
    {
      mode: 0o600,
      flush: true,
    },
  );
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Records read from a range of a journal. */
export interface JournalChunk {
  readonly entries: JournalEntry[];
  /** Offset just past the last line consumed (the next read starts here). */
  readonly nextOffset: number;
  /** Lines skipped because they were not records. */
  readonly corrupt: number;
}

/**
 * Reads whole lines from an open journal, reusing one buffer that grows to the longest line seen.
 * Used by the drainer; the journal's writer never reads.
 */
export class JournalReader {
  readonly #file: FileHandle;
  #buffer = Buffer.allocUnsafe(1024 * 1024);

  constructor(file: FileHandle) {
    this.#file = file;
  }

  /** Reads up to `maxRecords` complete lines from `[offset, end)`. */
  async read(offset: number, end: number, maxRecords: number): Promise<JournalChunk> {
    const entries: JournalEntry[] = [];
    let corrupt = 0;
    let consumed = offset;
    while (consumed < end && entries.length < maxRecords) {
      const want = Math.min(this.#buffer.length, end - consumed);
      const { bytesRead } = await this.#file.read(this.#buffer, 0, want, consumed);
      let lineStart = 0;
      let nl = this.#buffer.indexOf(NEWLINE, 0);
      while (nl >= 0 && nl < bytesRead && entries.length < maxRecords) {
        const json = this.#buffer.toString('utf8', lineStart, nl);
        const record = parseJournalLine(json);
        if (record) entries.push({ record, json });
        else corrupt++;
        lineStart = nl + 1;
        nl = this.#buffer.indexOf(NEWLINE, lineStart);
      }
      if (lineStart === 0) {
        // No whole line in the buffer: either the range ends mid-line (never, for a journal's own
        // size) or one line is longer than the buffer, which then doubles.
        if (bytesRead < this.#buffer.length) break;
        this.#buffer = Buffer.allocUnsafe(this.#buffer.length * 2);
        continue;
      }
      consumed += lineStart;
    }
    return { entries, nextOffset: consumed, corrupt };
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.#file.close();
  }
}
