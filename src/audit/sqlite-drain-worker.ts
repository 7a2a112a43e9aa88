/**
 * @module The main thread's side of the drain worker (drain-worker.ts): starts it on first use,
 * posts one batch of journal lines at a time and resolves when the worker has committed it. The
 * main thread keeps only the bookkeeping; the SQLite work, and the parsing it needs, run there.
 * A worker that dies is replaced on the next write; one that keeps dying (it cannot even start,
 * say) is given up on, and the drainer writes on the main thread instead.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { AirlockError } from '../core/errors.js';
import type { AuditAnchorsTable } from '../store/schema.js';

/** What the worker is started with. */
export interface DrainWorkerData {
  /** The SQLite file the main thread's store has open. */
  readonly path: string;
}

/** Main thread → worker. */
export type DrainWorkerRequest =
  | {
      readonly type: 'write';
      readonly id: number;
      readonly lines: readonly string[];
      readonly anchor: AuditAnchorsTable;
    }
  | { readonly type: 'close' };

/** Worker → main thread: one reply per write. */
export type DrainWorkerReply =
  | { readonly id: number; readonly ok: true }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** Deaths in a row, without a stored batch in between, before the worker is given up on. */
const DEATHS_BEFORE_GIVING_UP = 3;
const CLOSE_TIMEOUT_MS = 5000;
/** The worker's young generation, in MB (docs/benchmarks.md, "Memory and the drain"). */
const WORKER_YOUNG_GENERATION_MB = 8;

interface Waiter {
  readonly resolve: (outcome: WriteOutcome) => void;
  readonly reject: (err: AirlockError) => void;
}

/**
 * `stored`: committed. `lost`: the worker died (or was closed) before it replied; the batch may or
 * may not be committed, and only the store can tell.
 */
export type WriteOutcome = 'stored' | 'lost';

/** A worker's code: a file, or source text to evaluate. */
export interface WorkerSource {
  readonly source: string | URL;
  readonly eval: boolean;
}

/**
 * How to start the worker. From the built package it is plain `drain-worker.js`. Run from the
 * TypeScript sources (tests, `npm run demo`), Node 20 does not apply the parent's `--import tsx`
 * hooks to a worker's entry, so the worker registers tsx itself before importing the entry.
 */
function workerSource(): WorkerSource {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { source: new URL('./drain-worker.js', here), eval: false };
  const entry = new URL('./drain-worker.ts', here);
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    // Another TypeScript runtime (Node's own type stripping): hope it covers workers too.
    return { source: entry, eval: false };
  }
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { source: boot, eval: true };
}

/** A worker thread that writes drain batches to the SQLite file at `path`. */
export class SqliteDrainWorker {
  readonly #path: string;
  readonly #source: WorkerSource;
  #worker: Worker | undefined;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #deaths = 0;
  #lastDeath = '';

  /** `source` replaces drain-worker.ts (tests start workers that misbehave). */
  constructor(path: string, source: WorkerSource = workerSource()) {
    this.#path = path;
    this.#source = source;
  }

  /** Why the last worker died, for reports. */
  get lastDeath(): string {
    return this.#lastDeath;
  }

  /** False once the worker died too often in a row: write on the main thread instead. */
  get usable(): boolean {
    return this.#deaths < DEATHS_BEFORE_GIVING_UP;
  }

  /**
   * Stores the records on `lines` and `anchor` in one transaction in the worker. Rejects with
   * ERR_AUDIT_UNAVAILABLE when the store refuses the write (nothing is stored then).
   */
  write(lines: readonly string[], anchor: AuditAnchorsTable): Promise<WriteOutcome> {
    const worker = this.#worker ?? this.#spawn();
    const id = this.#nextId++;
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // Referenced only while a write is out: an idle worker never keeps the process alive.
      worker.ref();
      worker.postMessage({ type: 'write', id, lines, anchor } satisfies DrainWorkerRequest);
    });
  }

  /** Lets the worker close its connection and exit (terminates it if it does not, in time). */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#loseAll();
    const exited = once(worker, 'exit');
    worker.postMessage({ type: 'close' } satisfies DrainWorkerRequest);
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #spawn(): Worker {
    const worker = new Worker(this.#source.source, {
      eval: this.#source.eval,
      workerData: { path: this.#path } satisfies DrainWorkerData,
      // A batch's garbage is a few MB at most (500 lines and their rows); left alone, V8 grows the
      // worker's young generation towards 32 MB under steady load, all of it resident memory.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on('message', (reply: DrainWorkerReply) => this.#settle(worker, reply));
    worker.on('error', (err) => this.#died(worker, err.message));
    worker.on('exit', (code) => this.#died(worker, `it exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  #settle(worker: Worker, reply: DrainWorkerReply): void {
    const waiter = this.#waiting.get(reply.id);
    if (!waiter) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0) worker.unref();
    if (reply.ok) {
      this.#deaths = 0;
      waiter.resolve('stored');
    } else {
      waiter.reject(new AirlockError('ERR_AUDIT_UNAVAILABLE', `audit store write failed: ${reply.message}`));
    }
  }

  /** 'error' and then 'exit' both land here; only the first counts. */
  #died(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#deaths++;
    this.#lastDeath = reason;
    void worker.terminate();
    this.#loseAll();
  }

  #loseAll(): void {
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiters) waiter.resolve('lost');
  }
}
