/**
 * @module `airlock config check [FILE]`: validates without starting anything.
 */
import type { Command } from 'commander';
import { checkConfigFile, findConfigFile } from '../../config/load.js';
import { say } from '../io.js';
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
      const result = await checkConfigFile(path, io.env);
      for (const warning of result.warnings) io.stderr.write(`warning: ${warning}\n`);
      if (result.problems.length > 0) {
        io.stderr.write(`${path}: ${result.problems.length} problem(s)\n`);
        for (const problem of result.problems) io.stderr.write(`  ${problem}\n`);
        state.exit = 2;
        return;
      }
      say(io, `${path}: OK (${result.config?.connections.length ?? 0} connections)`);
    });
}
