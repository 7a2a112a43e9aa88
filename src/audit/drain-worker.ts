/**
 * @module The drain worker: a worker thread that owns its own connection to the SQLite store
 * (WAL lets it write beside the main thread's connection) and stores the batches the drainer
 * posts, so the synchronous SQLite work never holds the event loop that relays client traffic.
 * It receives journal lines, not rows: parsing them here keeps that work off the main thread too,
 * and derives every column from exactly the JSON that is stored, as verify does.
 * Started by sqlite-drain-worker.ts; not imported by anything else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { AirlockError } from '../core/errors.js';
import { SqliteBatchWriter } from './sqlite-batch-writer.js';
import type { DrainWorkerData, DrainWorkerReply, DrainWorkerRequest } from './sqlite-drain-worker.js';
import { batchFromLines } from './store-batch.js';

const port = parentPort;
if (!port) throw new AirlockError('ERR_INTERNAL', 'drain-worker.ts runs only as a worker thread');
const { path } = workerData as DrainWorkerData;
const handle = new SqliteDatabase(path, { fileMustExist: true });
// Per connection, as db.ts sets them on the main one (WAL mode itself is stored in the file).
handle.pragma('busy_timeout = 5000');
handle.pragma('synchronous = NORMAL');
const writer = new SqliteBatchWriter(handle);

port.on('message', (request: DrainWorkerRequest) => {
  if (request.type === 'close') {
    handle.close();
    port.close();
    return;
  }
  let reply: DrainWorkerReply;
  try {
    writer.write(batchFromLines(request.lines, request.anchor));
    reply = { id: request.id, ok: true };
  } catch (err) {
    const { message, code } = err as { message?: unknown; code?: unknown };
    reply = {
      id: request.id,
      ok: false,
      message: typeof message === 'string' ? message : String(err),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  port.postMessage(reply);
});
