/**
 * @module A bare-bones PostgreSQL client for tests that need exact control of the bytes: pipelining
 * several batches in one write, sending garbage, CancelRequests. Startup with a cleartext password
 * (what Airlock asks for), then `send` raw frames and `until` a message arrives.
 */
import { connect, type Socket } from 'node:net';
import { decodeBackend } from '../codec/backend-decoder.js';
import type { BackendMessage } from '../codec/messages.js';
import { BackendParser } from '../codec/parser.js';
import { frontend } from './builders.js';

/** A connected raw client collecting every decoded server message. */
export class RawClient {
  readonly socket: Socket;
  readonly messages: BackendMessage[] = [];
  /** Every byte the server sent, for scanning. */
  readonly received: Buffer[] = [];
  closed = false;
  readonly #parser = new BackendParser();
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received.push(Buffer.from(chunk));
      try {
        this.#parser.parse(chunk, (frame) => {
          const copy = frame.detach();
          this.messages.push(decodeBackend(copy));
        });
      } catch {
        socket.destroy();
      }
      this.#notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
  }

  /** Opens a TCP connection without sending anything. */
  static open(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and authenticates with `password`; resolves after the first ReadyForQuery. */
  static async login(
    port: number,
    database: string,
    password: string,
    extra: Record<string, string> = {},
  ): Promise<RawClient> {
    const client = await RawClient.open(port);
    client.send(frontend.startup({ user: 'raw', database, ...extra }));
    await client.until((m) => m.name === 'authentication' || m.name === 'errorResponse');
    client.send(frontend.password(password));
    await client.until((m) => m.name === 'readyForQuery' || m.name === 'errorResponse');
    return client;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** Waits for a message matching `predicate` received after index `from`; returns it. */
  async until(
    predicate: (message: BackendMessage) => boolean,
    from = 0,
    timeoutMs = 5000,
  ): Promise<BackendMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      if (this.closed)
        throw new Error(`connection closed; messages: ${this.messages.map((m) => m.name).join(',')}`);
      if (Date.now() > deadline)
        throw new Error(`timed out; messages: ${this.messages.map((m) => m.name).join(',')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits until `count` ReadyForQuery messages arrived after index `from`; returns the messages since. */
  async readyCount(count: number, from = 0, timeoutMs = 5000): Promise<BackendMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const since = this.messages.slice(from);
      if (since.filter((m) => m.name === 'readyForQuery').length >= count) return since;
      if (this.closed || Date.now() > deadline) {
        throw new Error(`expected ${count} ReadyForQuery; got ${since.map((m) => m.name).join(',')}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits for the server to close the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('server did not close the connection');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    if (!this.closed) this.socket.end(frontend.terminate());
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
