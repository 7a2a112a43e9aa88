/**
 * @module `airlock grant create|list|revoke`, and `openReviews`, how every review command reaches
 * Airlock: with --config on the store (as --token's identity when one is given, else the local
 * operator), with --server through the API as --token.
 */
import type { Command } from 'commander';
import { HttpReviewAdmin, LocalReviewAdmin, type ReviewAdmin } from '../../admin/reviews.js';
import { createRoleResolver } from '../../admin/roles.js';
import { AuditDrainer, readVerifiedAnchor } from '../../audit/drain.js';
import { Journal } from '../../audit/journal.js';
import { loadOrCreateNodeKey } from '../../audit/node-key.js';
import { systemClock } from '../../core/clock.js';
import { AirlockError } from '../../core/errors.js';
import { OPERATOR } from '../../core/identity.js';
import { createAuthenticator } from '../../identity/authenticator.js';
import { parseDuration } from '../../identity/duration.js';
import { OidcVerifier } from '../../identity/oidc.js';
import { TokenService } from '../../identity/tokens.js';
import { ReviewService } from '../../reviews/service.js';
import type { GrantView } from '../../reviews/types.js';
import { openStore } from '../../store/db.js';
import { type GlobalFlags, loadCliConfig, resolveRemote } from '../context.js';
import { type CliIo, printJson, printTable, say } from '../io.js';
import { type CommandContext, globals } from './context.js';

/** Parses a `--ttl`/`--window`/`--timeout` value. */
export function durationOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch {
    throw new AirlockError('ERR_BAD_REQUEST', `${flag} ${text}`, {
      userMessage: `${flag}: expected a duration like 30m, 2h or 30d, received "${text}"`,
    });
  }
}

/** Runs `fn` with the review admin surface and always closes it. */
export async function withReviews<T>(
  flags: GlobalFlags,
  io: CliIo,
  fn: (admin: ReviewAdmin) => Promise<T>,
): Promise<T> {
  const remote = resolveRemote(flags, io);
  if (remote) return fn(new HttpReviewAdmin(remote.server, remote.token));
  const config = await loadCliConfig(flags, io);
  const store = await openStore(config.store);
  const key = loadOrCreateNodeKey(config.stateDir);
  const node = `${config.node}.cli`;
  const resumeFrom = await readVerifiedAnchor(store.db, node, key);
  const journal = Journal.open({
    dir: config.stateDir,
    node,
    clock: systemClock,
    key,
    lockWaitMs: 10_000,
    ...(resumeFrom ? { resumeFrom } : {}),
  });
  const drainer = new AuditDrainer({
    db: store.db,
    ...(store.sqlite ? { sqlite: store.sqlite } : {}),
    journal,
    key,
    clock: systemClock,
  });
  try {
    await drainer.start();
    const tokens = new TokenService({ db: store.db, clock: systemClock, audit: journal });
    // Approving, denying and requesting act as a person or agent: the token's identity.
    const token = flags.token ?? io.env.AIRLOCK_TOKEN;
    const actor = token
      ? await createAuthenticator(
          tokens,
          new OidcVerifier({ issuers: config.identity.oidc, clock: systemClock }),
        ).authenticate(token)
      : OPERATOR;
    const catalog = new Map(config.connections.map((c) => [c.name, c]));
    const service = new ReviewService({
      db: store.db,
      clock: systemClock,
      audit: journal,
      connections: () => catalog,
      admins: () => config.admins,
    });
    return await fn(
      new LocalReviewAdmin(
        service,
        actor,
        createRoleResolver(() => config),
      ),
    );
  } finally {
    await drainer.flush();
    await drainer.stop();
    journal.close();
    await store.close();
  }
}

function printGrants(io: CliIo, grants: readonly GrantView[]): void {
  printTable(io, grants, [
    { header: 'ID', value: (g) => g.id },
    { header: 'CONNECTION', value: (g) => g.connection },
    { header: 'WHO', value: (g) => g.principal },
    { header: 'SCOPE', value: (g) => g.scope },
    { header: 'SOURCE', value: (g) => g.source },
    { header: 'BY', value: (g) => g.grantedBy },
    { header: 'EXPIRES', value: (g) => g.expiresAt },
    { header: 'LAST USED', value: (g) => g.lastUsedAt },
    { header: 'REVOKED', value: (g) => g.revokedAt },
    { header: 'REASON', value: (g) => g.reason },
  ]);
}

/** Registers the grant commands. */
export function grantCommands(program: Command, { io }: CommandContext): void {
  const grant = program.command('grant').description('grants: who may do what on which connection');

  grant
    .command('create')
    .description('grant a user or group a scope on a connection; prints the grant id last')
    .requiredOption('--connection <name>', 'connection name')
    .option('--identity <subject>', 'the identity (token name or ISSUER:SUBJECT)')
    .option('--group <group>', 'a group')
    .requiredOption('--scope <scope>', 'read | write | admin | comma list of actions')
    .requiredOption('--reason <text>', 'why (shown to reviewers and in the audit trail)')
    .option('--ttl <duration>', 'until when, e.g. 30d (default: until revoked)')
    .option('--json', 'print the grant as JSON')
    .action(
      async (
        opts: {
          connection: string;
          identity?: string;
          group?: string;
          scope: string;
          reason: string;
          ttl?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if ((opts.identity === undefined) === (opts.group === undefined)) {
          throw new AirlockError('ERR_BAD_REQUEST', 'identity xor group', {
            userMessage: 'pass exactly one of --identity SUBJECT or --group NAME',
          });
        }
        const ttlMs = durationOption('--ttl', opts.ttl);
        const created = await withReviews(globals(cmd), io, (admin) =>
          admin.createGrant({
            connection: opts.connection,
            principal: opts.identity !== undefined ? `user:${opts.identity}` : `group:${opts.group}`,
            scope: opts.scope,
            reason: opts.reason,
            ...(ttlMs !== undefined ? { ttlMs } : {}),
          }),
        );
        if (opts.json) printJson(io, created);
        else
          say(
            io,
            `granted ${created.principal} ${created.scope} on ${created.connection} until ${created.expiresAt ?? 'revoked'}`,
          );
        say(io, created.id);
      },
    );

  grant
    .command('list')
    .description('list grants')
    .option('--connection <name>', 'only this connection')
    .option('--all', 'include revoked and expired grants')
    .option('--json', 'JSON array')
    .action(async (opts: { connection?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      const grants = await withReviews(globals(cmd), io, (admin) =>
        admin.listGrants({
          ...(opts.connection ? { connection: opts.connection } : {}),
          all: opts.all === true,
        }),
      );
      if (opts.json) printJson(io, grants);
      else printGrants(io, grants);
    });

  grant
    .command('revoke')
    .description('revoke a grant')
    .argument('<id>', 'grant id')
    .option('--json', 'print the revoked grant as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const revoked = await withReviews(globals(cmd), io, (admin) => admin.revokeGrant(id));
      if (opts.json) printJson(io, revoked);
      else say(io, `revoked grant ${revoked.id} at ${revoked.revokedAt}`);
    });
}
