/**
 * @module Client → upstream: which client messages may reach the target. Every Query and
 * FunctionCall becomes one Command that `gate.checkCommand` decides and journals before it is
 * forwarded; a refusal is answered by Airlock (ErrorResponse, then ReadyForQuery) and nothing is
 * forwarded.
 *
 * Extended-protocol messages are held until the batch boundary (Sync or Flush). Parse is decided early
 * (`gate.decide`), each Execute is checked and journaled. The batch is all or nothing because
 * PostgreSQL runs the messages up to a Sync as one implicit transaction: forwarding the allowed part of
 * a batch would commit work the client is told failed. A refused batch is dropped whole, and, as the
 * server does after an error, Airlock then discards messages until the next Sync.
 *
 * A read-only session (docs/reviews.md) must learn of a mode switch hidden in a function, which the
 * target reports (ParameterStatus) just before its next ReadyForQuery, before anything else runs: so
 * it forwards nothing new while a ReadyForQuery is owed (pipelined client messages wait, in order),
 * and refuses any statement sent after a transaction end (COMMIT, ROLLBACK...) before the Sync.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Command, CommandResult } from '../../core/command.js';
import type { Decision, Deny, Hold } from '../../core/decision.js';
import { AirlockError } from '../../core/errors.js';
import type { Gate } from '../../core/gate.js';
import { afterTransactionEnd, endsTransaction } from '../../core/read-only.js';
import type { Session, SessionStats } from '../../core/session.js';
import {
  auditBind,
  auditExecute,
  auditFunctionCall,
  auditParse,
  auditQuery,
  unknownPortalText,
} from './audit.js';
import { FrontendCode } from './codec/codes.js';
import { decodeFrontend } from './codec/frontend-decoder.js';
import type { Frame } from './codec/messages.js';
import { execute, flush as flushMessage, sync as syncMessage } from './codec/serializer.js';
import { toWireError } from './errors.js';
import { holdNotice } from './hold.js';
import { Outbox } from './outbox.js';
import { PreparedState } from './prepared.js';
import type { ResultTracker } from './results.js';
import { SqlPreparedNames } from './sql-prepared.js';
import type { ClientSocket } from './startup.js';

/** What the command flow needs from its session. */
export interface CommandFlowOptions {
  readonly gate: Gate;
  readonly session: Session;
  readonly clock: Clock;
  readonly stats: SessionStats;
  /** Cap on the bytes of one held extended-protocol batch. */
  readonly maxBatchBytes: number;
  readonly tracker: ResultTracker;
  /** Where forwarded bytes go, in order. */
  readonly toUpstream: Outbox;
  /**
   * The client socket (the relay passes its options through). Used only while a statement is held
   * for approval: paused, told the notice, and nudged to flush once the hold ends.
   */
  readonly client?: ClientSocket;
  /** Masking's refusal of a statement text (docs/masking.md), journaled in place of the policy's answer. */
  readonly maskingRefusal?: (text: string) => Deny | undefined;
}

/** An empty chunk: handing it to the relay's data handler makes it flush what a hold produced. */
const NUDGE = Buffer.alloc(0);

/** How a client learns its batch was not forwarded. */
const NOT_FORWARDED = 'not forwarded: another statement of the same batch was refused';

/** One session's client → upstream decisions. */
export class CommandFlow {
  readonly #o: CommandFlowOptions;
  readonly #toUpstream: Outbox;
  readonly #tracker: ResultTracker;
  readonly #batch = new Outbox();
  readonly #prepared = new PreparedState();
  readonly #sqlPrepared = new SqlPreparedNames();
  /** Executes checked in the open batch, forwarded (or not) with it. */
  #batchCommands: Command[] = [];
  #batchDenial: AirlockError | undefined;
  #batchMessages = 0;
  /** After a refused batch without Sync: drop client messages until Sync, as the server would. */
  #discarding = false;
  /** The refusal was handed to the server (probe): the ending Sync must reach it too. */
  #discardForwardsSync = false;
  /** Extended messages were forwarded since the last Sync: the server holds an open implicit transaction. */
  #unsynced = false;
  /** Read-only session: the scope name, for refusals. Undefined: the session may write. */
  readonly #readOnlyScope: string | undefined;
  /** Read-only session: an Execute that ends a transaction was let through since the last Sync. */
  #transactionEnded = false;
  /** A portal name no client can have created; see `#refuse`. */
  readonly #probePortal = `airlock_refused_${randomBytes(12).toString('hex')}`;
  #nextCommandId = 1;
  /** Executes of the open batch held for approval (decided at the batch boundary). */
  #batchHolds: { readonly command: Command; readonly hold: Hold }[] = [];
  /** While a statement is held: client frames that arrived meanwhile, replayed in order after. */
  #suspended: Frame[] | undefined;
  #suspendedBytes = 0;
  readonly #abort = new AbortController();

  constructor(options: CommandFlowOptions) {
    this.#o = options;
    this.#toUpstream = options.toUpstream;
    this.#tracker = options.tracker;
    const access = options.session.access;
    this.#readOnlyScope = access?.readOnly ? access.scope : undefined;
    // A held statement stops waiting when its client goes.
    options.client?.once('close', () => this.#abort.abort());
  }

  /** Handles one client frame; returns true when it was Terminate (the session is ending). */
  onFrame(frame: Frame): boolean {
    if (this.#suspended) {
      this.#suspendedBytes += frame.raw.length;
      if (this.#suspendedBytes > this.#o.maxBatchBytes) {
        throw new AirlockError(
          'ERR_PROTOCOL_VIOLATION',
          `expected at most ${this.#o.maxBatchBytes} bytes while a statement waits for approval, received more`,
        );
      }
      this.#suspended.push(frame.detach());
      return false;
    }
    if (
      this.#readOnlyScope !== undefined &&
      this.#batchMessages === 0 &&
      frame.code !== FrontendCode.Terminate &&
      this.#tracker.awaitingReady
    ) {
      // The answer still owed may carry a mode switch that must end the session first.
      this.#suspend(() => this.#tracker.whenReady());
      return this.onFrame(frame);
    }
    switch (frame.code) {
      case FrontendCode.Terminate:
        this.#terminateRequested(frame);
        return true;
      case FrontendCode.Query:
      case FrontendCode.FunctionCall:
        // Like the server, treat a simple message after unsynced extended ones as their boundary.
        if (this.#batchMessages > 0) this.#finishBatch(false);
        if (!this.#discarding) this.#simple(frame);
        return false;
      case FrontendCode.Sync:
        this.#transactionEnded = false;
        if (this.#discarding) {
          this.#endDiscard();
          return false;
        }
        if (this.#tracker.copyIn && this.#batchMessages === 0) {
          // Ignored by the server during COPY FROM STDIN (clients may send it blindly): no answer due.
          this.#toUpstream.addFrame(frame);
          return false;
        }
        this.#hold(frame);
        this.#finishBatch(true);
        return false;
      case FrontendCode.Flush:
        if (this.#discarding) return false;
        this.#hold(frame);
        this.#finishBatch(false);
        return false;
      case FrontendCode.Parse:
        if (!this.#discarding) this.#parse(frame);
        return false;
      case FrontendCode.Bind:
        if (!this.#discarding) this.#bind(frame);
        return false;
      case FrontendCode.Execute:
        if (!this.#discarding) this.#execute(frame);
        return false;
      case FrontendCode.Close: {
        if (this.#discarding) return false;
        const message = decodeFrontend(frame);
        if (message.name === 'close') this.#prepared.close(message.kind, message.target);
        this.#hold(frame);
        return false;
      }
      case FrontendCode.Describe:
        // Part of the batch: its answer must come before any refusal of the same batch.
        if (!this.#discarding) this.#hold(frame);
        return false;
      case FrontendCode.CopyDone:
      case FrontendCode.CopyFail:
        this.#tracker.copyEnded();
        if (this.#discarding) return false;
        if (this.#batchMessages > 0) this.#hold(frame);
        else this.#toUpstream.addFrame(frame);
        return false;
      default:
        // COPY data and stray messages: forwarded in order, behind an open batch if there is one.
        if (this.#discarding) return false;
        if (this.#batchMessages > 0) this.#hold(frame);
        else this.#toUpstream.addFrame(frame);
        return false;
    }
  }

  #simple(frame: Frame): void {
    const message = decodeFrontend(frame);
    let command: Command;
    if (message.name === 'query')
      command = auditQuery(this.#nextCommandId++, message.text, this.#sqlLookup());
    else if (message.name === 'functionCall') command = auditFunctionCall(this.#nextCommandId++, message);
    else return;
    // Like a Sync, a simple message ends the pipeline (its refusal comes with a ReadyForQuery).
    const refusal =
      this.#afterTransactionEnd() ??
      (message.name === 'query' ? this.#o.maskingRefusal?.(message.text) : undefined);
    this.#transactionEnded = false;
    const decision = this.#check(command, refusal);
    if (decision.outcome === 'deny') {
      this.#refuse(decision.error, true);
      return;
    }
    if (decision.outcome === 'hold') {
      const copy = frame.detach();
      this.#suspend(async () => {
        const final = await this.#approve(command, decision);
        if (final.outcome === 'deny') this.#refuse(final.error, true);
        else this.#forwardSimple(copy, command);
      });
      return;
    }
    this.#forwardSimple(frame, command);
  }

  #forwardSimple(frame: Frame, command: Command): void {
    this.#toUpstream.addFrame(frame);
    this.#sqlPrepared.onForwarded(command);
    this.#tracker.push({ kind: 'simple', command, startedMs: this.#o.clock.nowMs() });
    this.#unsynced = false;
  }

  #parse(frame: Frame): void {
    const message = decodeFrontend(frame);
    if (message.name !== 'parse') return;
    if (!this.#batchDenial) {
      const command = auditParse(this.#nextCommandId++, message.text, this.#sqlLookup());
      const refusal = this.#o.maskingRefusal?.(message.text);
      const decision = refusal ?? this.#o.gate.decide(this.#o.session, command);
      if (decision.outcome === 'deny') {
        // decide() journals nothing; a refused statement must still show in the audit trail.
        this.#check(command, refusal);
        this.#batchDenial = decision.error;
      }
    }
    this.#prepared.parse(message.statement, message.text);
    this.#hold(frame);
  }

  #bind(frame: Frame): void {
    const message = decodeFrontend(frame);
    if (message.name !== 'bind') return;
    const text =
      this.#prepared.statementText(message.statement) ?? unknownPortalText('statement', message.statement);
    this.#prepared.bind(message.portal, { text, parameters: auditBind(message) });
    this.#hold(frame);
  }

  #execute(frame: Frame): void {
    const message = decodeFrontend(frame);
    if (message.name !== 'execute') return;
    if (!this.#batchDenial) {
      const portal = this.#prepared.portal(message.portal) ?? {
        text: unknownPortalText('portal', message.portal),
        parameters: [],
      };
      const command = auditExecute(this.#nextCommandId++, portal, this.#sqlLookup());
      const refusal = this.#afterTransactionEnd() ?? this.#o.maskingRefusal?.(portal.text);
      const decision = this.#check(command, refusal);
      if (decision.outcome === 'deny') this.#batchDenial = decision.error;
      else {
        if (this.#readOnlyScope !== undefined && endsTransaction(command)) this.#transactionEnded = true;
        this.#batchCommands.push(command);
        if (decision.outcome === 'hold') this.#batchHolds.push({ command, hold: decision });
      }
    }
    this.#hold(frame);
  }

  /**
   * In a read-only session, the refusal of a statement sent after a transaction end before the Sync:
   * the next transaction would start with a mode the target reports only at that Sync. Like any
   * refusal in a batch, it drops the batch and the server's skip-until-Sync follows.
   */
  #afterTransactionEnd(): Deny | undefined {
    const scope = this.#readOnlyScope;
    if (scope === undefined || !this.#transactionEnded) return undefined;
    return { outcome: 'deny', rule: `scope:${scope}`, error: afterTransactionEnd(scope) };
  }

  /** Adds a frame to the open batch (bytes only while the batch can still be forwarded). */
  #hold(frame: Frame): void {
    this.#batchMessages++;
    if (this.#batchDenial) return;
    this.#batch.addFrame(frame);
    if (this.#batch.byteLength > this.#o.maxBatchBytes) {
      throw new AirlockError(
        'ERR_PROTOCOL_VIOLATION',
        `expected a Sync or Flush within ${this.#o.maxBatchBytes} bytes of extended-protocol messages, received more`,
      );
    }
  }

  /** Forwards the open batch whole, or refuses it whole; first waits for its held Executes. */
  #finishBatch(endsWithSync: boolean): void {
    const holds = this.#batchHolds;
    this.#batchHolds = [];
    if (holds.length === 0 || this.#batchDenial) {
      this.#settleBatch(endsWithSync);
      return;
    }
    this.#suspend(async () => {
      for (const { command, hold } of holds) {
        const final = await this.#approve(command, hold);
        if (final.outcome === 'deny') {
          this.#batchDenial ??= final.error;
          break;
        }
      }
      this.#settleBatch(endsWithSync);
    });
  }

  /**
   * Holds the flow while `work` waits for an approver: later client frames queue (copied, bounded),
   * the client is paused, and once `work` ran they are replayed in order and the relay flushes.
   */
  #suspend(work: () => Promise<void>): void {
    this.#suspended = [];
    this.#suspendedBytes = 0;
    const client = this.#o.client;
    client?.pause();
    void work()
      .catch(() => {
        // awaitApproval never rejects; the session ends if anything else failed.
        client?.destroy();
      })
      .finally(() => {
        const queued = this.#suspended ?? [];
        this.#suspended = undefined;
        // The relay already ended the session (its last word to the client is out): what waited
        // never reaches the gate, so the journal shows no statement that was never run.
        if (client && (client.destroyed || client.writableEnded)) return;
        for (let i = 0; i < queued.length; i++) {
          if (this.#suspended) {
            (this.#suspended as Frame[]).push(...queued.slice(i));
            break;
          }
          // A queued Terminate: the client is leaving; closing its side ends the relay cleanly.
          if (this.onFrame(queued[i]!)) client?.destroy();
        }
        if (client && !client.destroyed) {
          client.emit('data', NUDGE);
          if (!this.#suspended) client.resume();
        }
      });
  }

  /** Asks the gate to hold `command` for approval, telling the client which request waits. */
  #approve(command: Command, hold: Hold): Promise<Decision> {
    const client = this.#o.client;
    const notify = (text: string) => {
      if (!client || client.destroyed) return;
      const bytes = holdNotice(text);
      this.#o.stats.bytesToClient += bytes.length;
      client.write(bytes);
    };
    return this.#o.gate.awaitApproval(this.#o.session, command, hold, notify, this.#abort.signal);
  }

  #settleBatch(endsWithSync: boolean): void {
    const denial = this.#batchDenial;
    const commands = this.#batchCommands;
    const hadWork = this.#batchMessages > (endsWithSync ? 1 : 0);
    this.#batchCommands = [];
    this.#batchDenial = undefined;
    this.#batchMessages = 0;
    if (denial) {
      this.#batch.clear();
      this.#prepared.rollback();
      for (const command of commands) {
        this.#record(command, {
          outcome: 'error',
          durationMs: 0,
          errorCode: denial.entry.sqlstate,
          errorMessage: NOT_FORWARDED,
        });
      }
      this.#refuse(denial, endsWithSync);
      return;
    }
    this.#prepared.commit();
    const startedMs = this.#o.clock.nowMs();
    for (const command of commands) {
      this.#sqlPrepared.onForwarded(command);
      this.#tracker.push({ kind: 'execute', command, startedMs });
    }
    this.#batch.moveTo(this.#toUpstream);
    if (endsWithSync) {
      this.#tracker.push({ kind: 'sync' });
      this.#unsynced = false;
    } else if (hadWork) {
      this.#unsynced = true;
    }
  }

  /**
   * Tells the client `error` (ERROR) for a refused query or batch; `withSync` = the refused part ended
   * with a Sync (or was a simple query), so a ReadyForQuery follows. When the server holds an open
   * implicit transaction (extended messages forwarded since the last Sync), it must fail too, or work
   * the client now believes failed would commit at the next Sync: Airlock sends an Execute of a portal
   * that cannot exist (the server raises 34000 and aborts the transaction) and replaces that error with
   * its own. Otherwise the refusal is Airlock's alone, released after what is already in flight.
   */
  #refuse(error: AirlockError, withSync: boolean): void {
    const wire = toWireError(error, 'ERROR');
    if (this.#unsynced) {
      this.#toUpstream.addBytes(execute(this.#probePortal));
      this.#tracker.push({ kind: 'probe', error: wire });
      if (withSync) {
        this.#toUpstream.addBytes(syncMessage);
        this.#tracker.push({ kind: 'sync' });
        this.#unsynced = false;
      } else {
        this.#toUpstream.addBytes(flushMessage);
        this.#discarding = true;
        this.#discardForwardsSync = true;
      }
      return;
    }
    this.#tracker.refuse(wire, withSync);
    if (!withSync) {
      this.#discarding = true;
      this.#discardForwardsSync = false;
    }
  }

  /** The Sync that ends a refused batch's discard phase. */
  #endDiscard(): void {
    this.#discarding = false;
    if (this.#discardForwardsSync) {
      this.#toUpstream.addBytes(syncMessage);
      this.#tracker.push({ kind: 'sync' });
      this.#unsynced = false;
    } else {
      this.#tracker.refuse(undefined, true);
    }
  }

  #terminateRequested(frame: Frame): void {
    for (const command of this.#batchCommands) {
      this.#record(command, {
        outcome: 'error',
        durationMs: 0,
        errorMessage: 'not forwarded: the client ended the session',
      });
    }
    this.#batchCommands = [];
    this.#batch.clear();
    this.#toUpstream.addFrame(frame);
  }

  /** A forwarded command ended at the server (called by the relay for every result it records). */
  onResult(command: Command, result: CommandResult): void {
    this.#sqlPrepared.onResult(command, result);
  }

  /** The session's SQL-level prepared names, when there are any (else the text cache answers alone). */
  #sqlLookup() {
    return this.#sqlPrepared.isEmpty ? undefined : this.#sqlPrepared.lookup;
  }

  #check(command: Command, refusal?: Deny): Decision {
    this.#o.stats.statements++;
    return this.#o.gate.checkCommand(this.#o.session, command, refusal);
  }

  #record(command: Command, result: CommandResult): void {
    this.#o.gate.recordResult(this.#o.session, command, result);
  }
}
