/**
 * @module The JSONL export sink: appends one sealed record per line to a local file (for a SIEM
 * agent such as Filebeat or Vector to tail), fsyncs before the batch counts as delivered, and
 * rotates by size and by UTC day. A rotated file is renamed `<path>.<UTC timestamp>` and never
 * touched again; a new live file starts at `path`.
 */
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { JsonlExportSink } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import type { ExportBatch, SinkWriter } from './sink.js';

/** `2026-03-02T09-12-03.118Z`: sortable, and free of the `:` some tools dislike in file names. */
export function rotationSuffix(time: Date): string {
  return time.toISOString().replaceAll(':', '-');
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Appends batches to `sink.path`. */
export class JsonlSink implements SinkWriter {
  readonly #sink: JsonlExportSink;
  readonly #clock: Clock;
  #file: FileHandle | undefined;
  #size = 0;
  /** UTC day the live file's first line was written (from its mtime after a restart). */
  #day = '';

  constructor(sink: JsonlExportSink, clock: Clock) {
    this.#sink = sink;
    this.#clock = clock;
  }

  /** A local write is not aborted midway: it is short, and a torn line would be worse. */
  async deliver(batch: ExportBatch, _signal?: AbortSignal): Promise<void> {
    if (batch.events.length === 0) return;
    let text = '';
    for (const event of batch.events) text += `${event.record}\n`;
    const data = Buffer.from(text);
    await this.#open();
    if (this.#rotationDue(data.length)) await this.#rotate();
    const file = await this.#open();
    const before = this.#size;
    try {
      await file.write(data);
      await file.sync();
    } catch (err) {
      // A torn batch would leave half a line in front of the retried one: cut back to the last
      // whole batch (best effort: the file may be what failed).
      await file.truncate(before).catch(() => undefined);
      throw new AirlockError('ERR_DELIVERY_FAILED', `cannot append to ${this.#sink.path}`, { cause: err });
    }
    this.#size = before + data.length;
    if (before === 0) this.#day = utcDay(this.#clock.nowMs());
  }

  async close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.close();
  }

  async #open(): Promise<FileHandle> {
    if (this.#file) return this.#file;
    mkdirSync(dirname(this.#sink.path), { recursive: true });
    const file = await open(this.#sink.path, 'a', 0o600);
    const info = await file.stat();
    this.#file = file;
    this.#size = info.size;
    this.#day = info.size > 0 ? utcDay(info.mtimeMs) : '';
    return file;
  }

  #rotationDue(incoming: number): boolean {
    if (this.#size === 0) return false;
    const max = this.#sink.rotateMaxBytes;
    if (max !== undefined && this.#size + incoming > max) return true;
    return this.#sink.rotateDaily && this.#day !== utcDay(this.#clock.nowMs());
  }

  async #rotate(): Promise<void> {
    await this.close();
    const base = `${this.#sink.path}.${rotationSuffix(this.#clock.now())}`;
    let target = base;
    // Two rotations in one millisecond (tiny maxBytes, a fast catch-up) must not overwrite each other.
    for (let n = 1; await exists(target); n++) target = `${base}-${n}`;
    await rename(this.#sink.path, target);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
