/**
 * @module `airlock token create|list|revoke` and `airlock whoami`.
 */
import type { Command } from 'commander';
import { AirlockError } from '../../core/errors.js';
import type { IdentityKind } from '../../core/identity.js';
import { parseDuration } from '../../identity/duration.js';
import { withAdmin } from '../context.js';
import { printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';

const KINDS = ['agent', 'human', 'service'];

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Registers the token commands. */
export function tokenCommands(program: Command, { io }: CommandContext): void {
  const token = program.command('token').description('Airlock tokens: create, list, revoke');

  token
    .command('create')
    .description('issue a token; it is printed once, as the last line')
    .requiredOption('--name <name>', 'unique name; the identity subject (user:NAME)')
    .option('--group <group>', 'group membership (repeatable)', collect, [])
    .option('--kind <kind>', 'agent | human | service', 'agent')
    .option('--ttl <duration>', 'lifetime such as 8h, 30m, 7d', '8h')
    .option('--json', 'print the token record as JSON (token last)')
    .action(
      async (
        opts: { name: string; group: string[]; kind: string; ttl: string; json?: boolean },
        cmd: Command,
      ) => {
        if (!KINDS.includes(opts.kind)) {
          throw new AirlockError('ERR_BAD_REQUEST', `--kind ${opts.kind}`, {
            userMessage: `--kind: expected agent, human or service, received "${opts.kind}"`,
          });
        }
        let ttlMs: number;
        try {
          ttlMs = parseDuration(opts.ttl);
        } catch {
          throw new AirlockError('ERR_BAD_REQUEST', `--ttl ${opts.ttl}`, {
            userMessage: `--ttl: expected a duration like 8h, 30m or 7d, received "${opts.ttl}"`,
          });
        }
        const created = await withAdmin(globals(cmd), io, (admin) =>
          admin.createToken({ name: opts.name, groups: opts.group, kind: opts.kind as IdentityKind, ttlMs }),
        );
        if (opts.json) printJson(io, created.info);
        else say(io, `token "${created.info.name}" (${created.info.kind}) expires ${created.info.expiresAt}`);
        say(io, created.token);
      },
    );

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const tokens = await withAdmin(globals(cmd), io, (admin) => admin.listTokens());
      if (opts.json) return printJson(io, tokens);
      printTable(io, tokens, [
        { header: 'NAME', value: (t) => t.name },
        { header: 'KIND', value: (t) => t.kind },
        { header: 'GROUPS', value: (t) => t.groups.join(',') },
        { header: 'EXPIRES', value: (t) => t.expiresAt },
        { header: 'REVOKED', value: (t) => t.revokedAt },
        { header: 'LAST USED', value: (t) => t.lastUsedAt },
      ]);
    });

  token
    .command('revoke')
    .description('revoke a token now; its sessions end within a second')
    .argument('<name>', 'token name')
    .option('--json', 'print the revoked token as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const revoked = await withAdmin(globals(cmd), io, (admin) => admin.revokeToken(name));
      if (opts.json) printJson(io, revoked);
      else say(io, `revoked token "${revoked.name}" at ${revoked.revokedAt}`);
    });
}

/** Registers `airlock whoami`. */
export function whoamiCommand(program: Command, { io }: CommandContext): void {
  program
    .command('whoami')
    .description('show the identity the CLI acts as, and its roles')
    .option('--json', 'JSON object')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const me = await withAdmin(globals(cmd), io, (admin) => admin.whoami());
      if (opts.json) return printJson(io, me);
      say(io, `${me.subject} (${me.kind}, issuer ${me.issuer})`);
      say(io, `groups: ${me.groups.join(', ') || '-'}`);
      say(io, `roles: ${me.roles.join(', ') || '-'}`);
    });
}
