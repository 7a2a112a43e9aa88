/**
 * @module Writes database session recordings from the audit journal: it listens to the node's
 * journal (every protocol's engine journals the same neutral events), so no protocol code knows
 * about recordings. A successful `session.start` opens `<dir>/<sessionId>.jsonl` with a header
 * line; each `command`, `command.result` and the `session.end` add one line (recording.ts); the
 * end line closes it (for a session an earlier run left open, the end the server writes for it
 * at start).
 *
 * The journal calls listeners synchronously on the statement path, so the listener only formats
 * the line and queues it. Queued lines are written every `flushIntervalMs` (default 250): one
 * open-append-close per session that has lines, so a busy session costs one small write per
 * interval, not one per statement. (The first version appended with `fs.promises.appendFile` per
 * queued run, ~150 µs of CPU per pgbench -S transaction; a 50 ms interval still cost ~15 % on TPC-B
 * at 64 clients in open/write/close calls: docs/benchmarks.md.)
 * A crash loses at most the last interval of a recording, never of the audit journal it is built
 * from. A write failure is reported and that session's recording stops (statements are never
 * refused for it: the journal is the evidence, the recording a convenience built from it).
 */
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../audit/events.js';
import type { Journal } from '../audit/journal.js';
import { recordingHeader, recordingLine, safeSessionId } from './recording.js';

/** Options for `SessionRecorder`. */
export interface SessionRecorderOptions {
  /** The recordings folder (the server uses `<stateDir>/recordings`). */
  readonly dir: string;
  /** Told when a recording cannot be written; it is abandoned then. */
  readonly onError?: (err: unknown, sessionId: string) => void;
  /** How often queued lines are written, in ms. Default 250. */
  readonly flushIntervalMs?: number;
}

/** One recording being written. */
interface OpenRecording {
  readonly path: string;
  readonly startMs: number;
  /** Lines not yet written. */
  queued: string;
  /** Records whose lines are not built yet: that waits for the write, off the statement path. */
  records: AuditRecord[];
  /** The end line is queued: forget the session once it is written. */
  ended: boolean;
  failed: boolean;
}

/** Records the sessions of one node's journal. */
export class SessionRecorder {
  readonly #o: SessionRecorderOptions;
  readonly #open = new Map<string, OpenRecording>();
  /** Sessions with queued lines, in the order they got them. */
  readonly #dirty = new Map<string, OpenRecording>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: SessionRecorderOptions) {
    this.#o = options;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  }

  /** The recordings folder. */
  get dir(): string {
    return this.#o.dir;
  }

  /** Starts listening to `journal`. */
  attach(journal: Journal): void {
    this.#unsubscribe ??= journal.subscribe((record) => this.onRecord(record));
  }

  /** True while the session's recording is open (retention leaves it alone). */
  isOpen(sessionId: string): boolean {
    return this.#open.has(sessionId);
  }

  /** Handles one sealed record; synchronous and cheap, never throws. */
  onRecord(record: AuditRecord): void {
    if (record.type === 'session.start') {
      if (record.outcome !== 'success' || !safeSessionId(record.sessionId)) return;
      if (this.#open.has(record.sessionId)) return;
      const recording: OpenRecording = {
        path: this.pathOf(record.sessionId),
        startMs: Date.parse(record.time),
        queued: '',
        records: [],
        ended: false,
        failed: false,
      };
      this.#open.set(record.sessionId, recording);
      this.#queue(record.sessionId, recording, JSON.stringify(recordingHeader(record)));
      return;
    }
    if (record.type !== 'command' && record.type !== 'command.result' && record.type !== 'session.end')
      return;
    const recording = this.#open.get(record.sessionId) ?? this.#reopen(record);
    // A session this recorder did not see start (opened by an earlier run): not recorded.
    if (!recording || recording.ended) return;
    if (record.type === 'session.end') recording.ended = true;
    if (recording.failed) return;
    // Only a reference here: the line is built when it is written, so the statement path pays a
    // push, and the line's strings die young instead of waiting in a queue.
    recording.records.push(record);
    this.#markDirty(record.sessionId, recording);
  }

  /**
   * The `session.end` the server writes at start for a session an earlier run left open
   * (src/server/orphans.ts) closes that run's recording, if it is there. Its `durationMs` counts
   * from the session's start, so the end line's offset is right without reading the header.
   */
  #reopen(record: AuditRecord): OpenRecording | undefined {
    if (record.type !== 'session.end' || !safeSessionId(record.sessionId)) return undefined;
    const path = this.pathOf(record.sessionId);
    if (!existsSync(path)) return undefined;
    const recording: OpenRecording = {
      path,
      startMs: Date.parse(record.time) - record.durationMs,
      queued: '',
      records: [],
      ended: false,
      failed: false,
    };
    this.#open.set(record.sessionId, recording);
    return recording;
  }

  /** The file of a session's recording. */
  pathOf(sessionId: string): string {
    return join(this.#o.dir, `${sessionId}.jsonl`);
  }

  /** Writes everything queued so far (async for callers that await it; the work is synchronous). */
  async flush(): Promise<void> {
    this.#writeQueued();
  }

  /**
   * Stops listening and writes what is queued. Recordings of sessions still open stay without
   * an end line (the server ends its sessions before it closes the recorder).
   */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#writeQueued();
    this.#open.clear();
  }

  #queue(sessionId: string, recording: OpenRecording, line: string): void {
    if (recording.failed) return;
    recording.queued += `${line}\n`;
    this.#markDirty(sessionId, recording);
  }

  #markDirty(sessionId: string, recording: OpenRecording): void {
    this.#dirty.set(sessionId, recording);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#o.flushIntervalMs ?? 250);
      // Queued lines must not keep a stopping process alive; close() writes them.
      this.#timer.unref();
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#writeQueued();
  };

  /** Appends each dirty session's lines with one write; the end line's write forgets the session. */
  #writeQueued(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    for (const [sessionId, recording] of this.#dirty) {
      let text = recording.queued;
      recording.queued = '';
      for (const record of recording.records) {
        const line = recordingLine(record, recording.startMs);
        if (line) text += `${JSON.stringify(line)}\n`;
      }
      recording.records = [];
      try {
        appendWhole(recording.path, text);
      } catch (err) {
        recording.failed = true;
        this.#o.onError?.(err, sessionId);
      }
      if (recording.ended || recording.failed) this.#open.delete(sessionId);
    }
    this.#dirty.clear();
  }
}

/** Appends `text` to `path` (created 0600) and closes it again: no descriptor stays open per session. */
function appendWhole(path: string, text: string): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } finally {
    closeSync(fd);
  }
}
