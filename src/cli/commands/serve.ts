/**
 * @module `airlock serve`: runs the gateway until SIGTERM/SIGINT, then drains; SIGHUP reloads the config.
 */
import type { Command } from 'commander';
import { startServer } from '../../server/start.js';
import { loadCliConfig } from '../context.js';
import { onHangup, untilSignal } from '../signals.js';
import { type CommandContext, globals } from './context.js';

/** How long open sessions may finish after SIGTERM before they are told and closed. */
const DRAIN_GRACE_MS = 30_000;

/** Registers `airlock serve`. */
export function serveCommand(program: Command, { io }: CommandContext): void {
  program
    .command('serve')
    .description('run the gateway (API, PostgreSQL listener) until SIGTERM')
    .option('--drain-grace <ms>', 'how long open sessions may finish on SIGTERM', String(DRAIN_GRACE_MS))
    .action(async (opts: { drainGrace: string }, cmd: Command) => {
      const config = await loadCliConfig(globals(cmd), io);
      const server = await startServer(config, { env: io.env });
      // The reloader logs and audits the outcome itself; a rejected file leaves the server as it was.
      const stopReloads = onHangup(() => {
        server.reloadConfig().catch((err: unknown) => server.log.error({ err }, 'config reload failed'));
      });
      const signal = await untilSignal();
      stopReloads();
      server.log.info({ signal }, 'draining');
      await server.drain(Number(opts.drainGrace) || DRAIN_GRACE_MS);
    });
}
