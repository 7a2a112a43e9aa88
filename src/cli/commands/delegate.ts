/**
 * @module `airlock delegate`: issues a delegate token for an agent or subagent, acting for the
 * identity of --token with a narrower scope and a shorter life (token exchange, RFC 8693). The
 * child token is the last line printed, so scripts take `| tail -1`.
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type { IdentityKind } from '../../core/identity.js';
import { resolveRemote, withAdmin } from '../context.js';
import { printJson, say } from '../io.js';
import { type CommandContext, globals } from './context.js';
import { durationOption } from './grants.js';

const KINDS: readonly IdentityKind[] = ['agent', 'service', 'human'];

interface DelegateFlags {
  name: string;
  kind: string;
  scope: string[];
  ttl?: string;
  json?: boolean;
}

/** The stored login's token when the command goes to the stored server (no config named). */
function storedLogin(flags: ReturnType<typeof globals>, io: CommandContext['io']): string | undefined {
  if (flags.config ?? io.env.AIRLOCK_CONFIG) return undefined;
  return resolveRemote(flags, io)?.token;
}

/** Registers `airlock delegate`. */
export function delegateCommand(program: Command, { io }: CommandContext): void {
  program
    .command('delegate')
    .description('issue a delegate token acting for --token, with a narrower scope; prints the token last')
    .requiredOption('--name <name>', "the delegate's name (unique; its identity in audit and policy)")
    .option('--kind <kind>', 'agent | service | human', 'agent')
    .requiredOption(
      '--scope <scope>',
      'CONNECTION:read | CONNECTION:write | CONNECTION:admin | CONNECTION:ACTION,ACTION (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--ttl <duration>', 'lifetime (default 15m; never past the parent token)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: DelegateFlags, cmd: Command) => {
      const flags = globals(cmd);
      // After `airlock login` the person delegates from their stored login, like any other command
      // (resolveRemote: only for the stored server, only until it expires, never with a named config).
      const subjectToken = flags.token ?? io.env.AIRLOCK_TOKEN ?? storedLogin(flags, io);
      if (!subjectToken) {
        throw new AirlockError('ERR_TOKEN_MISSING', 'delegate without --token', {
          userMessage:
            'airlock delegate needs the parent token: --token TOKEN, AIRLOCK_TOKEN, or `airlock login --server URL` first',
        });
      }
      if (!KINDS.includes(opts.kind as IdentityKind)) {
        throw new AirlockError('ERR_BAD_REQUEST', `kind ${opts.kind}`, {
          userMessage: `--kind: expected one of ${KINDS.join(', ')}, received "${opts.kind}"`,
        });
      }
      const ttlMs = durationOption('--ttl', opts.ttl);
      const issued = await withAdmin(flags, io, (admin) =>
        admin.exchangeToken({
          subjectToken,
          actorName: opts.name,
          actorKind: opts.kind as IdentityKind,
          scope: opts.scope,
          ...(ttlMs !== undefined ? { ttlMs } : {}),
        }),
      );
      if (opts.json) return printJson(io, issued);
      say(io, `delegate ${issued.name}, scope ${issued.scope}, expires ${issued.expiresAt}`);
      say(io, issued.token);
    });
}
