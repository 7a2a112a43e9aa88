/**
 * @module The control connection: Airlock's own session to a target, with the held credential, for
 * catalog lookups that masking needs. It is never a client's session, so a client's aborted
 * transaction, search_path or uncommitted DDL cannot change (or break) what the lookups see.
 * One query at a time (simple protocol, text results); idle connections close after a while.
 */
import type { Connection } from '../../../core/connection.js';
import { AirlockError } from '../../../core/errors.js';
import { BufferWriter } from '../../../wire/buffer-writer.js';
import { decodeBackend } from '../codec/backend-decoder.js';
import { BackendCode, FrontendCode } from '../codec/codes.js';
import type { Frame } from '../codec/messages.js';
import { terminate } from '../codec/serializer.js';
import { connectUpstream, type Upstream } from '../upstream.js';

/** Rows of one result set, every value as text (null for SQL NULL). */
export type ResultRows = (string | null)[][];

const writer = new BufferWriter(1024);

function queryMessage(text: string): Buffer {
  return writer.cstring(text).flush(FrontendCode.Query);
}

function failed(why: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_MASKING_FAILED', `masking catalog lookup failed: ${why}`, { cause });
}

/** A lazily opened, serialised control session to one target. */
export class ControlConnection {
  readonly #connection: Connection;
  readonly #password: () => string;
  readonly #timeoutMs: number;
  readonly #idleMs: number;
  #upstream: Promise<Upstream> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(
    connection: Connection,
    password: () => string,
    options: { timeoutMs?: number; idleMs?: number } = {},
  ) {
    this.#connection = connection;
    this.#password = password;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#idleMs = options.idleMs ?? 30_000;
  }

  /** Runs `sql` (one or more statements) and returns each result set's rows. */
  query(sql: string): Promise<ResultRows[]> {
    const run = this.#queue.then(() => this.#run(sql));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the connection (it reopens on the next query). */
  close(): void {
    clearTimeout(this.#idleTimer);
    const pending = this.#upstream;
    this.#upstream = undefined;
    void pending?.then(
      (u) => {
        if (!u.socket.destroyed) u.socket.end(terminate);
      },
      () => undefined,
    );
  }

  async #run(sql: string): Promise<ResultRows[]> {
    clearTimeout(this.#idleTimer);
    this.#upstream ??= connectUpstream(
      { connection: this.#connection, timeoutMs: this.#timeoutMs },
      this.#password(),
      [
        ['user', this.#connection.user],
        ['database', this.#connection.database],
        ['application_name', 'airlock-masking'],
      ],
    );
    let upstream: Upstream;
    try {
      upstream = await this.#upstream;
    } catch (err) {
      this.#upstream = undefined;
      throw failed('the control connection could not be opened', err);
    }
    upstream.detach();
    try {
      return await this.#exchange(upstream, sql);
    } catch (err) {
      // Whatever went wrong, the next lookup starts on a fresh connection.
      upstream.socket.destroy();
      this.#upstream = undefined;
      throw err instanceof AirlockError ? err : failed('the control connection failed', err);
    } finally {
      if (this.#upstream) {
        this.#idleTimer = setTimeout(() => this.close(), this.#idleMs);
        this.#idleTimer.unref();
      }
    }
  }

  #exchange(upstream: Upstream, sql: string): Promise<ResultRows[]> {
    const { socket, parser } = upstream;
    return new Promise<ResultRows[]>((resolve, reject) => {
      const sets: ResultRows[] = [];
      let current: ResultRows | undefined;
      let error: string | undefined;
      const timer = setTimeout(
        () => finish(failed(`no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      const finish = (err?: AirlockError) => {
        clearTimeout(timer);
        socket.off('data', onData).off('close', onClose).off('error', onError);
        socket.unref();
        if (err) reject(err);
        else resolve(sets);
      };
      const onFrame = (frame: Frame): void => {
        switch (frame.code) {
          case BackendCode.RowDescription:
            current = [];
            sets.push(current);
            return;
          case BackendCode.DataRow: {
            const message = decodeBackend(frame);
            if (message.name === 'dataRow' && current)
              current.push(message.values.map((v) => (v === null ? null : v.toString('utf8'))));
            return;
          }
          case BackendCode.ErrorResponse: {
            const message = decodeBackend(frame);
            if (message.name === 'errorResponse')
              error ??= `${message.fields.code} ${message.fields.message}`;
            return;
          }
          case BackendCode.ReadyForQuery:
            finish(error === undefined ? undefined : failed(error));
            return;
          default:
            return;
        }
      };
      const onData = (chunk: Buffer) => {
        try {
          parser.parse(chunk, onFrame);
        } catch (err) {
          finish(failed('the target sent an invalid message', err));
        }
      };
      const onClose = () => finish(failed('the target closed the control connection'));
      const onError = (err: Error) => finish(failed(err.message, err));
      socket.ref();
      socket.on('data', onData).on('close', onClose).on('error', onError);
      socket.resume();
      socket.write(queryMessage(sql));
    });
  }
}
