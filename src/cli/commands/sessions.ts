/**
 * @module `airlock sessions list` and `airlock sessions show ID`.
 */
import type { Command } from 'commander';
import type { SessionDetailView } from '../../admin/service.js';
import { parseTimeBound } from '../../admin/time.js';
import { systemClock } from '../../core/clock.js';
import { withAdmin } from '../context.js';
import { type CliIo, type Column, printJson, printTable, say } from '../io.js';
import { chainLabel } from './audit.js';
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
        { header: 'IDENTITY', value: (s) => (s.identity ? chainLabel(s.identity) : s.subject) },
        { header: 'CONNECTION', value: (s) => s.connection },
        { header: 'CLIENT', value: (s) => s.clientAddress },
        { header: 'STARTED', value: (s) => s.startedAt },
        { header: 'ENDED', value: (s) => s.endedAt },
        { header: 'OUTCOME', value: (s) => (s.errorCode ? `${s.outcome} ${s.errorCode}` : s.outcome) },
        { header: 'STMTS', value: (s) => s.statements },
        // Only when a listed session was held for review: most lists have none.
        ...(list.some((s) => s.reviewers)
          ? [{ header: 'REVIEWED BY', value: (s: (typeof list)[number]) => s.reviewers?.join(',') }]
          : []),
      ]);
    });
  sessions
    .command('show')
    .description('one session and its statements in order, from the audit trail')
    .argument('<id>', 'session id (sessions list shows them)')
    .option('--limit <n>', 'at most this many statements', '10000')
    .option('--json', 'the full object')
    .action(async (id: string, opts: { limit: string; json?: boolean }, cmd: Command) => {
      const limit = parseLimit(opts.limit, 10_000);
      const detail = await withAdmin(globals(cmd), io, (admin) => admin.showSession(id, { limit }));
      if (opts.json) return printJson(io, detail);
      printSessionDetail(io, detail);
    });
  sessions
    .command('terminate')
    .description('end a live session now, on whichever server holds it (within a second)')
    .argument('<id>', 'session id (sessions list shows them)')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .action(async (id: string, opts: { reason?: string }, cmd: Command) => {
      await withAdmin(globals(cmd), io, (admin) => admin.terminateSession(id, opts.reason));
      say(io, `session ${id} is being terminated`);
    });
}

type Statement = SessionDetailView['statements'][number];

/** One line of text for the table: whitespace collapsed, long texts cut. */
function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The session header as `label  value` lines, then the statements as a table. */
function printSessionDetail(io: CliIo, detail: SessionDetailView): void {
  const s = detail.session;
  const who = s.identity
    ? `${s.identity.subject} (${s.identity.kind}, ${s.identity.issuer}${s.identity.groups.length ? `, groups ${s.identity.groups.join(',')}` : ''})`
    : '(not authenticated)';
  const lines: [string, string | undefined][] = [
    ['Session', s.id],
    ['Identity', who],
    [
      'On behalf of',
      s.identity?.chain.length
        ? s.identity.chain.map((a) => `${a.subject} (${a.kind})`).join(' → ')
        : undefined,
    ],
    ['Connection', `${s.connection} (${s.protocol}, node ${s.node})`],
    [
      'Client',
      s.client
        ? `${s.client.address}:${s.client.port}${s.client.tls ? ' tls' : ''}${s.client.application ? ` ${s.client.application}` : ''}`
        : undefined,
    ],
    ['Reason', s.reason],
    ['Started', s.startedAt],
    [
      'Ended',
      s.endedAt ? `${s.endedAt}${s.durationMs !== null ? ` (${s.durationMs} ms)` : ''}` : 'still open',
    ],
    [
      'Outcome',
      s.outcome ? `${s.outcome}${s.error ? ` ${s.error.code}: ${s.error.message}` : ''}` : undefined,
    ],
    ['Bytes', `${s.bytesFromClient} from client, ${s.bytesToClient} to client`],
    ['Statements', String(s.statements)],
    ['Reviewed by', s.reviewers?.join(', ')],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) if (value !== undefined) say(io, `${label.padEnd(width)}  ${value}`);
  say(io);
  const columns: Column<Statement>[] = [
    { header: '#', value: (c) => c.commandId },
    { header: 'TIME', value: (c) => c.time },
    { header: 'CHANNEL', value: (c) => c.channel },
    { header: 'DECISION', value: (c) => c.decision },
    { header: 'RULE', value: (c) => c.rule },
    { header: 'RESULT', value: (c) => c.result?.outcome },
    { header: 'MS', value: (c) => c.result?.durationMs },
    { header: 'ROWS', value: (c) => c.result?.rows },
    { header: 'ERROR', value: (c) => (c.refusal ?? c.result?.error)?.code },
  ];
  // Columns later capabilities fill appear only when a statement has them: no empty guesses.
  if (detail.statements.some((c) => c.approval)) {
    columns.push({
      header: 'APPROVAL',
      value: (c) =>
        c.approval
          ? `#${c.approval.request}${c.approval.approvedBy ? ` by ${c.approval.approvedBy.join(',')}` : ''}`
          : undefined,
    });
  }
  if (detail.statements.some((c) => c.masked?.length)) {
    columns.push({
      header: 'MASKED',
      value: (c) => c.masked?.map((m) => `${m.entity}×${m.values}`).join(','),
    });
  }
  columns.push({ header: 'TEXT', value: (c) => oneLine(c.text) });
  printTable(io, detail.statements, columns);
  if (detail.truncated) say(io, `(the session has more statements than --limit ${detail.statements.length})`);
}
