/**
 * @module `airlock reviews campaign create|list|show`, `reviews decide`, `reviews report`,
 * `reviews suspensions` and `reviews restore`: recertification campaigns and the suspensions that
 * expiry and campaigns leave (src/reviews/campaigns.ts, expiry.ts). Same transport as the grant
 * commands: --config on the store, --server through the API as --token.
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type {
  CampaignItemView,
  CampaignReport,
  CampaignView,
  ItemDecision,
} from '../../reviews/campaigns.js';
import { type CliIo, printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { durationOption, withReviews } from './grants.js';

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseId(text: string, what: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1) {
    throw new AirlockError('ERR_BAD_REQUEST', `${what} ${text}`, {
      userMessage: `${what}: expected a number, received "${text}"`,
    });
  }
  return id;
}

function counts(campaign: CampaignView): string {
  return (
    Object.entries(campaign.counts)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ') || 'no items'
  );
}

function usage(item: CampaignItemView): string {
  const e = item.evidence;
  const statements = Object.values(e.root.statementsByAction).reduce((a, b) => a + b, 0);
  return `${statements} stmts, ${e.usedActions.join(',') || 'nothing'}`;
}

function printItems(io: CliIo, items: readonly CampaignItemView[]): void {
  printTable(io, items, [
    { header: 'ITEM', value: (i) => i.id },
    { header: 'CONNECTION', value: (i) => i.connection },
    { header: 'IDENTITY', value: (i) => i.subject },
    { header: 'ENTRY', value: (i) => i.entry },
    { header: 'SCOPE', value: (i) => i.scope },
    { header: 'USED (90d)', value: usage },
    { header: 'LAST USE', value: (i) => i.evidence.lastUsedAt },
    { header: 'SUGGEST', value: (i) => i.suggestion },
    { header: 'STATUS', value: (i) => i.status },
    { header: 'BY', value: (i) => i.decidedBy },
  ]);
  for (const item of items) {
    for (const d of item.evidence.delegates) {
      const actions = Object.keys(d.evidence.statementsByAction).join(',') || 'nothing';
      say(io, `  item ${item.id}: delegate ${d.name} of ${item.subject} used ${actions}`);
    }
  }
}

function printReport(io: CliIo, report: CampaignReport): void {
  const c = report.campaign;
  say(io, `campaign ${c.id} on ${c.connections.join(', ')}, reviewers ${c.reviewers.join(', ')}`);
  say(
    io,
    `created ${c.createdAt} by ${c.createdBy}, due ${c.dueAt}; ${counts(c)}; report ${report.generatedAt}`,
  );
  printTable(io, report.lines, [
    { header: 'ITEM', value: (l) => l.item },
    { header: 'IDENTITY', value: (l) => l.subject },
    { header: 'CONNECTION', value: (l) => l.connection },
    { header: 'ENTRY', value: (l) => l.entry },
    { header: 'SCOPE', value: (l) => l.scope },
    {
      header: 'EVIDENCE',
      value: (l) =>
        `${l.evidence.sessions} sessions, ${l.evidence.statements} stmts, ${l.evidence.usedActions.join(',') || 'none'}`,
    },
    { header: 'DECISION', value: (l) => (l.newScope ? `${l.status} → ${l.newScope}` : l.status) },
    { header: 'BY', value: (l) => l.decidedBy },
    { header: 'AT', value: (l) => l.decidedAt },
    { header: 'REASON', value: (l) => l.reason },
  ]);
}

/** Registers the review commands. */
export function reviewCommands(program: Command, { io }: CommandContext): void {
  const reviews = program.command('reviews').description('access recertification campaigns and suspensions');
  const campaign = reviews.command('campaign').description('recertification campaigns');

  campaign
    .command('create')
    .description(
      'one item per grant or access entry per identity using it, with usage evidence; prints the id last',
    )
    .requiredOption('--connections <names...>', 'connections to recertify (space or comma separated)')
    .requiredOption('--reviewers <principals...>', 'who reviews: group:NAME or user:SUBJECT')
    .requiredOption('--due <duration>', 'due in, e.g. 14d')
    .option('--json', 'print the campaign as JSON')
    .action(
      async (
        opts: { connections: string[]; reviewers: string[]; due: string; json?: boolean },
        cmd: Command,
      ) => {
        const dueMs = durationOption('--due', opts.due) as number;
        const created = await withReviews(globals(cmd), io, (admin) =>
          admin.createCampaign({
            connections: opts.connections.flatMap((c) => list(c)),
            reviewers: opts.reviewers.flatMap((r) => list(r)),
            dueMs,
          }),
        );
        if (opts.json) printJson(io, created);
        else {
          say(io, `campaign ${created.id}: ${counts(created)}, due ${created.dueAt}`);
          printItems(io, created.items ?? []);
        }
        say(io, String(created.id));
      },
    );

  campaign
    .command('list')
    .description('campaigns, newest first')
    .option('--json', 'JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const campaigns = await withReviews(globals(cmd), io, (admin) => admin.listCampaigns());
      if (opts.json) return printJson(io, campaigns);
      printTable(io, campaigns, [
        { header: 'ID', value: (c) => c.id },
        { header: 'CONNECTIONS', value: (c) => c.connections.join(',') },
        { header: 'REVIEWERS', value: (c) => c.reviewers.join(',') },
        { header: 'DUE', value: (c) => c.dueAt },
        { header: 'ITEMS', value: counts },
      ]);
    });

  campaign
    .command('show')
    .description('a campaign, its items and their evidence')
    .argument('<id>', 'campaign id')
    .option('--json', 'JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const shown = await withReviews(globals(cmd), io, (admin) =>
        admin.showCampaign(parseId(id, 'campaign')),
      );
      if (opts.json) return printJson(io, shown);
      say(
        io,
        `campaign ${shown.id} on ${shown.connections.join(', ')}: ${counts(shown)}, due ${shown.dueAt}`,
      );
      printItems(io, shown.items ?? []);
    });

  reviews
    .command('decide')
    .description('certify, narrow (--scope) or revoke a campaign item')
    .argument('<item>', 'item id')
    .argument('<decision>', 'certify | narrow | revoke')
    .option('--scope <scope>', 'narrow: read | write | comma list of actions')
    .requiredOption('--reason <text>', 'why (in the report and the audit trail)')
    .option('--json', 'print the item as JSON')
    .action(
      async (
        item: string,
        decision: string,
        opts: { scope?: string; reason: string; json?: boolean },
        cmd: Command,
      ) => {
        let body: ItemDecision;
        if (decision === 'certify' || decision === 'revoke') body = { decision, reason: opts.reason };
        else if (decision === 'narrow') {
          if (!opts.scope) {
            throw new AirlockError('ERR_BAD_REQUEST', 'narrow without scope', {
              userMessage: 'narrow needs --scope (read, write or a comma list of actions)',
            });
          }
          body = { decision, scope: opts.scope, reason: opts.reason };
        } else {
          throw new AirlockError('ERR_BAD_REQUEST', `decision ${decision}`, {
            userMessage: `expected certify, narrow or revoke, received "${decision}"`,
          });
        }
        const decided = await withReviews(globals(cmd), io, (admin) =>
          admin.decideItem(parseId(item, 'item'), body),
        );
        if (opts.json) printJson(io, decided);
        else
          say(
            io,
            `item ${decided.id} ${decided.status}${decided.newScope ? ` to ${decided.newScope}` : ''}: ${decided.subject} on ${decided.connection}`,
          );
      },
    );

  reviews
    .command('report')
    .description("a campaign's auditor evidence: who reviewed what, when, with what evidence, and why")
    .argument('<campaign>', 'campaign id')
    .option('--json', 'JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const report = await withReviews(globals(cmd), io, (admin) =>
        admin.campaignReport(parseId(id, 'campaign')),
      );
      if (opts.json) printJson(io, report);
      else printReport(io, report);
    });

  reviews
    .command('suspensions')
    .description('active suspensions (unused access entries, campaign revokes, overdue items)')
    .option('--connection <name>', 'only this connection')
    .option('--json', 'JSON array')
    .action(async (opts: { connection?: string; json?: boolean }, cmd: Command) => {
      const rows = await withReviews(globals(cmd), io, (admin) => admin.listSuspensions(opts.connection));
      if (opts.json) return printJson(io, rows);
      printTable(io, rows, [
        { header: 'ID', value: (s) => s.id },
        { header: 'CONNECTION', value: (s) => s.connection },
        { header: 'IDENTITY', value: (s) => s.subject },
        { header: 'ENTRY', value: (s) => s.entry },
        { header: 'REASON', value: (s) => s.reason },
        { header: 'SINCE', value: (s) => s.createdAt },
        { header: 'BY', value: (s) => s.createdBy },
      ]);
    });

  reviews
    .command('restore')
    .description("lift an identity's suspensions on a connection (the config is unchanged)")
    .requiredOption('--connection <name>', 'connection name')
    .requiredOption('--identity <subject>', 'the root identity')
    .requiredOption('--reason <text>', 'why')
    .action(async (opts: { connection: string; identity: string; reason: string }, cmd: Command) => {
      const { lifted } = await withReviews(globals(cmd), io, (admin) =>
        admin.restoreAccess(opts.connection, opts.identity, opts.reason),
      );
      say(io, `lifted ${lifted} suspension(s) of ${opts.identity} on ${opts.connection}`);
    });
}
