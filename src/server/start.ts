/**
 * @module The composition root: config → store → journal → gate → engines → listeners → API.
 * `startServer` returns a handle to stop or drain it; `airlock serve`, `airlock demo`, the tests and
 * the bench all start Airlock through here.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LocalAdminDeps } from '../admin/local.js';
import { createRoleResolver } from '../admin/roles.js';
import type { ConfigReloadView, CreateTokenInput } from '../admin/service.js';
import { createApi } from '../api/server.js';
import { AuditDrainer, readVerifiedAnchor } from '../audit/drain.js';
import { Journal } from '../audit/journal.js';
import { loadOrCreateNodeKey } from '../audit/node-key.js';
import { createSecretResolver } from '../config/secrets.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { AirlockConfig, ListenAddress } from '../core/config.js';
import type { Connection, Protocol } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { Gate } from '../core/gate.js';
import { type Identity, OPERATOR } from '../core/identity.js';
import { AuditExporter } from '../export/exporter.js';
import { createAuthenticator } from '../identity/authenticator.js';
import { DEFAULT_MAX_DELEGATION_DEPTH, TokenExchange } from '../identity/exchange.js';
import { LockService } from '../identity/locks.js';
import { OidcVerifier } from '../identity/oidc.js';
import { TokenService, tokenRevoked } from '../identity/tokens.js';
import { createNotifications } from '../notify/index.js';
import { PolicyEngine } from '../policy/index.js';
import { SessionRecorder } from '../recordings/recorder.js';
import { createServerRetention, type ServerRetentionResult } from '../retention/schedule.js';
import { createReviewUpkeep, type ReviewUpkeepResult } from '../reviews/campaigns-schedule.js';
import { ReviewService } from '../reviews/service.js';
import { openStore, type Store } from '../store/db.js';
import { endSessionsFor, watchChanges } from './change-feed.js';
import { createEngineRegistry } from './engines.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { closeOrphanedSessions } from './orphans.js';
import { ConfigReloader, LivePolicy, type ReloadTrigger } from './reload.js';
import { identityLifecycle, SessionSupervisor } from './session-limits.js';
import { loadTlsMaterial } from './tls.js';

/** Options that tests and embedders may override. */
export interface ServerOptions {
  readonly log?: Logger;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
}

/** A running Airlock. */
export interface RunningServer {
  readonly config: AirlockConfig;
  readonly addresses: { readonly api: ListenAddress; readonly postgres?: ListenAddress };
  readonly store: Store;
  readonly gate: Gate;
  readonly log: Logger;
  /** Re-reads the config file (SIGHUP, API); an invalid file is rejected and the running config stays. */
  reloadConfig(actor?: Identity, trigger?: ReloadTrigger): Promise<ConfigReloadView>;
  /** Issues a token as the local operator; returns the token. */
  createToken(input: CreateTokenInput): Promise<string>;
  /** Runs audit retention once (`clock` set ahead in tests); ERR_BAD_REQUEST without `retention.audit`. */
  runRetention(clock?: Clock): Promise<ServerRetentionResult>;
  /** Runs expiry and campaign upkeep once (`clock` set ahead in tests). */
  runReviewUpkeep(clock?: Clock): Promise<ReviewUpkeepResult>;
  /** Waits until every journaled event is in the store. */
  flushAudit(): Promise<void>;
  /** Stops taking sessions, lets open ones finish for up to `graceMs`, tells the rest, then stops. */
  drain(graceMs: number): Promise<void>;
  /** Ends everything now. */
  stop(): Promise<void>;
}

function listen(server: Server, address: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      const bound = server.address();
      resolve({ host: address.host, port: typeof bound === 'object' && bound ? bound.port : address.port });
    });
  });
}

/** Stops accepting; resolves once the server's open connections are gone too. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** Starts Airlock from a validated config. */
export async function startServer(
  config: AirlockConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger(config.logging.level);
  for (const warning of config.warnings) log.warn({ warning }, 'config warning');

  mkdirSync(config.stateDir, { recursive: true });
  const store = await openStore(config.store);
  const nodeKey = loadOrCreateNodeKey(config.stateDir);
  // The store's signed anchor lets the chain continue even if the journal file was lost.
  const resumeFrom = await readVerifiedAnchor(store.db, config.node, nodeKey);
  const journal = Journal.open({
    dir: config.stateDir,
    node: config.node,
    clock,
    key: nodeKey,
    ...(resumeFrom ? { resumeFrom } : {}),
  });
  const drainer = new AuditDrainer({
    db: store.db,
    ...(store.sqlite ? { sqlite: store.sqlite } : {}),
    journal,
    key: nodeKey,
    clock,
    onError: (err) => log.error({ err }, 'audit drain failed; retrying'),
  });
  await drainer.start();
  // Database session recordings are built from the journal (src/recordings/), so every protocol
  // gets them; attached before orphans are closed so an interrupted recording gets its end line.
  const recorder = new SessionRecorder({
    dir: config.recordings?.dir ?? join(config.stateDir, 'recordings'),
    onError: (err, session) =>
      log.warn({ err, session }, 'session recording failed; it stops for this session'),
  });
  recorder.attach(journal);
  const orphans = await closeOrphanedSessions(store.db, config.node, journal, clock);
  if (orphans > 0) log.warn({ sessions: orphans }, 'closed sessions left open by an earlier run');
  // Export and retention read the store beside the data path; they start once the drainer has
  // stored what an earlier run left, and stop before the store closes.
  const exporter = new AuditExporter({
    db: store.db,
    sinks: config.audit?.export ?? [],
    clock,
    env,
    onError: (sink, err, retryInMs) => log.warn({ sink, err, retryInMs }, 'audit export failed; retrying'),
    onDelivered: (sink, b) =>
      log.debug({ sink, node: b.node, from: b.events[0]?.seq, to: b.events.at(-1)?.seq }, 'audit exported'),
    deadLetterDir: join(config.stateDir, 'export-dead-letter'),
    audit: journal,
    onDeadLetter: (sink, parked) =>
      log.error({ sink, ...parked }, 'audit export: batch refused for good, parked in the dead-letter file'),
  });
  exporter.start();
  const retention = createServerRetention({
    config,
    db: store.db,
    key: nodeKey,
    clock,
    audit: journal,
    log,
    recordings: { dir: recorder.dir, isOpen: (id) => recorder.isOpen(id) },
  });
  retention.start();

  // Read through functions so a config reload (reload.ts) can swap them without restarts.
  let current = config;
  let catalog = new Map<string, Connection>(current.connections.map((c) => [c.name, c]));
  const tokens = new TokenService({ db: store.db, clock, audit: journal });
  const oidc = new OidcVerifier({
    issuers: config.identity.oidc,
    clock,
    maxDelegationDepth: () => current.identity.maxDelegationDepth ?? DEFAULT_MAX_DELEGATION_DEPTH,
  });
  const authenticator = createAuthenticator(tokens, oidc);
  const engine = new PolicyEngine({ connections: current.connections });
  for (const warning of engine.warnings) log.warn({ warning }, 'policy warning');
  const policy = new LivePolicy(engine);
  // Approvers hear of requests through the log and the `notifications:` targets, off the data path.
  const notifications = createNotifications({ targets: () => current.notifications ?? [], log, clock, env });
  const reviews = new ReviewService({
    db: store.db,
    clock,
    audit: journal,
    connections: () => catalog,
    admins: () => current.admins,
    notifier: notifications.notifier,
    warn: (message) => log.warn({ warning: message }, 'autoApprove policy problem'),
  });
  const locks = new LockService({ db: store.db, clock, audit: journal });
  // Expiry and campaign reminders/overdue items, on the retention job's schedule.
  const upkeep = createReviewUpkeep({
    db: store.db,
    clock,
    log,
    reviews,
    campaigns: reviews.campaigns,
    tokens,
    connections: () => catalog,
    remind: (campaign, pending) =>
      notifications.notifier.campaignReminder({
        campaign: campaign.id,
        connections: campaign.connections,
        reviewers: campaign.reviewers,
        dueAt: campaign.dueAt,
        pending: pending.length,
      }),
  });
  upkeep.start();
  const lifecycle = identityLifecycle({ gate: () => gate, locks });
  const gate = new Gate({
    authenticator,
    connections: () => catalog,
    audit: journal,
    clock,
    policy,
    reviews,
    lifecycle,
  });
  const supervisor = new SessionSupervisor({ gate, clock, connections: () => catalog });
  supervisor.start();
  const exchange = new TokenExchange({
    tokens,
    authenticator,
    connections: () => catalog,
    clock,
    maxDepth: () => current.identity.maxDelegationDepth ?? DEFAULT_MAX_DELEGATION_DEPTH,
  });
  const reloader = new ConfigReloader({
    log,
    audit: journal,
    gate,
    env,
    current: () => current,
    apply(next, nextPolicy) {
      current = next;
      catalog = new Map(next.connections.map((c) => [c.name, c]));
      policy.swap(nextPolicy);
    },
  });
  const tls = await loadTlsMaterial(config);
  const secrets = createSecretResolver(() => current.connections, env);
  const registry = createEngineRegistry();

  const sockets = new Set<Socket>();
  const listeners: Server[] = [];
  const addresses: { api: ListenAddress; postgres?: ListenAddress } = { api: config.listen.api };
  const protocolListeners: [Protocol, ListenAddress | undefined][] = [['postgres', config.listen.postgres]];
  for (const [protocol, address] of protocolListeners) {
    if (!address) continue;
    const engine = registry.get(protocol)({
      gate,
      clock,
      log: log.child({ protocol }),
      tls: tls.context,
      secrets,
    });
    const server = createServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      engine.handle(socket).catch((err: unknown) => log.error({ err }, 'engine failed'));
    });
    server.on('error', (err) => log.error({ err, protocol }, 'listener error'));
    addresses[protocol] = await listen(server, address);
    listeners.push(server);
  }

  const metrics = createMetrics({
    journalFailures: () => journal.failures,
    auditLag: () => drainer.lag,
    exportLag: () => exporter.lag(),
    exportDeadLetters: () => exporter.deadLettered(),
    retention: () => retention.stats(),
    notifications: () => notifications.stats(),
    configReloads: () => reloader.stats(),
  });
  const adminDeps: LocalAdminDeps = {
    db: store.db,
    tokens,
    config: () => current,
    roles: createRoleResolver(() => current),
    nodeKey,
    reload: (actor) => reloader.reload(actor, 'api'),
    locks,
    exchange,
  };
  const api = await createApi({
    identity: { exchange, login: () => current.identity.login },
    reviews,
    admin: adminDeps,
    authenticator,
    clock,
    log,
    metrics: () => metrics.render(),
    healthy: () => !gate.draining,
  });
  await api.listen({ host: config.listen.api.host, port: config.listen.api.port });
  const apiAddress = api.server.address();
  addresses.api = {
    host: config.listen.api.host,
    port: typeof apiAddress === 'object' && apiAddress ? apiAddress.port : config.listen.api.port,
  };

  // The change feed's ids are hints (late commits on PostgreSQL): re-read held requests now and
  // then, one read per request, never per held client.
  const recheckHeld = setInterval(() => {
    for (const id of reviews.waiter.ids()) void reviews.waiter.wake(id).catch(() => {});
  }, 5000);
  recheckHeld.unref();
  const feed = await watchChanges(store.db, log, (change) => {
    reviews.onChange(change);
    if (change.kind === 'token.revoked') {
      // Named after the ancestor when the revocation cascaded; ended either way if that lookup fails.
      void tokens
        .revokedWith(change.ref)
        .catch(() => undefined)
        .then((ancestor) => {
          const ended = gate.terminateWhere(
            (s) => s.identity.issuer === 'airlock' && s.identity.subject === change.ref,
            tokenRevoked(change.ref, ancestor),
          );
          if (ended) log.info({ token: change.ref, sessions: ended }, 'ended sessions of revoked token');
        });
    }
    endSessionsFor(change, { gate, locks, log, suspensions: reviews.suspensions, grants: reviews.grants });
  });
  log.info({ api: addresses.api, postgres: addresses.postgres, node: config.node }, 'airlock started');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      gate.startDraining();
      feed.stop();
      supervisor.stop();
      clearInterval(recheckHeld);
      const closed = Promise.all(listeners.map(closeServer));
      gate.terminateWhere(() => true, new AirlockError('ERR_SHUTTING_DOWN'));
      // Engines close their sockets on terminate; anything still half-open goes now.
      setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 200).unref();
      await closed;
      await api.close();
      metrics.dispose();
      await retention.stop();
      await upkeep.stop();
      await exporter.stop();
      await notifications.close();
      await recorder.close();
      await drainer.flush();
      await drainer.stop();
      journal.close();
      await store.close();
      log.info('airlock stopped');
    })();
    return stopping;
  };

  return {
    config,
    addresses,
    store,
    gate,
    log,
    reloadConfig: (actor = OPERATOR, trigger = 'signal') => reloader.reload(actor, trigger),
    async createToken(input) {
      const { token } = await tokens.create({
        name: input.name,
        groups: [...(input.groups ?? [])],
        kind: input.kind ?? 'agent',
        ttlMs: input.ttlMs ?? 8 * 3600_000,
        actor: OPERATOR,
      });
      return token;
    },
    runRetention: (at) => retention.run(at),
    runReviewUpkeep: (at) => upkeep.run(at),
    flushAudit: () => drainer.flush(),
    async drain(graceMs) {
      gate.startDraining();
      for (const server of listeners) server.close();
      const deadline = clock.nowMs() + graceMs;
      while ([...gate.liveSessions()].length > 0 && clock.nowMs() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await stop();
    },
    stop,
  };
}
