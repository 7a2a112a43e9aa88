/**
 * @module `airlock audit search|verify`. The table names each event's identity by its whole chain.
 */
import type { Command } from 'commander';
import { parseTimeBound } from '../../admin/time.js';
import type { AuditRecord } from '../../audit/events.js';
import { systemClock } from '../../core/clock.js';
import type { IdentityRef } from '../../core/identity.js';
import { withAdmin } from '../context.js';
import { printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { parseLimit } from './limits.js';

interface SearchFlags {
  identity?: string;
  onBehalfOf?: string;
  group?: string;
  connection?: string;
  type?: string;
  session?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

/** One-line summary of an event for the human table. */
function summary(record: AuditRecord): string {
  switch (record.type) {
    case 'session.start':
      return record.outcome === 'success'
        ? `from ${record.client.address}`
        : `refused: ${record.error?.code}`;
    case 'session.end':
      return `${record.outcome} after ${record.durationMs} ms, ${record.statements} statements`;
    case 'command':
      return `${record.decision} ${record.text.replace(/\s+/g, ' ').slice(0, 80)}`;
    case 'command.result':
      return `${record.outcome}${record.rows !== undefined ? ` ${record.rows} rows` : ''} in ${record.durationMs} ms`;
    case 'token.created':
      return `token ${record.name} (${record.kind}) until ${record.expiresAt}`;
    case 'token.revoked':
      return `token ${record.name}${record.reason ? ` (${record.reason})` : ''}`;
    case 'config.reload':
      return record.outcome === 'success'
        ? `applied (+${record.added.length} ~${record.changed.length} -${record.removed.length} connections)`
        : `rejected: ${record.problems.length} problem(s)`;
    case 'grant.created':
      return `grant ${record.grantId}: ${record.principal} ${record.scope} on ${record.connection}`;
    case 'grant.revoked':
      return `grant ${record.grantId}${record.reason ? ` (${record.reason})` : ''}`;
    case 'grant.narrowed':
      return `grant ${record.grantId}: ${record.previousScope} → ${record.scope}`;
    case 'access.suspended':
      return `${record.subject} on ${record.connection} (${record.entry}): ${record.reason}`;
    case 'access.restored':
      return `${record.subject} on ${record.connection}: ${record.reason}`;
    case 'campaign.created':
      return `campaign ${record.campaign}: ${record.items} items on ${record.connections.join(',')} due ${record.dueAt}`;
    case 'campaign.decided':
      return `campaign ${record.campaign} item ${record.item}: ${record.decision} ${record.subject} on ${record.connection}`;
    case 'approval.requested':
      return `request ${record.request} (${record.kind}) on ${record.connection}`;
    case 'approval.decided':
      return `request ${record.request}: ${record.decision} → ${record.status}`;
    case 'token.delegated':
      return `token ${record.name} (${record.kind}) for ${record.parent}, depth ${record.depth}, until ${record.expiresAt}`;
    case 'lock.created':
      return `lock ${record.lockId} on ${record.targetKind} ${record.target}: ${record.reason}`;
    case 'lock.removed':
      return `lock ${record.lockId} on ${record.targetKind} ${record.target} removed`;
    case 'session.terminated':
      return `session ${record.sessionId}${record.reason ? `: ${record.reason}` : ''}`;
    case 'retention.run':
      return `deleted ${record.deleted} events older than ${record.period} (before ${record.cutoff})`;
    case 'certification.recorded':
      return `${record.rootSubject} on ${record.connection} by ${record.reviewers.join(',')} until ${record.validUntil}`;
    case 'break-glass':
      return record.outcome === 'success'
        ? `BREAK-GLASS ${record.scope} on ${record.connection} until ${record.expiresAt}, follow-up request ${record.request}: ${record.reason}`
        : `break-glass on ${record.connection} refused: ${record.error?.code}`;
    case 'retention.recordings':
      return `deleted ${record.deleted} session recordings older than ${record.period} (before ${record.cutoff})`;
    case 'export.dead-letter':
      return `sink ${record.sink}: ${record.sourceNode}#${record.fromSeq}..#${record.toSeq} dead-lettered after HTTP ${record.status} (${record.file})`;
  }
}

/**
 * Who acted, as the whole delegation chain, root first (`alice → planner-agent → sql-subagent`):
 * the last link alone would hide the person accountable for a subagent's statement.
 */
export function chainLabel(ref: { readonly subject: string; readonly chain?: IdentityRef['chain'] }): string {
  // Records written before chains existed have none: they name the subject alone.
  return [...(ref.chain ?? []).map((actor) => actor.subject), ref.subject].join(' → ');
}

function whoOf(record: AuditRecord): string | undefined {
  const ref = 'identity' in record ? record.identity : 'actor' in record ? record.actor : undefined;
  return ref ? chainLabel(ref) : undefined;
}

/** Registers the audit commands. */
export function auditCommands(program: Command, { io, state }: CommandContext): void {
  const audit = program.command('audit').description('the audit trail');
  audit
    .command('search')
    .description('search audit events, oldest first')
    .option('--identity <subject>', 'events of this identity')
    .option('--on-behalf-of <subject>', 'events of this identity and of every delegate acting for it')
    .option('--group <group>', 'events of members of this group')
    .option('--connection <name>', 'events on this connection')
    .option('--type <type>', 'session.start, session.end, command, command.result, token.created, ...')
    .option('--session <id>', 'events of one session')
    .option('--since <time>', 'ISO time or duration ago (2h, 7d)')
    .option('--until <time>', 'ISO time or duration ago')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'JSON array')
    .action(async (opts: SearchFlags, cmd: Command) => {
      const since = parseTimeBound(opts.since, systemClock, '--since');
      const until = parseTimeBound(opts.until, systemClock, '--until');
      const events = await withAdmin(globals(cmd), io, (admin) =>
        admin.searchAudit({
          ...(opts.identity ? { identity: opts.identity } : {}),
          ...(opts.onBehalfOf ? { onBehalfOf: opts.onBehalfOf } : {}),
          ...(opts.group ? { group: opts.group } : {}),
          ...(opts.connection ? { connection: opts.connection } : {}),
          ...(opts.type ? { type: opts.type } : {}),
          ...(opts.session ? { sessionId: opts.session } : {}),
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          limit: parseLimit(opts.limit, 1000),
        }),
      );
      if (opts.json) return printJson(io, events);
      printTable(io, events, [
        { header: 'TIME', value: (e) => e.time },
        { header: 'NODE#SEQ', value: (e) => `${e.node}#${e.seq}` },
        { header: 'TYPE', value: (e) => e.type },
        { header: 'IDENTITY', value: whoOf },
        { header: 'CONNECTION', value: (e) => ('connection' in e ? e.connection : undefined) },
        { header: 'WHAT', value: summary },
      ]);
    });

  audit
    .command('verify')
    .description('check every node’s hash chain and anchor; non-zero exit names the first bad event')
    .option('--json', 'JSON object')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const report = await withAdmin(globals(cmd), io, (admin) => admin.verifyAudit());
      if (opts.json) printJson(io, report);
      else {
        for (const node of report.nodes)
          say(io, `node ${node.node}: ${node.events} events, last #${node.lastSeq}`);
        if (report.ok) say(io, 'audit chain OK');
      }
      if (!report.ok) {
        const bad = report.firstBad;
        io.stderr.write(`audit chain BROKEN at ${bad?.node}#${bad?.seq}: ${bad?.reason}\n`);
        state.exit = 6;
      }
    });
}
