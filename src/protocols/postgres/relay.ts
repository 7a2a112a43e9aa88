/**
 * @module The relay: from an authenticated client and upstream to the end of the session. Each chunk
 * is handled synchronously: frames are framed with cursors, the few that matter are decoded, and
 * everything is forwarded as the original bytes in one write per chunk. Both directions respect
 * backpressure: a side stops being read while the other cannot take more.
 *
 * Audit before forward, batched: each client chunk runs inside an audit batch (`gate.beginAudit`) that
 * is committed, one journal write for all its `command` events, before the chunk's outbox is flushed
 * to the upstream. If that write fails nothing of the chunk is forwarded and the session ends with
 * FATAL 58030: the commands were already counted as forwarded by the session's state (a held batch's
 * Executes, prepared statements), so undoing them one by one could forward later what was never
 * journaled; closing the upstream also rolls back any open transaction, so nothing partial runs.
 *
 * Client → upstream: `CommandFlow` (commands.ts) decides what may pass. Upstream → client: forwarded
 * as is; CommandComplete, ErrorResponse, ReadyForQuery and friends feed the `ResultTracker` (audit
 * results) which also releases Airlock's own answers in order.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { Command, CommandResult } from '../../core/command.js';
import { AirlockError, toAirlockError } from '../../core/errors.js';
import type { Gate } from '../../core/gate.js';
import type { Session, SessionStats } from '../../core/session.js';
import { decodeBackend } from './codec/backend-decoder.js';
import { BackendCode } from './codec/codes.js';
import type { Frame } from './codec/messages.js';
import type { BackendParser, FrontendParser } from './codec/parser.js';
import { CommandFlow } from './commands.js';
import { toWireError } from './errors.js';
import { outgoingFrame } from './masking/rows.js';
import { frameOf, HOLD, type SessionMasking } from './masking/session.js';
import { TappedOutbox } from './masking/tap.js';
import { flushOutbox, Outbox } from './outbox.js';
import { ResultTracker } from './results.js';
import type { ClientSocket } from './startup.js';
import { readOnlyLost, unsafeReportedSetting } from './startup-guard.js';
import type { UpstreamSocket } from './upstream.js';

/** Builds a session's masking; `onReady` replays frames held for a catalog lookup. */
export type MaskingFactory = (onReady: (error?: AirlockError) => void) => SessionMasking;

/** Everything a relay needs. */
export interface RelayOptions {
  readonly gate: Gate;
  readonly session: Session;
  readonly clock: Clock;
  readonly log: Logger;
  readonly client: ClientSocket;
  readonly clientParser: FrontendParser;
  readonly upstream: UpstreamSocket;
  readonly upstreamParser: BackendParser;
  /** Transaction status of the upstream's first ReadyForQuery. */
  readonly initialStatus: number;
  /** Cap on the bytes of one held extended-protocol batch. */
  readonly maxBatchBytes: number;
  readonly stats: SessionStats;
  /** The connection masks responses (docs/masking.md); absent: the relay forwards them as is. */
  readonly masking?: MaskingFactory;
}

/** One session's relay. `run` resolves when both sockets are closed. */
export class Relay {
  readonly #o: RelayOptions;
  readonly #toUpstream: Outbox;
  readonly #toClient = new Outbox();
  readonly #masking: SessionMasking | undefined;
  readonly #tracker: ResultTracker;
  readonly #commands: CommandFlow;
  #clientPaused = false;
  #upstreamPaused = false;
  #closing = false;
  #clientTerminated = false;
  #upstreamFatal = false;
  #error: AirlockError | undefined;
  #resolve: ((error: AirlockError | undefined) => void) | undefined;
  #clientClosed = false;
  #upstreamClosed = false;

  constructor(options: RelayOptions) {
    this.#o = options;
    this.#masking = options.masking?.((err) => this.#onMaskingReady(err));
    this.#toUpstream = this.#masking ? new TappedOutbox(this.#masking.tap) : new Outbox();
    this.#tracker = new ResultTracker(
      {
        record: (command, result) => this.#record(command, result),
        emit: (bytes) => this.#toClient.addBytes(bytes),
      },
      options.clock,
      options.initialStatus,
    );
    const masking = this.#masking;
    this.#commands = new CommandFlow({
      ...options,
      tracker: this.#tracker,
      toUpstream: this.#toUpstream,
      ...(masking ? { maskingRefusal: (text: string) => masking.refusal(text) } : {}),
    });
  }

  #record(command: Command, result: CommandResult): void {
    this.#commands.onResult(command, result);
    this.#o.gate.recordResult(
      this.#o.session,
      command,
      this.#masking ? this.#masking.withCounts(result) : result,
    );
  }

  /** Relays until both sides are closed; resolves with the error that ended the session, if any. */
  run(earlyClient: readonly Frame[], earlyUpstream: readonly Frame[]): Promise<AirlockError | undefined> {
    const { client, upstream } = this.#o;
    const done = new Promise<AirlockError | undefined>((resolve) => {
      this.#resolve = resolve;
    });
    client.on('data', this.#onClientData).on('drain', this.#updateFlow).on('error', this.#onClientError);
    client.on('close', this.#onClientClose);
    upstream
      .on('data', this.#onUpstreamData)
      .on('drain', this.#updateFlow)
      .on('error', this.#onUpstreamError);
    upstream.on('close', this.#onUpstreamClose);
    // Resume first: 'data' fires on a later tick, and #flush below may pause a side again.
    client.resume();
    upstream.resume();
    if (client.destroyed) this.#onClientClose();
    if (upstream.destroyed) this.#onUpstreamClose();
    this.#guard(() => {
      for (const frame of earlyUpstream) this.#onUpstreamFrame(frame);
    });
    this.#handleClient(() => {
      for (const frame of earlyClient) this.#onClientFrame(frame);
    });
    return done;
  }

  /** Ends the session now, telling the client `err` (FATAL). */
  terminate(err: AirlockError): void {
    this.#fail(err, toWireError(err, 'FATAL'));
  }

  // ---- client → upstream ------------------------------------------------------------------

  readonly #onClientData = (chunk: Buffer): void => {
    if (this.#closing) return;
    this.#o.stats.bytesFromClient += chunk.length;
    this.#chunk = chunk;
    this.#handleClient(this.#parseClientChunk);
  };

  /** The chunk `#parseClientChunk` parses (a field, so no closure is allocated per chunk). */
  #chunk: Buffer | undefined;

  readonly #parseClientChunk = (): void => {
    const chunk = this.#chunk!;
    this.#chunk = undefined;
    this.#o.clientParser.parse(chunk, this.#onClientFrame);
  };

  /** Runs client-side work in one audit batch, writes it, and only then flushes the outboxes. */
  #handleClient(step: () => void): void {
    const gate = this.#o.gate;
    const mark = this.#tracker.mark();
    gate.beginAudit();
    try {
      this.#guard(step);
    } finally {
      const lost = gate.commitAudit();
      if (lost) this.#auditLost(lost, mark);
    }
    this.#flush();
  }

  /** The chunk's `command` events are not in the journal: forward none of it and end the session. */
  #auditLost(err: AirlockError, mark: number): void {
    // Its commands never reach the server, so they get no result events either.
    this.#tracker.dropFrom(mark);
    this.#fail(err, toWireError(err, 'FATAL'));
  }

  readonly #onClientFrame = (frame: Frame): void => {
    if (this.#closing) return;
    if (this.#commands.onFrame(frame)) {
      this.#clientTerminated = true;
      this.#closing = true;
    }
  };

  // ---- upstream → client ------------------------------------------------------------------

  readonly #onUpstreamData = (chunk: Buffer): void => {
    if (this.#upstreamClosed) return;
    this.#upstreamChunk = chunk;
    this.#guard(this.#parseUpstreamChunk, true);
    this.#flush();
  };

  #upstreamChunk: Buffer | undefined;

  readonly #parseUpstreamChunk = (): void => {
    const chunk = this.#upstreamChunk!;
    this.#upstreamChunk = undefined;
    this.#o.upstreamParser.parse(chunk, this.#onUpstreamFrame);
  };

  readonly #onUpstreamFrame = (frame: Frame): void => {
    const tracker = this.#tracker;
    let masked: Buffer | undefined;
    if (this.#masking) {
      if (this.#masking.holding) {
        this.#masking.hold(frame);
        return;
      }
      const rewritten = this.#masking.rewrite(frame);
      if (rewritten === HOLD) return;
      masked = rewritten;
    }
    switch (frame.code) {
      case BackendCode.DataRow:
        tracker.onDataRow();
        break;
      case BackendCode.CommandComplete: {
        const message = decodeBackend(frame);
        if (message.name === 'commandComplete') tracker.onCommandComplete(message.tag);
        break;
      }
      case BackendCode.EmptyQueryResponse:
        tracker.onEmptyQuery();
        break;
      case BackendCode.PortalSuspended:
        tracker.onPortalSuspended();
        break;
      case BackendCode.CopyInResponse:
        tracker.onCopyIn();
        break;
      case BackendCode.ErrorResponse: {
        // The audit trail gets the masked fields too (constraint errors quote values).
        const message = decodeBackend(masked ? frameOf(masked) : frame);
        if (message.name !== 'errorResponse') break;
        if (message.fields.severity === 'FATAL' || message.fields.severity === 'PANIC')
          this.#upstreamFatal = true;
        if (!tracker.onError(message.fields)) return;
        break;
      }
      case BackendCode.ParameterStatus: {
        const unsafe =
          unsafeReportedSetting(frame) ??
          (this.#o.session.access?.readOnly ? readOnlyLost(frame) : undefined);
        if (unsafe) {
          // Later statements would be read differently by the server than by the classifier.
          const err = new AirlockError('ERR_UNSAFE_SESSION_SETTING', unsafe, { userMessage: unsafe });
          this.#fail(err, toWireError(err, 'FATAL'));
          return;
        }
        break;
      }
      case BackendCode.ReadyForQuery: {
        const message = decodeBackend(frame);
        this.#toClient.addFrame(frame);
        if (message.name === 'readyForQuery') tracker.onReady(message.status);
        return;
      }
    }
    // Masked rows are framed over masking's slab, so a run of them leaves in one write.
    if (masked) this.#toClient.addFrame(outgoingFrame(masked));
    else this.#toClient.addFrame(frame);
  };

  /** A catalog lookup masking waited for is done: replay the held frames, or end on its failure. */
  #onMaskingReady(err: AirlockError | undefined): void {
    if (this.#upstreamClosed || this.#clientClosed) return;
    if (err) {
      this.#fail(err, toWireError(err, 'FATAL'));
      return;
    }
    const masking = this.#masking!;
    this.#guard(() => {
      for (const frame of masking.takeHeld()) this.#onUpstreamFrame(frame);
    }, true);
    this.#flush();
  }

  // ---- flow, errors and the end ------------------------------------------------------------

  /** Runs a parse step; a protocol violation ends the session with a FATAL error to the client. */
  #guard(step: () => void, fromUpstream = false): void {
    try {
      step();
    } catch (thrown) {
      const err = toAirlockError(thrown);
      if (fromUpstream && err.code === 'ERR_PROTOCOL_VIOLATION') {
        const upstreamErr = new AirlockError(
          'ERR_UPSTREAM_UNREACHABLE',
          `upstream sent an invalid message: ${err.message}`,
          {
            userMessage: 'the target database sent an invalid message; the session was closed',
          },
        );
        this.#fail(upstreamErr, toWireError(upstreamErr, 'FATAL'));
        return;
      }
      this.#fail(err, toWireError(err, 'FATAL'));
    }
  }

  #flush(): void {
    const { client, upstream, stats } = this.#o;
    if (!this.#upstreamClosed) flushOutbox(this.#toUpstream, upstream);
    else this.#toUpstream.clear();
    if (!this.#clientClosed) stats.bytesToClient += flushOutbox(this.#toClient, client);
    else this.#toClient.clear();
    if (this.#clientTerminated && !this.#upstreamClosed) {
      upstream.end();
      client.end();
    }
    this.#updateFlow();
  }

  /** Pauses a side whose peer cannot take more; resumes it once the peer drained. */
  readonly #updateFlow = (): void => {
    const { client, upstream } = this.#o;
    const clientMayRead = !upstream.writableNeedDrain && !client.writableNeedDrain;
    if (clientMayRead === this.#clientPaused) {
      this.#clientPaused = !clientMayRead;
      if (clientMayRead) client.resume();
      else client.pause();
    }
    const upstreamMayRead = !client.writableNeedDrain && !this.#masking?.holding;
    if (upstreamMayRead === this.#upstreamPaused) {
      this.#upstreamPaused = !upstreamMayRead;
      if (upstreamMayRead) upstream.resume();
      else upstream.pause();
    }
  };

  /** Ends the session on an error: tells the client, closes both sides. */
  #fail(err: AirlockError, wire: Buffer): void {
    if (this.#closing && this.#error) return;
    this.#error ??= err;
    this.#closing = true;
    this.#toClient.clear();
    this.#toUpstream.clear();
    const { client, upstream } = this.#o;
    upstream.destroy();
    if (!this.#clientClosed && client.writable) {
      this.#o.stats.bytesToClient += wire.length;
      client.end(wire);
      // A client that never reads must not keep the socket open.
      setTimeout(() => client.destroy(), 1000).unref();
    } else {
      client.destroy();
    }
  }

  readonly #onClientError = (err: Error): void => {
    this.#o.log.debug({ err: err.message }, 'client socket error');
    this.#o.client.destroy();
  };

  readonly #onUpstreamError = (err: Error): void => {
    this.#o.log.warn({ err: err.message }, 'upstream socket error');
    this.#o.upstream.destroy();
  };

  readonly #onClientClose = (): void => {
    if (this.#clientClosed) return;
    this.#clientClosed = true;
    this.#closing = true;
    this.#o.upstream.destroy();
    this.#maybeDone();
  };

  readonly #onUpstreamClose = (): void => {
    if (this.#upstreamClosed) return;
    this.#upstreamClosed = true;
    if (!this.#clientTerminated && !this.#closing) {
      const err = new AirlockError('ERR_UPSTREAM_UNREACHABLE', 'upstream closed the connection', {
        userMessage: 'the connection to the target database was lost',
      });
      // The server's own FATAL (e.g. an administrator's pg_terminate_backend) already reached the client.
      this.#fail(err, this.#upstreamFatal ? Buffer.alloc(0) : toWireError(err, 'FATAL'));
    } else if (!this.#clientClosed) {
      this.#o.client.end();
      setTimeout(() => this.#o.client.destroy(), 1000).unref();
    }
    this.#maybeDone();
  };

  #maybeDone(): void {
    if (!this.#clientClosed || !this.#upstreamClosed) return;
    this.#tracker.abandon('the session ended before the target answered');
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(this.#error);
  }
}
