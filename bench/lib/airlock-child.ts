/**
 * @module The Airlock process the bench measures. Forked by `airlock.ts` with an IPC channel: it
 * receives the config, starts the server, creates the bench token and reports addresses and token
 * back. It runs apart from the bench driver so that Airlock has its own event loop and its CPU time
 * can be read from `/proc/<pid>/stat` without counting the driver.
 */
import type { AirlockConfig } from '../../src/core/config.js';
import { type RunningServer, startServer } from '../../src/server/start.js';

/** Parent → child. */
export type ToAirlockChild =
  | { readonly type: 'start'; readonly config: AirlockConfig }
  | { readonly type: 'stop' };

/** Child → parent. */
export type FromAirlockChild =
  | {
      readonly type: 'ready';
      readonly postgres: { readonly host: string; readonly port: number };
      readonly token: string;
    }
  | { readonly type: 'failed'; readonly message: string };

let server: RunningServer | undefined;
let stopping = false;

/** Resolves once the message is handed to the channel, so an exit right after cannot drop it. */
function send(message: FromAirlockChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await server?.stop();
  } finally {
    // The driver waits for this process to exit, not for a message.
    process.exit(0);
  }
}

async function start(config: AirlockConfig): Promise<void> {
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
process.on('message', (message: ToAirlockChild) => {
  if (message.type === 'start') void start(message.config);
  else if (message.type === 'stop') void stop();
});
