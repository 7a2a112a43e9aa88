/**
 * @module `airlock lock --identity S | --connection C [--ttl 1h] --reason R`, `airlock lock list`,
 * `airlock unlock ID`: cut access off now. New sessions are refused and live ones end within a
 * second on every server. `--identity` takes a subject (`alice`, `user:alice`: their delegates too)
 * or `group:NAME` (every member, and every delegate whose root is a member).
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type { LockView } from '../../identity/locks.js';
import { withAdmin } from '../context.js';
import { type CliIo, printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { durationOption } from './grants.js';

function printLocks(io: CliIo, locks: readonly LockView[]): void {
  printTable(io, locks, [
    { header: 'ID', value: (l) => l.id },
    { header: 'KIND', value: (l) => l.targetKind },
    { header: 'TARGET', value: (l) => l.target },
    { header: 'BY', value: (l) => l.createdBy },
    { header: 'CREATED', value: (l) => l.createdAt },
    { header: 'EXPIRES', value: (l) => l.expiresAt },
    { header: 'REMOVED', value: (l) => l.removedAt },
    { header: 'REASON', value: (l) => l.reason },
  ]);
}

/** Registers `lock` (with `lock list`) and `unlock`. */
export function lockCommands(program: Command, { io }: CommandContext): void {
  const lock = program
    .command('lock')
    .description(
      'lock an identity or a connection: refuse new sessions, end live ones; prints the lock id last',
    )
    .option(
      '--identity <subject>',
      'an identity (token name, ISSUER:SUBJECT or user:SUBJECT; its delegates too) or group:NAME (its members and their delegates)',
    )
    .option('--connection <name>', 'a connection')
    .option('--ttl <duration>', 'how long (default: until unlocked)')
    .option('--reason <text>', 'why (shown to the locked-out client and in the audit trail)')
    .option('--json', 'print the lock as JSON')
    .action(
      async (
        opts: { identity?: string; connection?: string; ttl?: string; reason?: string; json?: boolean },
        cmd: Command,
      ) => {
        if ((opts.identity === undefined) === (opts.connection === undefined)) {
          throw new AirlockError('ERR_BAD_REQUEST', 'lock target', {
            userMessage:
              'airlock lock needs exactly one of --identity SUBJECT, --identity group:NAME or --connection NAME',
          });
        }
        if (!opts.reason) {
          throw new AirlockError('ERR_BAD_REQUEST', 'lock without reason', {
            userMessage: 'airlock lock needs --reason',
          });
        }
        const ttlMs = durationOption('--ttl', opts.ttl);
        const created = await withAdmin(globals(cmd), io, (admin) =>
          admin.createLock({
            targetKind: opts.identity !== undefined ? 'identity' : 'connection',
            target: (opts.identity ?? opts.connection) as string,
            reason: opts.reason as string,
            ...(ttlMs !== undefined ? { ttlMs } : {}),
          }),
        );
        if (opts.json) return printJson(io, created);
        say(
          io,
          `locked ${created.targetKind} ${created.target}${created.expiresAt ? ` until ${created.expiresAt}` : ''}`,
        );
        say(io, created.id);
      },
    );
  lock
    .command('list')
    .description('locks in force (all with --all)')
    .option('--all', 'removed and expired locks too')
    .option('--json', 'JSON array')
    .action(async (_opts: unknown, cmd: Command) => {
      // `--json` and `--all` may land on `lock` itself (commander shares them with the parent).
      const opts = cmd.optsWithGlobals() as { all?: boolean; json?: boolean };
      const locks = await withAdmin(globals(cmd), io, (admin) => admin.listLocks(opts.all ?? false));
      if (opts.json) return printJson(io, locks);
      printLocks(io, locks);
    });
  program
    .command('unlock')
    .description('remove a lock')
    .argument('<id>', 'lock id (airlock lock list shows them)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const removed = await withAdmin(globals(cmd), io, (admin) => admin.removeLock(id));
      say(io, `unlocked ${removed.targetKind} ${removed.target} (${removed.id})`);
    });
}
