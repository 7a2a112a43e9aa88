/**
 * @module `airlock grant create|list|revoke`, and `openReviews`, how every review command reaches
 * Airlock: with --config on the store (as --token's identity when one is given, else the local
 * operator), with --server through the API as --token.
 */
import type { Command } from 'commander';
import { HttpReviewAdmin, LocalReviewAdmin, type ReviewAdmin } from '../../admin/reviews.js';
import { createRoleResolver } from '../../admin/roles.js';
import { systemClock } from '../../core/clock.js';
import type { AirlockConfig } from '../../core/config.js';
import { AirlockError } from '../../core/errors.js';
import { OPERATOR } from '../../core/identity.js';
import { createAuthenticator } from '../../identity/authenticator.js';
import { parseDuration } from '../../identity/duration.js';
import { OidcVerifier } from '../../identity/oidc.js';
import { TokenService } from '../../identity/tokens.js';
import { createNotifications, type Notifications } from '../../notify/index.js';
import { ReviewService } from '../../reviews/service.js';
import type { GrantView } from '../../reviews/types.js';
import { type GlobalFlags, loadCliConfig, openLocalStore, resolveRemote } from '../context.js';
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

/**
 * The server's notifier for a local (--config) command: requests, break-glass and the like reach
 * the config's `notifications:` targets from the CLI too. Delivery failures are reported on
 * stderr as warnings; they never fail the command (the request exists either way).
 */
function cliNotifications(config: AirlockConfig, io: CliIo): Notifications {
  const quiet = () => {};
  return createNotifications({
    targets: () => config.notifications ?? [],
    env: io.env,
    clock: systemClock,
    log: {
      info: quiet,
      debug: quiet,
      warn(fields: { target?: unknown; err?: unknown }, message: string) {
        // Only the delivery queue's warnings name a target; the log notifier's are for a server log.
        if (fields.target === undefined) return;
        io.stderr.write(
          `warning: ${message} (${String(fields.target)}${fields.err ? `: ${String(fields.err)}` : ''})\n`,
        );
      },
    },
  });
}

/** How long a local command waits for its notifications before it exits. */
const NOTIFY_WAIT_MS = 5000;

/** Waits (bounded) for queued notifications, then stops the queue; says what was left undelivered. */
async function settleNotifications(notifications: Notifications, io: CliIo): Promise<void> {
  // idle()'s timer does not keep Node alive; during a retry's backoff nothing else might.
  const keepAlive = setTimeout(() => {}, NOTIFY_WAIT_MS + 1000);
  try {
    await notifications.idle(NOTIFY_WAIT_MS);
    const { queued } = notifications.stats();
    await notifications.close(0);
    if (queued > 0)
      io.stderr.write(`warning: ${queued} notification(s) not delivered within ${NOTIFY_WAIT_MS / 1000} s\n`);
  } finally {
    clearTimeout(keepAlive);
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
  const local = await openLocalStore(config);
  const { store, journal } = local;
  const notifications = cliNotifications(config, io);
  try {
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
      notifier: notifications.notifier,
      warn: (message) => io.stderr.write(`warning: ${message}\n`),
    });
    return await fn(
      new LocalReviewAdmin(
        service,
        actor,
        createRoleResolver(() => config),
      ),
    );
  } finally {
    try {
      await settleNotifications(notifications, io);
    } finally {
      await local.close();
    }
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
