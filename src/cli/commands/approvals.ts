/**
 * @module `airlock approvals list|show|approve|deny|wait`: the approvers' tools. The acting identity
 * is --token (or AIRLOCK_TOKEN); approving needs a human in the groups the request waits for.
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type { ApprovalRequestView, RequestStatus } from '../../reviews/types.js';
import { type CliIo, printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { durationOption, withReviews } from './grants.js';

const STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied', 'expired'];

function requestId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1) {
    throw new AirlockError('ERR_BAD_REQUEST', `request id ${text}`, {
      userMessage: `expected a request id such as 42, received "${text}"`,
    });
  }
  return id;
}

function what(r: ApprovalRequestView): string {
  if (r.kind === 'command') return r.statement ?? r.action ?? '';
  return `${r.kind} ${r.scope ?? ''}`.trim();
}

/** Prints one request for people. */
export function printRequest(io: CliIo, r: ApprovalRequestView): void {
  say(io, `request ${r.id}: ${r.kind} on ${r.connection} — ${r.status}`);
  say(
    io,
    `requester: ${r.requester.subject} (${r.requester.kind})${r.requester.chain.length ? ` for ${r.requester.chain.map((a) => a.subject).join(' → ')}` : ''}`,
  );
  if (r.scope) say(io, `scope: ${r.scope}`);
  const onBehalf = r.grantTo !== undefined && r.grantTo !== `user:${r.requester.subject}`;
  if (onBehalf) say(io, `grant to: ${r.grantTo} (the root of the requester's chain)`);
  if (r.statement) say(io, `statement: ${r.statement}`);
  if (r.reason) say(io, `reason: ${r.reason}`);
  say(
    io,
    `created: ${r.createdAt}  expires: ${r.expiresAt}${r.decidedAt ? `  decided: ${r.decidedAt}` : ''}`,
  );
  if (r.status === 'pending') say(io, `waiting for: ${r.waitingFor.join(', ')} (step ${r.step})`);
  for (const a of r.approvals)
    say(io, `  ${a.decision} by ${a.approver} at ${a.at}${a.reason ? `: ${a.reason}` : ''}`);
  if (r.evidence) {
    const e = r.evidence;
    const actions =
      Object.entries(e.statementsByAction)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none';
    say(
      io,
      `evidence (${e.windowDays} days): ${e.sessions} sessions; statements: ${actions}; tables: ${e.tables.join(', ') || '-'}; last use: ${e.lastUsedAt ?? 'never'}`,
    );
  }
  if (r.status === 'pending') say(io, `approve: ${r.approveCommand}`);
}

/** Registers the approvals commands. */
export function approvalCommands(program: Command, { io, state }: CommandContext): void {
  const approvals = program
    .command('approvals')
    .description('approval requests: list, show, approve, deny, wait, break-glass');

  approvals
    .command('list')
    .description('list requests you made or may decide (all, for admins and auditors)')
    .option('--status <status>', 'pending | approved | denied | expired')
    .option('--json', 'JSON array')
    .action(async (opts: { status?: string; json?: boolean }, cmd: Command) => {
      if (opts.status !== undefined && !STATUSES.includes(opts.status as RequestStatus)) {
        throw new AirlockError('ERR_BAD_REQUEST', `--status ${opts.status}`, {
          userMessage: `--status: expected one of ${STATUSES.join(', ')}, received "${opts.status}"`,
        });
      }
      const list = await withReviews(globals(cmd), io, (admin) =>
        admin.listApprovals(opts.status as RequestStatus | undefined),
      );
      if (opts.json) return printJson(io, list);
      printTable(io, list, [
        { header: 'ID', value: (r) => r.id },
        { header: 'KIND', value: (r) => r.kind },
        { header: 'STATUS', value: (r) => r.status },
        { header: 'CONNECTION', value: (r) => r.connection },
        { header: 'REQUESTER', value: (r) => r.requester.subject },
        { header: 'WHAT', value: (r) => what(r).replace(/\s+/g, ' ').slice(0, 60) },
        { header: 'WAITING FOR', value: (r) => (r.status === 'pending' ? r.waitingFor.join(',') : '') },
        { header: 'CREATED', value: (r) => r.createdAt },
      ]);
    });

  approvals
    .command('show')
    .description('show a request with its evidence and decisions')
    .argument('<id>', 'request id')
    .option('--json', 'JSON object')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const request = await withReviews(globals(cmd), io, (admin) => admin.showApproval(requestId(id)));
      if (opts.json) printJson(io, request);
      else printRequest(io, request);
    });

  approvals
    .command('approve')
    .description('approve a request (as --token); held clients continue within a second')
    .argument('<id>', 'request id')
    .option('--reason <text>', 'why')
    .option('--window <duration>', 'command requests: also allow the same action for this long, e.g. 1h')
    .option('--json', 'print the request as JSON')
    .action(async (id: string, opts: { reason?: string; window?: string; json?: boolean }, cmd: Command) => {
      const windowMs = durationOption('--window', opts.window);
      const request = await withReviews(globals(cmd), io, (admin) =>
        admin.decide(requestId(id), 'approve', opts.reason, windowMs),
      );
      if (opts.json) return printJson(io, request);
      say(
        io,
        `request ${request.id} ${request.status === 'approved' ? 'approved' : `approval recorded; still ${request.status} (needs more approvers)`}`,
      );
    });

  approvals
    .command('deny')
    .description('deny a request (as --token)')
    .argument('<id>', 'request id')
    .requiredOption('--reason <text>', 'why (the requester sees it)')
    .option('--json', 'print the request as JSON')
    .action(async (id: string, opts: { reason: string; json?: boolean }, cmd: Command) => {
      const request = await withReviews(globals(cmd), io, (admin) =>
        admin.decide(requestId(id), 'deny', opts.reason),
      );
      if (opts.json) return printJson(io, request);
      say(io, `request ${request.id} denied`);
    });

  approvals
    .command('break-glass')
    .description(
      'open emergency access for yourself (--token) at once, without an approver: audited, every notification target told, follow-up review due in 24h',
    )
    .requiredOption('--connection <name>', 'connection name (its breakGlass list must name you)')
    .requiredOption('--reason <text>', 'why (recorded and sent to every approver)')
    .option('--ttl <duration>', 'how long the access lasts (1m to 24h)', '1h')
    .option('--json', 'JSON object')
    .action(
      async (opts: { connection: string; reason: string; ttl: string; json?: boolean }, cmd: Command) => {
        const ttlMs = durationOption('--ttl', opts.ttl);
        const opened = await withReviews(globals(cmd), io, (admin) =>
          admin.breakGlass({
            connection: opts.connection,
            reason: opts.reason,
            ...(ttlMs !== undefined ? { ttlMs } : {}),
          }),
        );
        if (opts.json) return printJson(io, opened);
        say(
          io,
          `BREAK-GLASS: ${opened.grant.scope} access to ${opened.grant.connection} for ${opened.grant.principal} until ${opened.expiresAt} (grant ${opened.grant.id})`,
        );
        say(
          io,
          `follow-up review: request ${opened.request.id}, due ${opened.request.expiresAt}; approvers were told (${opened.request.approveCommand})`,
        );
      },
    );

  approvals
    .command('wait')
    .description('wait until a request is decided; exit 0 approved, 3 denied, 5 expired or still pending')
    .argument('<id>', 'request id')
    .option('--timeout <duration>', 'give up after this long', '10m')
    .option('--json', 'print the request as JSON')
    .action(async (id: string, opts: { timeout: string; json?: boolean }, cmd: Command) => {
      const timeoutMs = durationOption('--timeout', opts.timeout) ?? 600_000;
      const deadline = Date.now() + timeoutMs;
      const request = await withReviews(globals(cmd), io, async (admin) => {
        // Through the API each call is a bounded long poll; repeat until the deadline.
        let current = await admin.waitApproval(requestId(id), Math.min(timeoutMs, 60_000));
        while (current.status === 'pending' && Date.now() < deadline) {
          current = await admin.waitApproval(requestId(id), Math.min(deadline - Date.now(), 60_000));
        }
        return current;
      });
      if (opts.json) printJson(io, request);
      else say(io, `request ${request.id} ${request.status}`);
      state.exit = request.status === 'approved' ? 0 : request.status === 'denied' ? 3 : 5;
    });
}
