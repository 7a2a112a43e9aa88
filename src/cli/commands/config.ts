/**
 * @module `airlock config check [FILE]`: validates without starting anything (keys and every
 * connection's guardrails compiled, as a start or a reload would). `airlock config reload`: asks the
 * running server to re-read its config file, through the API as an admin.
 */
import type { Command } from 'commander';
import { HttpAdmin } from '../../admin/http-client.js';
import type { ConfigReloadView } from '../../admin/service.js';
import { findConfigFile } from '../../config/load.js';
import { AirlockError } from '../../core/errors.js';
import { prepareConfig } from '../../server/reload.js';
import { type GlobalFlags, loadCliConfig, withAdmin } from '../context.js';
import { type CliIo, printJson, say } from '../io.js';
import { type CommandContext, globals } from './context.js';

/** Registers the config commands. */
export function configCommands(program: Command, { io, state }: CommandContext): void {
  const config = program.command('config').description('configuration');
  config
    .command('check')
    .description('validate a config file; lists every problem, exits non-zero if any')
    .argument('[file]', 'config file (else --config, AIRLOCK_CONFIG, ./airlock.yaml)')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const path = findConfigFile(file ?? globals(cmd).config, io.env, io.cwd);
      const result = await prepareConfig(path, io.env);
      for (const warning of result.warnings) io.stderr.write(`warning: ${warning}\n`);
      if (!result.ok) {
        io.stderr.write(`${path}: ${result.problems.length} problem(s)\n`);
        for (const problem of result.problems) io.stderr.write(`  ${problem}\n`);
        state.exit = 2;
        return;
      }
      say(io, `${path}: OK (${result.config.connections.length} connections)`);
    });
  config
    .command('reload')
    .description(
      'make the running server re-read its config file (admin token; with --config, the API address in it)',
    )
    .option('--json', 'the reload report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const flags = globals(cmd);
      const report = flags.config
        ? await reloadThroughConfig(flags, io)
        : await withAdmin(flags, io, (admin) => admin.reloadConfig());
      if (opts.json) return printJson(io, report);
      printReload(io, report);
    });
}

/**
 * With --config the CLI acts locally, but a reload must happen inside the server: call the API at
 * the config's `listen.api` with --token / AIRLOCK_TOKEN.
 */
async function reloadThroughConfig(flags: GlobalFlags, io: CliIo): Promise<ConfigReloadView> {
  const config = await loadCliConfig(flags, io);
  const token = flags.token ?? io.env.AIRLOCK_TOKEN;
  const { host, port } = config.listen.api;
  if (!token || port === 0) {
    throw new AirlockError('ERR_UNAUTHENTICATED', 'config reload needs the server and an admin token', {
      userMessage:
        port === 0
          ? 'listen.api has port 0: pass --server URL --token TOKEN (or send the server SIGHUP)'
          : 'config reload goes through the running server: pass --token TOKEN or set AIRLOCK_TOKEN (or send the server SIGHUP)',
    });
  }
  const reachable =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return new HttpAdmin(`http://${reachable}:${port}`, token).reloadConfig();
}

function printReload(io: CliIo, report: ConfigReloadView): void {
  for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
  for (const key of report.restartRequired) {
    io.stderr.write(`warning: ${key} changed: restart airlock to apply it (the running value stays)\n`);
  }
  const list = (names: readonly string[]) => (names.length ? names.join(', ') : '-');
  say(io, `${report.file}: reloaded`);
  say(io, `  added:   ${list(report.added)}`);
  say(io, `  changed: ${list(report.changed)}`);
  say(io, `  removed: ${list(report.removed)}`);
  if (report.sessionsEnded > 0) say(io, `  live sessions ended: ${report.sessionsEnded}`);
}
