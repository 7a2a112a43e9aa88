/**
 * @module How a CLI command reaches Airlock: with --config it acts locally on the store with
 * operator rights (like `tctl` on the server); with --server URL (or AIRLOCK_SERVER) it goes through
 * the API as the identity of --token / AIRLOCK_TOKEN.
 */

import { HttpAdmin } from '../admin/http-client.js';
import { LocalAdmin } from '../admin/local.js';
import { createRoleResolver } from '../admin/roles.js';
import type { AdminService } from '../admin/service.js';
import { AuditDrainer, readVerifiedAnchor } from '../audit/drain.js';
import { Journal } from '../audit/journal.js';
import { loadOrCreateNodeKey } from '../audit/node-key.js';
import { findConfigFile, loadConfig } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import type { AirlockConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { OPERATOR } from '../core/identity.js';
import { createAuthenticator } from '../identity/authenticator.js';
import { DEFAULT_MAX_DELEGATION_DEPTH, TokenExchange } from '../identity/exchange.js';
import { LockService } from '../identity/locks.js';
import { OidcVerifier } from '../identity/oidc.js';
import { TokenService } from '../identity/tokens.js';
import { openStore, type Store } from '../store/db.js';
import { loadCredentials, storedToken } from './credentials.js';
import type { CliIo } from './io.js';

/** The global flags every command accepts. */
export interface GlobalFlags {
  readonly config?: string;
  readonly server?: string;
  readonly token?: string;
}

/** An admin surface plus whatever must be closed after the command. */
export interface AdminSession {
  readonly admin: AdminService;
  close(): Promise<void>;
}

/** Loads the config the way every command does: --config, AIRLOCK_CONFIG, ./airlock.yaml. */
export async function loadCliConfig(flags: GlobalFlags, io: CliIo): Promise<AirlockConfig> {
  return loadConfig(findConfigFile(flags.config, io.env, io.cwd), io.env);
}

/**
 * The server and token a command goes through, or undefined for local mode: --server /
 * AIRLOCK_SERVER (unless --config), else the server `airlock login` stored unless a config is named
 * (--config, AIRLOCK_CONFIG). The token: --token, AIRLOCK_TOKEN, else the stored login's for that
 * server (ERR_TOKEN_EXPIRED once it expired, saying to log in again).
 */
export function resolveRemote(
  flags: GlobalFlags,
  io: CliIo,
): { readonly server: string; readonly token: string } | undefined {
  const explicitServer = flags.server ?? (flags.config ? undefined : io.env.AIRLOCK_SERVER);
  const namedConfig = flags.config ?? io.env.AIRLOCK_CONFIG;
  const server = explicitServer ?? (namedConfig ? undefined : loadCredentials(io.env)?.server);
  if (!server) return undefined;
  const token =
    flags.token ?? io.env.AIRLOCK_TOKEN ?? storedToken(io.env, server, systemClock.nowMs())?.token;
  if (!token) {
    throw new AirlockError('ERR_UNAUTHENTICATED', 'no token for --server', {
      userMessage: `with --server, pass --token TOKEN or set AIRLOCK_TOKEN (or run \`airlock login --server ${server}\`)`,
    });
  }
  return { server, token };
}

/** What a local (--config) command works on: the store, the node key and the CLI's journal. */
export interface LocalStore {
  readonly store: Store;
  readonly key: Buffer;
  /** Drained into the store as the command runs, and fully on `close`. */
  readonly journal: Journal;
  close(): Promise<void>;
}

/**
 * Opens the config's store with the CLI's own audit journal and its drainer. The CLI keeps its own
 * hash chain (node "<node>.cli"): a running server owns the main one.
 */
export async function openLocalStore(config: AirlockConfig): Promise<LocalStore> {
  const store = await openStore(config.store);
  try {
    const key = loadOrCreateNodeKey(config.stateDir);
    const node = `${config.node}.cli`;
    const resumeFrom = await readVerifiedAnchor(store.db, node, key);
    // Concurrent CLI commands take turns on the CLI journal rather than failing.
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
    } catch (err) {
      journal.close();
      throw err;
    }
    return {
      store,
      key,
      journal,
      async close() {
        try {
          await drainer.flush();
          await drainer.stop();
        } finally {
          journal.close();
          await store.close();
        }
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Opens the admin surface: remote per `resolveRemote`, else local on the config's store. */
export async function openAdmin(flags: GlobalFlags, io: CliIo): Promise<AdminSession> {
  const remote = resolveRemote(flags, io);
  if (remote) {
    return { admin: new HttpAdmin(remote.server, remote.token), close: async () => {} };
  }
  const config = await loadCliConfig(flags, io);
  const local = await openLocalStore(config);
  const { store, key, journal } = local;
  const tokens = new TokenService({ db: store.db, clock: systemClock, audit: journal });
  const admin = new LocalAdmin(
    {
      db: store.db,
      tokens,
      config: () => config,
      roles: createRoleResolver(() => config),
      nodeKey: key,
      locks: new LockService({ db: store.db, clock: systemClock, audit: journal }),
      exchange: new TokenExchange({
        tokens,
        authenticator: createAuthenticator(
          tokens,
          new OidcVerifier({
            issuers: config.identity.oidc,
            clock: systemClock,
            maxDelegationDepth: () => config.identity.maxDelegationDepth ?? DEFAULT_MAX_DELEGATION_DEPTH,
          }),
        ),
        connections: () => new Map(config.connections.map((c) => [c.name, c])),
        clock: systemClock,
        maxDepth: () => config.identity.maxDelegationDepth ?? DEFAULT_MAX_DELEGATION_DEPTH,
      }),
    },
    OPERATOR,
  );
  return { admin, close: () => local.close() };
}

/** Runs `fn` with an admin surface and always closes it. */
export async function withAdmin<T>(
  flags: GlobalFlags,
  io: CliIo,
  fn: (admin: AdminService) => Promise<T>,
): Promise<T> {
  const session = await openAdmin(flags, io);
  try {
    return await fn(session.admin);
  } finally {
    await session.close();
  }
}
