/**
 * @module `airlock sessions list`.
 */
import type { Command } from 'commander';
import { parseTimeBound } from '../../admin/time.js';
import { systemClock } from '../../core/clock.js';
import { withAdmin } from '../context.js';
import { printJson, printTable } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { parseLimit } from './limits.js';

interface SessionFlags {
  identity?: string;
  connection?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

/** Registers the session commands. */
export function sessionCommands(program: Command, { io }: CommandContext): void {
  const sessions = program.command('sessions').description('client sessions through Airlock');
  sessions
    .command('list')
    .description('sessions, newest first')
    .option('--identity <subject>', 'only this identity')
    .option('--connection <name>', 'only this connection')
    .option('--since <time>', 'ISO time or duration ago (2h, 7d)')
    .option('--until <time>', 'ISO time or duration ago')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'JSON array')
    .action(async (opts: SessionFlags, cmd: Command) => {
      const since = parseTimeBound(opts.since, systemClock, '--since');
      const until = parseTimeBound(opts.until, systemClock, '--until');
      const list = await withAdmin(globals(cmd), io, (admin) =>
        admin.listSessions({
          ...(opts.identity ? { identity: opts.identity } : {}),
          ...(opts.connection ? { connection: opts.connection } : {}),
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          limit: parseLimit(opts.limit),
        }),
      );
      if (opts.json) return printJson(io, list);
      printTable(io, list, [
        { header: 'ID', value: (s) => s.id },
        { header: 'IDENTITY', value: (s) => s.subject },
        { header: 'CONNECTION', value: (s) => s.connection },
        { header: 'CLIENT', value: (s) => s.clientAddress },
        { header: 'STARTED', value: (s) => s.startedAt },
        { header: 'ENDED', value: (s) => s.endedAt },
        { header: 'OUTCOME', value: (s) => (s.errorCode ? `${s.outcome} ${s.errorCode}` : s.outcome) },
        { header: 'STMTS', value: (s) => s.statements },
      ]);
    });
}
