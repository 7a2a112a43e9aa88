/**
 * @module `airlock request`: just-in-time access. Creates an approval request as --token's identity;
 * once approved a time-boxed grant exists. `--wait` waits for the decision and says how it ended.
 * A delegate's request is granted to the root of its chain (docs/reviews.md#just-in-time-access).
 */
import type { Command } from 'commander';
import type { ApprovalRequestView } from '../../reviews/types.js';
import { say } from '../io.js';
import { printRequest } from './approvals.js';
import { type CommandContext, globals } from './context.js';
import { durationOption, withReviews } from './grants.js';

/**
 * For a delegate's request: the grant goes to the root of its chain, which is what the delegate
 * uses (narrowed by its own scope). Undefined when the grant is the requester's own.
 */
export function grantNote(request: ApprovalRequestView): string | undefined {
  const { grantTo, requester } = request;
  if (grantTo === undefined || grantTo === `user:${requester.subject}`) return undefined;
  const chain = requester.chain.map((a) => a.subject).join(' → ');
  return `once approved the grant goes to ${grantTo} (${requester.subject} acts for ${chain}; its own scope still limits it)`;
}

/** Registers `airlock request`. */
export function requestCommand(program: Command, { io, state }: CommandContext): void {
  program
    .command('request')
    .description('ask for time-boxed access to a connection; prints the request id last')
    .requiredOption('--connection <name>', 'connection name')
    .option('--scope <scope>', 'read | write | admin', 'read')
    .requiredOption('--reason <text>', 'why (approvers see it)')
    .option('--ttl <duration>', 'how long the access lasts once approved', '2h')
    .option('--wait [duration]', 'wait for the decision (default 10m)')
    .action(
      async (
        opts: { connection: string; scope: string; reason: string; ttl: string; wait?: string | boolean },
        cmd: Command,
      ) => {
        const ttlMs = durationOption('--ttl', opts.ttl) ?? 7_200_000;
        const waitMs =
          opts.wait === undefined || opts.wait === false
            ? 0
            : opts.wait === true
              ? 600_000
              : (durationOption('--wait', opts.wait) ?? 600_000);
        const request = await withReviews(globals(cmd), io, async (admin) => {
          const created = await admin.requestAccess({
            connection: opts.connection,
            scope: opts.scope,
            reason: opts.reason,
            ttlMs,
          });
          say(
            io,
            `request ${created.id} is waiting for ${created.waitingFor.join(', ')} (approve: ${created.approveCommand})`,
          );
          const onBehalf = grantNote(created);
          if (onBehalf) say(io, onBehalf);
          return waitMs > 0 ? admin.waitApproval(created.id, waitMs) : created;
        });
        if (waitMs > 0) {
          printRequest(io, request);
          state.exit = request.status === 'approved' ? 0 : request.status === 'denied' ? 3 : 5;
        }
        say(io, String(request.id));
      },
    );
}
