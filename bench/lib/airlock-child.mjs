/**
 * @module The Airlock process the bench measures. Forked by `airlock.ts` with an IPC channel: it
 * receives the config, starts the server, creates the bench token and reports addresses and token
 * back (messages typed in `airlock.ts`). It runs apart from the bench driver so that Airlock has its
 * own event loop and its CPU time can be read from `/proc/<pid>/stat` without counting the driver.
 * Plain JavaScript on the built `dist/` (what `airlock serve` runs), so neither TypeScript loading
 * nor a loader thread is counted in its CPU time or memory; `npm run bench` builds first.
 */
// First, as in the `airlock` binary: V8 flags set before any WebAssembly is compiled (the driver
// forks this file with `serve` as its argument, so they are the flags of `airlock serve`).
import '../../dist/cli/node-flags.js';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { startServer } from '../../dist/server/start.js';

const MB = 1024 * 1024;

/**
 * Where the process's memory is, for AIRLOCK_BENCH_MEMORY=1 (printed at stop): Node's own counts,
 * V8's heap spaces (size/used MB) and resident MB by kind of mapping from /proc/self/smaps (`anon`
 * holds the V8 heaps, WebAssembly memories and thread arenas; `[heap]` is the main malloc arena).
 */
function memoryReport() {
  const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;
  const usage = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]));
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, `${mb(s.space_size)}/${mb(s.space_used_size)}`]),
  );
  /** @type {Record<string, number>} */
  const resident = {};
  let kind = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) kind = `${mapping[1]} ${mapping[2]?.startsWith('/') ? 'file' : mapping[2] || 'anon'}`;
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) resident[kind] = (resident[kind] ?? 0) + Number(rss[1]) * 1024;
  }
  return {
    usage,
    spaces,
    resident: Object.fromEntries(Object.entries(resident).map(([k, v]) => [k, mb(v)])),
  };
}

/** @type {import('../../src/server/start.js').RunningServer | undefined} */
let server;
let stopping = false;

/** Resolves once the message is handed to the channel, so an exit right after cannot drop it. */
/** @param {import('./airlock.js').FromAirlockChild} message */
function send(message) {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    if (process.env.AIRLOCK_BENCH_MEMORY) console.error(JSON.stringify(memoryReport(), null, 1));
    await server?.stop();
  } finally {
    // The driver waits for this process to exit, not for a message.
    process.exit(0);
  }
}

/** @param {import('../../src/core/config.js').AirlockConfig} config */
async function start(config) {
  try {
    server = await startServer(config);
    const postgres = server.addresses.postgres;
    if (!postgres) throw new Error('Airlock started without a PostgreSQL listener');
    // The bench agent: in group `bench`, which the bench connection's access list names.
    const token = await server.createToken({ name: 'bench-agent', groups: ['bench'], kind: 'agent' });
    await send({ type: 'ready', postgres: { host: postgres.host, port: postgres.port }, token });
  } catch (err) {
    await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
}

// Ctrl-C reaches the whole process group; the driver decides when Airlock stops, so that a
// pgbench run never sees Airlock vanish before the driver has stopped it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());
// The driver died or let go: nothing is left to serve.
process.on('disconnect', () => void stop());
process.on('message', (/** @type {import('./airlock.js').ToAirlockChild} */ message) => {
  if (message.type === 'start') void start(message.config);
  else if (message.type === 'stop') void stop();
});
