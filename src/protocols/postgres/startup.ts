/**
 * @module The client side of the handshake, before any session exists: SSLRequest (answered 'S' and
 * upgraded to TLS with Airlock's certificate), GSSENCRequest (answered 'N'), CancelRequest, the
 * StartupMessage, protocol negotiation, and the cleartext password request whose answer is the
 * Airlock token. Frames are read through a `ClientInbox`, which copies them so they survive the
 * awaits of the handshake.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { AirlockError } from '../../core/errors.js';
import type { SessionStats } from '../../core/session.js';
import { FrontendCode } from './codec/codes.js';
import { decodeFrontend, decodePassword, decodeStartup } from './codec/frontend-decoder.js';
import type { Frame, StartupMessage } from './codec/messages.js';
import type { FrontendParser } from './codec/parser.js';
import {
  authenticationCleartextPassword,
  negotiateProtocolVersion,
  sslAccepted,
  sslRefused,
} from './codec/serializer.js';

/** The client's socket: plain TCP, or TLS after SSLRequest. */
export type ClientSocket = Socket | TLSSocket;

/**
 * Reads client frames during the handshake as awaitable copies. Bytes are counted into `stats`.
 * Detach it before the relay takes the socket; frames that arrived early are handed over.
 */
export class ClientInbox {
  readonly #parser: FrontendParser;
  readonly #stats: SessionStats;
  #socket: ClientSocket | undefined;
  #queue: Frame[] = [];
  #error: unknown;
  #ended = false;
  #wake: (() => void) | undefined;

  readonly #onData = (chunk: Buffer): void => {
    this.#stats.bytesFromClient += chunk.length;
    try {
      this.#parser.parse(chunk, this.#onFrame);
    } catch (err) {
      this.#error = err;
      this.detach();
    }
    // Read no further ahead than the handshake asks for.
    if (this.#queue.length > 0) this.#socket?.pause();
    this.#notify();
  };
  readonly #onFrame = (frame: Frame): void => {
    this.#queue.push(frame.detach());
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#notify();
  };

  constructor(parser: FrontendParser, stats: SessionStats) {
    this.#parser = parser;
    this.#stats = stats;
  }

  /** Bytes of an incomplete frame the parser holds. */
  get pendingBytes(): number {
    return this.#parser.pendingBytes;
  }

  attach(socket: ClientSocket): void {
    this.#socket = socket;
    socket.on('data', this.#onData).on('end', this.#onEnd).on('close', this.#onEnd);
  }

  /** Stops reading; returns frames received but not yet taken. */
  detach(): Frame[] {
    this.#socket?.off('data', this.#onData).off('end', this.#onEnd).off('close', this.#onEnd);
    this.#socket = undefined;
    return this.#queue.splice(0);
  }

  /** The next frame, or null once the client has gone. Throws the parser's protocol violation. */
  async next(): Promise<Frame | null> {
    for (;;) {
      const frame = this.#queue.shift();
      if (frame) return frame;
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      this.#socket?.resume();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** How a new client socket wants to proceed. */
export type ClientStart =
  | {
      readonly kind: 'session';
      readonly socket: ClientSocket;
      readonly tls: boolean;
      readonly startup: StartupMessage;
    }
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer };

function violation(expected: string, received: string): AirlockError {
  return new AirlockError('ERR_PROTOCOL_VIOLATION', `expected ${expected}, received ${received}`);
}

/** Answers 'S' and wraps the socket in TLS; resolves once the handshake is done. */
async function upgradeToTls(
  socket: Socket,
  inbox: ClientInbox,
  secureContext: SecureContext,
): Promise<TLSSocket> {
  const early = inbox.detach();
  // Bytes sent after SSLRequest but before the handshake would be trusted as if encrypted
  // (CVE-2021-23214): refuse them.
  if (early.length > 0 || inbox.pendingBytes > 0) {
    throw violation('nothing after SSLRequest before the TLS handshake', 'more bytes');
  }
  socket.write(sslAccepted);
  const secure = new TLSSocket(socket, { isServer: true, secureContext });
  await new Promise<void>((resolve, reject) => {
    const fail = (err?: Error) => {
      secure.off('secure', done);
      // Nothing more can be said to a client whose TLS handshake failed: close it.
      secure.destroy();
      socket.destroy();
      reject(new AirlockError('ERR_PROTOCOL_VIOLATION', `TLS handshake failed: ${err?.message ?? 'closed'}`));
    };
    const done = () => {
      secure.off('error', fail).off('close', fail);
      resolve();
    };
    secure.once('secure', done).once('error', fail).once('close', fail);
  });
  secure.on('error', () => secure.destroy());
  inbox.attach(secure);
  return secure;
}

/**
 * Reads startup packets until a StartupMessage or CancelRequest; upgrades to TLS on SSLRequest.
 * Returns null when the client went away.
 */
export async function negotiateStartup(
  socket: Socket,
  inbox: ClientInbox,
  secureContext: SecureContext,
): Promise<ClientStart | null> {
  let current: ClientSocket = socket;
  let tls = false;
  for (;;) {
    const frame = await inbox.next();
    if (!frame) return null;
    const packet = decodeStartup(frame);
    switch (packet.name) {
      case 'sslRequest':
        if (tls) throw violation('a StartupMessage', 'a second SSLRequest');
        current = await upgradeToTls(socket, inbox, secureContext);
        tls = true;
        break;
      case 'gssEncRequest':
        current.write(sslRefused);
        break;
      case 'cancelRequest':
        return { kind: 'cancel', processId: packet.processId, secretKey: Buffer.from(packet.secretKey) };
      case 'startup':
        return { kind: 'session', socket: current, tls, startup: packet };
    }
  }
}

/** Values of `replication` that mean "no": anything else asks for a replication connection. */
const NOT_REPLICATION = new Set(['false', 'off', 'no', '0']);

/**
 * Refuses what Airlock does not relay, negotiates the protocol version, then asks for the password
 * (the Airlock token) in clear and returns it. Null when the client went away (libpq closes and
 * retries with a password when it had none).
 */
export async function requestPassword(
  socket: ClientSocket,
  inbox: ClientInbox,
  startup: StartupMessage,
): Promise<string | null> {
  const replication = startup.parameters.get('replication');
  if (replication !== undefined && !NOT_REPLICATION.has(replication.toLowerCase())) {
    throw new AirlockError('ERR_UNSUPPORTED', 'replication connection refused', {
      userMessage: 'replication connections are not supported through Airlock',
    });
  }
  const protocolOptions = [...startup.parameters.keys()].filter((name) => name.startsWith('_pq_.'));
  if (startup.minor > 0 || protocolOptions.length > 0) {
    // We speak 3.0 and no protocol extensions: say so, as PostgreSQL does, and carry on.
    socket.write(negotiateProtocolVersion(0, protocolOptions));
  }
  socket.write(authenticationCleartextPassword);
  const frame = await inbox.next();
  if (!frame) return null;
  if (frame.code !== FrontendCode.Password) {
    throw violation("a PasswordMessage ('p')", `'${String.fromCharCode(frame.code)}'`);
  }
  const message = decodeFrontend(frame);
  return message.name === 'password' ? decodePassword(message.body) : '';
}
