/**
 * @module The PostgreSQL engine: one accepted socket from handshake to close. The client's password
 * is its Airlock token (or OIDC access token) and its database name picks the connection; the gate
 * authenticates and authorises, then Airlock connects upstream with the credential it holds and
 * relays (see relay.ts). Every failure reaches the client as an ErrorResponse from the error catalog;
 * nothing a client sends can crash the process or touch another session.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { Socket } from 'node:net';
import type { EngineConfig, ProtocolEngine } from '../../core/engine.js';
import { checkEngineConfig } from '../../core/engine.js';
import { AirlockError, toAirlockError } from '../../core/errors.js';
import type { Session, SessionStats } from '../../core/session.js';
import { CancelKeys, forwardCancel } from './cancel.js';
import { initClassifier, isClassifierReady } from './classify/index.js';
import { DEFAULT_MAX_MESSAGE_LENGTH, TransactionStatus } from './codec/codes.js';
import type { Frame } from './codec/messages.js';
import { FrontendParser } from './codec/parser.js';
import { authenticationOk, backendKeyData, noticeResponse, readyForQuery } from './codec/serializer.js';
import { toWireError } from './errors.js';
import { GreetingCache, holdFirstStatement } from './hold.js';
import { prepareMasking } from './masking/setup.js';
import { extractAirlockOptions } from './options.js';
import { Relay } from './relay.js';
import { ClientInbox, type ClientSocket, negotiateStartup, requestPassword } from './startup.js';
import { unsafeStartupSetting } from './startup-guard.js';
import { connectUpstream, upstreamParameters } from './upstream.js';

/** Tunables; the defaults suit production. */
export interface PostgresEngineOptions {
  /** Connecting and authenticating to the target (and forwarding a cancel). Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** From accept to the password (PostgreSQL's authentication_timeout). Default 60 s. */
  readonly startupTimeoutMs?: number;
  /** Largest single message either side may send. Default 256 MiB. */
  readonly maxMessageLength?: number;
  /** Largest extended-protocol batch held until its Sync or Flush. Default 64 MiB. */
  readonly maxBatchBytes?: number;
}

/** Builds the PostgreSQL engine. */
export function createPostgresEngine(
  config: EngineConfig,
  options: PostgresEngineOptions = {},
): ProtocolEngine {
  checkEngineConfig(config);
  const settings = {
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
    maxMessageLength: options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH,
    maxBatchBytes: options.maxBatchBytes ?? 64 * 1024 * 1024,
  };
  const cancelKeys = new CancelKeys();
  const greetings = new GreetingCache();
  return {
    protocol: 'postgres',
    handle: (socket) => serveClient(socket, config, settings, cancelKeys, greetings),
    sendError(socket, err) {
      sendFatal(socket, err);
    },
  };
}

type Settings = Required<PostgresEngineOptions>;

/** Largest message an unauthenticated client may send (a password, SASL message or JWT). */
const AUTH_MESSAGE_LIMIT = 65_535;

/** Writes `err` as a FATAL ErrorResponse and closes the socket. */
function sendFatal(socket: ClientSocket, err: AirlockError, stats?: SessionStats): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const wire = toWireError(err, 'FATAL');
  if (stats) stats.bytesToClient += wire.length;
  socket.end(wire);
  setTimeout(() => socket.destroy(), 1000).unref();
}

async function serveClient(
  socket: Socket,
  config: EngineConfig,
  settings: Settings,
  cancelKeys: CancelKeys,
  greetings: GreetingCache,
): Promise<void> {
  const { gate, clock } = config;
  const address = socket.remoteAddress ?? '';
  const port = socket.remotePort ?? 0;
  let log = config.log.child({ client: `${address}:${port}` });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 30_000);
  socket.on('error', (err) => {
    log.debug({ err: err.message }, 'client socket error');
    socket.destroy();
  });

  const stats: SessionStats = { bytesFromClient: 0, bytesToClient: 0, statements: 0 };
  // Until the session is open only a password is due: an unauthenticated client cannot make
  // Airlock buffer a large message (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH).
  const parser = new FrontendParser({ maxMessageLength: AUTH_MESSAGE_LIMIT });
  const inbox = new ClientInbox(parser, stats);
  const abort = new AbortController();
  let client: ClientSocket = socket;
  let session: Session | undefined;
  let relay: Relay | undefined;
  let terminated: AirlockError | undefined;
  let failure: AirlockError | undefined;
  const startupTimer = setTimeout(() => socket.destroy(), settings.startupTimeoutMs);
  socket.once('close', () => abort.abort());

  // Called by the gate (revoked token, shutdown): tell the client, close both sides at once.
  const terminate = (err: AirlockError) => {
    terminated ??= err;
    if (relay) relay.terminate(err);
    else {
      abort.abort();
      sendFatal(client, err, stats);
    }
  };

  try {
    inbox.attach(socket);
    // The parser (WebAssembly) loads once per process; every later session finds it ready.
    if (!isClassifierReady()) await initClassifier();
    const start = await negotiateStartup(socket, inbox, config.tls);
    if (!start) return;
    if (start.kind === 'cancel') {
      clearTimeout(startupTimer);
      socket.destroy();
      const target = cancelKeys.find(start.processId, start.secretKey);
      if (!target) return log.debug('cancel request with an unknown key ignored');
      // Held for review: no upstream backend yet, the wait itself is what to cancel.
      if (target.cancelHold) return target.cancelHold();
      // Between held statements (idle, nothing upstream): nothing runs, as PostgreSQL ignores it.
      if (target.processId === 0) return;
      const err = await forwardCancel(target, settings.connectTimeoutMs);
      if (err) log.warn({ code: err.code, err: err.message }, 'cancel request could not be forwarded');
      return;
    }
    client = start.socket;
    const parameters = start.startup.parameters;
    const secret = await requestPassword(client, inbox, start.startup);
    clearTimeout(startupTimer);
    if (secret === null) return;
    // Hold further client bytes in the socket until the relay reads them.
    client.pause();

    const airlock = extractAirlockOptions(parameters.get('options'));
    const unsafe = unsafeStartupSetting(parameters, airlock.upstream);
    if (unsafe) throw new AirlockError('ERR_UNSUPPORTED', unsafe, { userMessage: unsafe });
    const reason = airlock.settings.get('reason');
    const application = parameters.get('application_name') ?? parameters.get('fallback_application_name');
    session = await gate.openSession(
      {
        protocol: 'postgres',
        connectionName: parameters.get('database') ?? parameters.get('user') ?? '',
        secret,
        client: { address, port, tls: start.tls, ...(application ? { application } : {}) },
        ...(reason ? { reason } : {}),
      },
      terminate,
    );
    log = config.log.child({ session: session.id });
    log.info(
      {
        identity: session.identity.subject,
        connection: session.connection.name,
        client: `${address}:${port}`,
        tls: start.tls,
      },
      'session started',
    );

    if (client.destroyed) return;
    const connection = session.connection;
    const password = config.secrets.resolve(connection.name);
    const toUpstream = upstreamParameters(connection, parameters, airlock.upstream);
    // A read-scoped session also runs read-only upstream (defence in depth behind the gate's scope check).
    if (session.access?.readOnly) toUpstream.push(['default_transaction_read_only', 'on']);
    // Filled in once the upstream backend exists: a session held before it has a key already.
    const cancelTarget: {
      connection: typeof connection;
      processId: number;
      secretKey: Buffer;
      cancelHold?: (() => void) | undefined;
    } = {
      connection,
      processId: 0,
      secretKey: Buffer.alloc(4),
    };
    let key: ReturnType<CancelKeys['issue']> | undefined;
    try {
      let early: Frame[] = [];
      const stale = session.access?.freshness === 'stale';
      if (stale) {
        // Held at the first statement with no upstream connection (hold.ts explains the choice).
        const greeting = await greetings.get(
          connection,
          password,
          toUpstream,
          settings.connectTimeoutMs,
          abort.signal,
        );
        key = cancelKeys.issue(cancelTarget);
        const hello = Buffer.concat([
          authenticationOk,
          ...greeting,
          backendKeyData(key.processId, key.secretKey),
          readyForQuery(TransactionStatus.Idle),
        ]);
        stats.bytesToClient += hello.length;
        client.write(hello);
        const held = await holdFirstStatement({
          gate,
          session,
          client,
          inbox,
          signal: abort.signal,
          sent: (n) => {
            stats.bytesToClient += n;
          },
          cancellable: (cancel) => {
            cancelTarget.cancelHold = cancel;
          },
        });
        if (!held) return;
        session = held.session;
        early = held.frames;
        client.pause();
        log.info(
          { reviewers: session.review?.reviewers, request: session.review?.request },
          'session review approved',
        );
      }
      // Masking's catalog snapshot comes first: no answer is relayed before it can be masked.
      const masking = await prepareMasking(connection, config.secrets, process.env, () =>
        config.gate.connection(connection.name),
      );
      const upstream = await connectUpstream(
        { connection, timeoutMs: settings.connectTimeoutMs, signal: abort.signal },
        password,
        toUpstream,
      );
      greetings.remember(connection.name, upstream.parameterStatus);
      if (terminated || client.destroyed) {
        upstream.socket.destroy();
        if (terminated) throw terminated;
        return;
      }
      cancelTarget.processId = upstream.processId;
      cancelTarget.secretKey = upstream.secretKey;
      let greeting: Buffer[];
      if (key) {
        // The client has its greeting: the true parameter values follow as ParameterStatus updates.
        greeting = [...upstream.parameterStatus];
      } else {
        key = cancelKeys.issue(cancelTarget);
        const warning = session.access?.warning;
        greeting = [
          authenticationOk,
          ...upstream.parameterStatus,
          backendKeyData(key.processId, key.secretKey),
          ...(warning ? [noticeResponse({ severity: 'WARNING', code: '01000', message: warning })] : []),
          readyForQuery(upstream.status),
        ];
      }
      for (const part of greeting) stats.bytesToClient += part.length;
      client.write(Buffer.concat(greeting));
      parser.maxMessageLength = settings.maxMessageLength;
      relay = new Relay({
        gate,
        session,
        clock,
        log,
        client,
        clientParser: parser,
        upstream: upstream.socket,
        upstreamParser: upstream.parser,
        initialStatus: upstream.status,
        maxBatchBytes: settings.maxBatchBytes,
        stats,
        ...(masking ? { masking } : {}),
      });
      failure = await relay.run([...early, ...inbox.detach()], upstream.detach());
    } finally {
      if (key) cancelKeys.release(key.processId);
    }
  } catch (thrown) {
    failure = terminated ?? toAirlockError(thrown);
    log.warn({ code: failure.code, err: failure.message }, session ? 'session failed' : 'session refused');
    // terminate() has already told the client.
    if (!terminated) sendFatal(client, failure, stats);
  } finally {
    clearTimeout(startupTimer);
    inbox.detach();
    if (session) {
      gate.closeSession(session, stats, failure ?? terminated);
      log.info(
        {
          durationMs: clock.nowMs() - session.startedAt.getTime(),
          bytesFromClient: stats.bytesFromClient,
          bytesToClient: stats.bytesToClient,
          statements: stats.statements,
          ...(failure ? { code: failure.code } : {}),
        },
        'session ended',
      );
    }
  }
}
