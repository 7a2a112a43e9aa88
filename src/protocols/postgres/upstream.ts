/**
 * @module The upstream leg: Airlock connects to the target as the connection's configured user,
 * with the held password, and hands the authenticated socket to the relay. TLS follows the
 * connection's `tls.mode` (disable; require = encrypted, unverified; verify-full = CA and host name
 * verified), negotiated with SSLRequest as libpq does. Authentication answers whatever the server asks:
 * trust, cleartext, md5 or SCRAM-SHA-256 (whose server signature must verify). Every failure becomes a
 * catalog error whose client text names neither the host nor the credential.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { readFile } from 'node:fs/promises';
import { isIP, Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Connection } from '../../core/connection.js';
import { AirlockError } from '../../core/errors.js';
import { md5PasswordResponse } from './auth/md5.js';
import { SCRAM_SHA_256, ScramClient } from './auth/scram-client.js';
import { decodeBackend } from './codec/backend-decoder.js';
import { AuthenticationType, BackendCode, SslResponse, TransactionStatus } from './codec/codes.js';
import type { Frame } from './codec/messages.js';
import { BackendParser } from './codec/parser.js';
import {
  passwordMessage,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
} from './codec/serializer.js';
import { convertUpstreamError, type UpstreamPhase } from './errors.js';
import { unsafeReportedSetting } from './startup-guard.js';

/** A socket to the target, plain or TLS. */
export type UpstreamSocket = Socket | TLSSocket;

/** What opening a connection needs. */
export interface UpstreamTarget {
  readonly connection: Connection;
  readonly timeoutMs: number;
  /** Aborts the attempt (client gone, session terminated). */
  readonly signal?: AbortSignal;
}

/** An authenticated upstream session, ready for the relay. */
export interface Upstream {
  readonly socket: UpstreamSocket;
  readonly parser: BackendParser;
  /** ParameterStatus messages the server sent at startup (copies), to pass to the client. */
  readonly parameterStatus: readonly Buffer[];
  readonly processId: number;
  readonly secretKey: Buffer;
  /** Transaction status of the first ReadyForQuery. */
  readonly status: number;
  /** Stops the startup listener; returns frames that arrived after ReadyForQuery (copies). */
  readonly detach: () => Frame[];
}

/** Client settings passed on to the target, matched case-insensitively. */
const FORWARDED_PARAMETERS = new Set([
  'application_name',
  'fallback_application_name',
  'client_encoding',
  'datestyle',
  'timezone',
  'extra_float_digits',
]);

/** The startup parameters for the target: its user and database, plus the client's session settings. */
export function upstreamParameters(
  connection: Connection,
  client: ReadonlyMap<string, string>,
  options: string,
): [string, string][] {
  const parameters: [string, string][] = [
    ['user', connection.user],
    ['database', connection.database],
  ];
  for (const [name, value] of client) {
    if (FORWARDED_PARAMETERS.has(name.toLowerCase())) parameters.push([name, value]);
  }
  if (options) parameters.push(['options', options]);
  return parameters;
}

function targetName(connection: Connection): string {
  return `${connection.host}:${connection.port}`;
}

/** Runs `work` with a deadline and abort signal; `cleanup` runs on either. */
function guarded<T>(
  target: UpstreamTarget,
  phase: () => UpstreamPhase,
  cleanup: () => void,
  work: (resolve: (value: T) => void, reject: (err: AirlockError) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      target.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: AirlockError) => {
      if (settled) return;
      finish();
      cleanup();
      reject(err);
    };
    const onAbort = () =>
      fail(
        new AirlockError(
          'ERR_SESSION_TERMINATED',
          `upstream ${targetName(target.connection)}: attempt aborted`,
        ),
      );
    const timer = setTimeout(
      () =>
        fail(
          convertUpstreamError(
            { error: new Error(`no answer within ${target.timeoutMs} ms`) },
            targetName(target.connection),
            phase(),
          ),
        ),
      target.timeoutMs,
    );
    if (target.signal?.aborted) return onAbort();
    target.signal?.addEventListener('abort', onAbort, { once: true });
    work((value) => {
      if (settled) return;
      finish();
      resolve(value);
    }, fail);
  });
}

/**
 * Opens a socket to the connection's target and negotiates TLS per its mode. Used for sessions and
 * for forwarding CancelRequests (PostgreSQL accepts those after SSLRequest too).
 */
export async function openUpstreamSocket(target: UpstreamTarget): Promise<UpstreamSocket> {
  const { connection } = target;
  const name = targetName(connection);
  const ca =
    connection.tls.mode === 'verify-full' && connection.tls.ca
      ? await readCa(connection.tls.ca, name)
      : undefined;
  let phase: UpstreamPhase = 'connect';
  let current: UpstreamSocket = new Socket();
  return guarded<UpstreamSocket>(
    target,
    () => phase,
    () => current.destroy(),
    (resolve, reject) => {
      const raw = current as Socket;
      const onError = (error: Error) => reject(convertUpstreamError({ error }, name, phase));
      const onClose = () =>
        reject(convertUpstreamError({ error: new Error('closed by the target') }, name, phase));
      raw.on('error', onError).on('close', onClose);
      raw.connect({ host: connection.host, port: connection.port }, () => {
        raw.setNoDelay(true);
        raw.setKeepAlive(true, 30_000);
        if (connection.tls.mode === 'disable') {
          raw.off('error', onError).off('close', onClose);
          return resolve(raw);
        }
        phase = 'tls';
        raw.write(sslRequest);
        raw.once('data', (answer: Buffer) => {
          // One byte, nothing after it: bytes before the handshake would be unencrypted injection
          // (CVE-2021-23222), so any extra byte fails the connection.
          if (answer[0] !== SslResponse.Accept || answer.length !== 1) {
            const why =
              answer[0] === SslResponse.Refuse
                ? 'the target does not accept TLS'
                : 'invalid answer to SSLRequest';
            return reject(convertUpstreamError({ error: new Error(why) }, name, 'tls'));
          }
          raw.off('error', onError).off('close', onClose);
          const verify = connection.tls.mode === 'verify-full';
          const secure = tlsConnect({
            socket: raw,
            host: connection.host,
            ...(isIP(connection.host) ? {} : { servername: connection.host }),
            rejectUnauthorized: verify,
            ...(ca ? { ca } : {}),
            ...(verify ? {} : { checkServerIdentity: () => undefined }),
          });
          current = secure;
          secure.on('error', onError).on('close', onClose);
          secure.once('secureConnect', () => {
            secure.off('error', onError).off('close', onClose);
            resolve(secure);
          });
        });
      });
    },
  );
}

async function readCa(path: string, name: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw convertUpstreamError({ error: error as Error }, name, 'tls');
  }
}

/** Connects, authenticates with `password` and waits for the first ReadyForQuery. */
export async function connectUpstream(
  target: UpstreamTarget,
  password: string,
  parameters: Iterable<readonly [string, string]>,
): Promise<Upstream> {
  const socket = await openUpstreamSocket(target);
  const { connection } = target;
  const name = targetName(connection);
  const parser = new BackendParser();
  const parameterStatus: Buffer[] = [];
  const pending: Frame[] = [];
  let phase: UpstreamPhase = 'auth';
  let scram: ScramClient | undefined;
  let scramVerified = false;
  let processId = 0;
  let secretKey = Buffer.alloc(0);
  let status = -1;

  const onFrame = (frame: Frame): void => {
    if (status >= 0) {
      pending.push(frame.detach());
      return;
    }
    switch (frame.code) {
      case BackendCode.Authentication:
        authenticate(frame);
        return;
      case BackendCode.ErrorResponse: {
        const message = decodeBackend(frame);
        if (message.name === 'errorResponse')
          throw convertUpstreamError({ fields: message.fields }, name, phase);
        return;
      }
      case BackendCode.ParameterStatus: {
        const unsafe = unsafeReportedSetting(frame);
        if (unsafe) throw new AirlockError('ERR_UNSAFE_SESSION_SETTING', unsafe, { userMessage: unsafe });
        parameterStatus.push(Buffer.from(frame.raw));
        return;
      }
      case BackendCode.BackendKeyData: {
        const message = decodeBackend(frame);
        if (message.name === 'backendKeyData') {
          processId = message.processId;
          secretKey = Buffer.from(message.secretKey);
        }
        return;
      }
      case BackendCode.ReadyForQuery: {
        const message = decodeBackend(frame);
        if (phase !== 'startup') throw protocol('ReadyForQuery before AuthenticationOk');
        status = message.name === 'readyForQuery' ? message.status : TransactionStatus.Idle;
        return;
      }
      case BackendCode.NoticeResponse:
      case BackendCode.NegotiateProtocolVersion:
        return;
      default:
        throw protocol(`message '${String.fromCharCode(frame.code)}' during startup`);
    }
  };

  const protocol = (what: string) =>
    new AirlockError('ERR_UPSTREAM_UNREACHABLE', `upstream ${name}: unexpected ${what}`);

  const authenticate = (frame: Frame): void => {
    const message = decodeBackend(frame);
    if (message.name !== 'authentication') return;
    if (phase !== 'auth') throw protocol('authentication request after AuthenticationOk');
    switch (message.type) {
      case AuthenticationType.Ok:
        // A server that started SCRAM must finish it: skipping SASLFinal would skip its proof.
        if (scram && !scramVerified) throw failedAuth('the target skipped the SCRAM server signature');
        phase = 'startup';
        return;
      case AuthenticationType.CleartextPassword:
        socket.write(passwordMessage(password));
        return;
      case AuthenticationType.MD5Password:
        socket.write(passwordMessage(md5PasswordResponse(connection.user, password, message.salt!)));
        return;
      case AuthenticationType.SASL:
        if (!message.mechanisms?.includes(SCRAM_SHA_256)) {
          throw failedAuth(`no supported SASL mechanism in ${message.mechanisms?.join(', ')}`);
        }
        scram = new ScramClient(password);
        socket.write(saslInitialResponse(SCRAM_SHA_256, Buffer.from(scram.clientFirstMessage())));
        return;
      case AuthenticationType.SASLContinue:
        if (!scram) throw protocol('SASLContinue without SASL');
        socket.write(saslResponse(Buffer.from(scram.clientFinalMessage(message.data!.toString('utf8')))));
        return;
      case AuthenticationType.SASLFinal:
        if (!scram) throw protocol('SASLFinal without SASL');
        scram.verifyServerFinal(message.data!.toString('utf8'));
        scramVerified = true;
        return;
      default:
        throw failedAuth(`unsupported authentication method ${message.type}`);
    }
  };

  const failedAuth = (why: string) =>
    new AirlockError('ERR_UPSTREAM_AUTH_FAILED', `upstream ${name}: ${why}`);

  let onData: ((chunk: Buffer) => void) | undefined;
  let onClose: (() => void) | undefined;
  let onError: ((error: Error) => void) | undefined;
  const detachStartup = () => {
    if (onData) socket.off('data', onData);
    if (onClose) socket.off('close', onClose);
    if (onError) socket.off('error', onError);
  };

  return guarded<Upstream>(
    target,
    () => phase,
    () => {
      detachStartup();
      socket.destroy();
    },
    (resolve, reject) => {
      onError = (error) => reject(convertUpstreamError({ error }, name, phase));
      onClose = () => reject(convertUpstreamError({ error: new Error('closed by the target') }, name, phase));
      onData = (chunk) => {
        try {
          parser.parse(chunk, onFrame);
        } catch (err) {
          return reject(
            err instanceof AirlockError ? err : convertUpstreamError({ error: err as Error }, name, phase),
          );
        }
        if (status >= 0) {
          // Later frames keep collecting in `pending` until the relay takes the socket over.
          resolve({
            socket,
            parser,
            parameterStatus,
            processId,
            secretKey,
            status,
            detach() {
              detachStartup();
              return pending.splice(0);
            },
          });
        }
      };
      socket.on('error', onError).on('close', onClose).on('data', onData);
      socket.write(startupMessage(parameters));
      socket.resume();
    },
  );
}
