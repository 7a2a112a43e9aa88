/**
 * @module The CLI as a function: `run(argv, io)` returns the exit status, so tests call it without
 * spawning a process. `main.ts` is the thin bin wrapper.
 */
import { Command, CommanderError } from 'commander';
import { approvalCommands } from './commands/approvals.js';
import { auditCommands } from './commands/audit.js';
import { configCommands } from './commands/config.js';
import { connectionCommands } from './commands/connections.js';
import { delegateCommand } from './commands/delegate.js';
import { demoCommand } from './commands/demo.js';
import { grantCommands } from './commands/grants.js';
import { lockCommands } from './commands/lock.js';
import { loginCommands } from './commands/login.js';
import { policyCommands } from './commands/policy.js';
import { requestCommand } from './commands/request.js';
import { reviewCommands } from './commands/reviews.js';
import { serveCommand } from './commands/serve.js';
import { sessionCommands } from './commands/sessions.js';
import { tokenCommands, whoamiCommand } from './commands/tokens.js';
import { type CliIo, reportError } from './io.js';

/** Builds the command tree. Each command records its exit status in `state.exit`. */
export function buildProgram(io: CliIo, state: { exit: number }): Command {
  const program = new Command('airlock')
    .description('Airlock: the access gateway for AI agents')
    .option(
      '--config <file>',
      'config file (else AIRLOCK_CONFIG, else ./airlock.yaml): act locally on the store',
    )
    .option('--server <url>', 'Airlock API URL (else AIRLOCK_SERVER): act through the API as --token')
    .option('--token <token>', 'token to act as with --server (else AIRLOCK_TOKEN, else airlock login)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError();
  const ctx = { io, state };
  serveCommand(program, ctx);
  demoCommand(program, ctx);
  configCommands(program, ctx);
  tokenCommands(program, ctx);
  whoamiCommand(program, ctx);
  connectionCommands(program, ctx);
  sessionCommands(program, ctx);
  auditCommands(program, ctx);
  policyCommands(program, ctx);
  grantCommands(program, ctx);
  approvalCommands(program, ctx);
  reviewCommands(program, ctx);
  requestCommand(program, ctx);
  delegateCommand(program, ctx);
  lockCommands(program, ctx);
  loginCommands(program, ctx);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit status. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const state = { exit: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exit;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      return thrown.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, thrown);
  }
}
