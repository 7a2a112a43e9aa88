/**
 * @module One session's masking: the refusal check for each statement (before the gate journals it),
 * and the rewriting of everything the upstream sends back. The messages forwarded upstream are tapped
 * (after Airlock's own decisions, probes and Syncs included) to keep a FIFO of what each answer
 * belongs to: the statement of a simple Query, a Describe of a statement or portal, an Execute of a
 * portal with its Bind's result formats. A DataRow whose shape is not known is never sent.
 *
 * Column origins come from the catalog snapshot; when it is stale or a RowDescription names a newer
 * relation, the session holds the upstream's frames (copies), refreshes it, and replays them.
 *
 * This file wires the parts together and dispatches each message: the FIFO itself is in
 * `pending-answers.ts`, the statement, portal, cursor and prepared names in `statement-names.ts`, the
 * rules in force (and their analyses) in `rules-in-force.ts`, reload detection in `reload-follower.ts`,
 * and the row and COPY plans in `result-plans.ts`.
 */
import type { CommandResult } from '../../../core/command.js';
import type { Deny } from '../../../core/decision.js';
import { AirlockError, toAirlockError } from '../../../core/errors.js';
import { decodeBackend } from '../codec/backend-decoder.js';
import { BackendCode, FrontendCode } from '../codec/codes.js';
import { decodeFrontend } from '../codec/frontend-decoder.js';
import { Frame } from '../codec/messages.js';
import { FrontendParser } from '../codec/parser.js';
import type { CatalogSnapshot } from './catalog.js';
import { MaskCounts } from './counts.js';
import type { LiveRules, MaskingRules } from './live-rules.js';
import { type InFlight, rewriteNotice, rewriteNotification } from './notices.js';
import { type Entry, PendingAnswers } from './pending-answers.js';
import { ReloadFollower } from './reload-follower.js';
import { ResultPlans, type Rewrite } from './result-plans.js';
import { RulesInForce } from './rules-in-force.js';
import { type Definition, StatementNames } from './statement-names.js';

export { HOLD, type Rewrite } from './result-plans.js';

/** Tags of DDL whose completion may change which relations hold or read masked data. */
const DDL_TAG = /^(CREATE|ALTER|DROP|DO|CALL|COMMENT|GRANT|REVOKE|IMPORT|SELECT INTO|REFRESH)\b/;

export type { LiveRules, MaskingRules } from './live-rules.js';
export { NO_MASKING } from './live-rules.js';

export interface SessionMaskingOptions extends MaskingRules {
  /** Called when held frames may be replayed (or with the error that ends the session). */
  readonly onReady: (error?: AirlockError) => void;
  /** Follow config reloads (absent: the rules above for the whole session). */
  readonly live?: LiveRules;
}

export class SessionMasking {
  readonly #o: SessionMaskingOptions;
  readonly #counts = new MaskCounts();
  /** The masking rules in force and what is derived from them (replaced whole on a reload). */
  #rules: RulesInForce;
  readonly #reload: ReloadFollower;
  readonly #tap = new FrontendParser({ phase: 'tagged' });
  readonly #pending = new PendingAnswers();
  readonly #names = new StatementNames();
  readonly #plans: ResultPlans;
  #held: Frame[] = [];
  #holding = false;

  constructor(options: SessionMaskingOptions) {
    this.#o = options;
    this.#rules = new RulesInForce(options, this.#counts, 0);
    this.#reload = new ReloadFollower(options.live, options);
    this.#plans = new ResultPlans(this.#rules, this.#pending, this.#names, (frame, oids) =>
      this.#freshSnapshot(frame, oids),
    );
  }

  /**
   * Follows a config reload before a statement: a replaced definition of the connection with other
   * masking rules puts them in force now. Their catalog is read in the background; until it is in,
   * analysis counts every relation as masked (`RulesInForce.analyze`) and rows wait for it
   * (`#freshSnapshot`). A refusal when the new rules cannot be built: the statement is not run with
   * rules it should not have.
   */
  #follow(): Deny | undefined {
    const outcome = this.#reload.check();
    if (!outcome) return undefined;
    if ('deny' in outcome) return outcome.deny;
    const { rules } = outcome;
    // Puts the rules in force: what every later statement is checked and masked with.
    this.#rules = new RulesInForce(rules, this.#counts, this.#rules.generation + 1);
    this.#plans.rules = this.#rules;
    if (this.#rules.masksColumns && !rules.catalog.fresh()) {
      // Failures surface where the snapshot is needed (a held RowDescription ends the session).
      rules.catalog.refresh().catch(() => {});
    }
    return undefined;
  }

  /** Frames are being held for a catalog lookup: stop reading the upstream. */
  get holding(): boolean {
    return this.#holding;
  }

  // ---- client → upstream ------------------------------------------------------------------

  /** A masking refusal for `text`, as the gate's Deny, or undefined. */
  refusal(text: string): Deny | undefined {
    const stale = this.#follow();
    if (stale) return stale;
    const analysis = this.#rules.analyze(text, this.#rules.catalog.snapshot);
    const refusal = analysis.refusal;
    if (!refusal) return undefined;
    const userMessage = `blocked by airlock: ${refusal.rule}: ${refusal.reason}`;
    return {
      outcome: 'deny',
      rule: refusal.rule,
      error: new AirlockError('ERR_POLICY_DENIED', userMessage, {
        userMessage,
        detail: `rule: ${refusal.rule}`,
      }),
    };
  }

  /** Bytes just queued for the upstream (whole messages): tracked to know what each answer belongs to. */
  readonly tap = (bytes: Buffer): void => {
    this.#tap.parse(bytes, this.#onFrontend);
  };

  readonly #onFrontend = (frame: Frame): void => {
    if (!this.#pending.admits(frame.code)) return;
    switch (frame.code) {
      case FrontendCode.Query: {
        const m = decodeFrontend(frame);
        if (m.name !== 'query') return;
        this.#pending.push({
          kind: 'query',
          text: m.text,
          index: 0,
          definitions: this.#noteDefinitions(m.text),
        });
        return;
      }
      case FrontendCode.Parse: {
        const m = decodeFrontend(frame);
        if (m.name !== 'parse') return;
        const { previous, previousPlan } = this.#names.parse(m.statement, m.text);
        this.#pending.push({ kind: 'parse', text: m.text, statement: m.statement, previous, previousPlan });
        return;
      }
      case FrontendCode.Bind: {
        const m = decodeFrontend(frame);
        if (m.name !== 'bind') return;
        const { text, previous } = this.#names.bind(m.portal, m.statement, m.resultFormats);
        this.#pending.push({ kind: 'bind', text, portal: m.portal, previous });
        return;
      }
      case FrontendCode.Describe: {
        const m = decodeFrontend(frame);
        if (m.name === 'describe') this.#pending.push({ kind: 'describe', target: m.kind, name: m.target });
        return;
      }
      case FrontendCode.Execute: {
        const m = decodeFrontend(frame);
        if (m.name !== 'execute') return;
        // A portal of DECLARE or PREPARE defines its cursor or statement when it runs.
        const text = this.#names.portals.get(m.portal)?.text;
        const definitions = text ? this.#noteDefinitions(text) : [];
        this.#pending.push({ kind: 'execute', portal: m.portal, definitions });
        return;
      }
      case FrontendCode.Close:
        this.#pending.push({ kind: 'close' });
        return;
      case FrontendCode.Sync:
        this.#pending.push({ kind: 'sync' });
        return;
      default:
        return;
    }
  };

  /** Cursors and SQL prepared statements `text` defines (`StatementNames.noteDefinitions`). */
  #noteDefinitions(text: string): Definition[] {
    return this.#names.noteDefinitions(this.#rules.analyze(text, this.#rules.catalog.snapshot));
  }

  // ---- upstream → client ------------------------------------------------------------------

  /** Copies `frame` while a lookup runs. */
  hold(frame: Frame): void {
    this.#held.push(frame.detach());
  }

  /** The held frames, in order, to replay now. */
  takeHeld(): Frame[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  /** Rewrites one upstream frame: new bytes, undefined (forward as is) or HOLD (held; replayed later). */
  rewrite(frame: Frame): Rewrite {
    try {
      return this.#rewrite(frame);
    } catch (err) {
      // Whatever failed, the message is not sent: the relay ends the session with this error.
      const cause = toAirlockError(err, 'ERR_MASKING_FAILED');
      throw cause.code === 'ERR_MASKING_FAILED'
        ? cause
        : new AirlockError('ERR_MASKING_FAILED', `masking failed: ${cause.message}`, { cause });
    }
  }

  #rewrite(frame: Frame): Rewrite {
    const lost = this.#pending.lost;
    if (lost)
      throw new AirlockError(
        'ERR_MASKING_FAILED',
        `masking cannot tell which statement this answer belongs to: ${lost}`,
      );
    switch (frame.code) {
      case BackendCode.DataRow:
        return this.#plans.dataRow(frame);
      case BackendCode.RowDescription:
        return this.#plans.rowDescription(frame);
      case BackendCode.CopyData:
        return this.#plans.copyData(frame);
      case BackendCode.CommandComplete: {
        const m = decodeBackend(frame);
        if (m.name === 'commandComplete' && DDL_TAG.test(m.tag)) this.#rules.catalog.invalidate();
        this.#endResult();
        return undefined;
      }
      case BackendCode.EmptyQueryResponse:
        this.#endResult();
        return undefined;
      case BackendCode.PortalSuspended:
        if (this.#peek()?.kind === 'execute') this.#shift();
        return undefined;
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
        this.#shift();
        return undefined;
      case BackendCode.NoData:
        if (this.#peek()?.kind === 'describe') this.#shift();
        return undefined;
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyBothResponse:
        return this.#plans.copyOut(frame);
      case BackendCode.CopyInResponse:
        this.#pending.onCopyIn();
        return undefined;
      case BackendCode.CopyDone:
        this.#plans.endCopyOut();
        return undefined;
      case BackendCode.ErrorResponse: {
        // Which statement failed is known only before the FIFO skips to the Sync.
        const inflight = this.#inFlight();
        this.#onError();
        return this.#notice(frame, inflight);
      }
      case BackendCode.NoticeResponse:
        return this.#notice(frame, this.#inFlight());
      case BackendCode.NotificationResponse: {
        const m = decodeBackend(frame);
        if (m.name !== 'notificationResponse') return undefined;
        return rewriteNotification(m.processId, m.channel, m.payload, this.#rules.notices);
      }
      case BackendCode.FunctionCallResponse:
        // FunctionCall is always refused; a result would be unmasked.
        throw new AirlockError(
          'ERR_MASKING_FAILED',
          'unexpected FunctionCallResponse on a masked connection',
        );
      case BackendCode.ReadyForQuery:
        this.#onReady();
        return undefined;
      default:
        return undefined;
    }
  }

  /** Adds the counts since the last result to `result` (per command, in answer order). */
  withCounts(result: CommandResult): CommandResult {
    const masked = this.#counts.take();
    return masked ? { ...result, masked } : result;
  }

  close(): void {
    this.#held = [];
  }

  // ---- the FIFO ---------------------------------------------------------------------------

  #peek(): Entry | undefined {
    return this.#pending.peek();
  }

  #shift(): void {
    this.#pending.shift();
  }

  #endResult(): void {
    this.#plans.endResult();
    // A COPY FROM STDIN that was running has ended on the upstream's side.
    this.#pending.endCopyIn();
    const head = this.#peek();
    if (head?.kind === 'query') {
      this.#names.define(head.definitions, head.index);
      head.index++;
    } else if (head?.kind === 'execute') {
      this.#names.define(head.definitions, 0);
      this.#shift();
    }
  }

  #onError(): void {
    this.#plans.endResult();
    // The failed message and the ignored ones did nothing: a name a Parse or Bind among them took
    // keeps what it held (newest restored last).
    for (const e of this.#pending.skipFailed()) {
      if (e.kind === 'parse') this.#names.undoParse(e.statement, e.previous, e.previousPlan);
      else if (e.kind === 'bind') this.#names.undoBind(e.portal, e.previous);
    }
  }

  #onReady(): void {
    this.#plans.endResult();
    this.#pending.skipThroughReady();
  }

  // ---- the catalog snapshot ---------------------------------------------------------------

  /** The snapshot to decide with now, or undefined after starting a refresh (the frame is held). */
  #freshSnapshot(frame: Frame, oids: readonly number[]): CatalogSnapshot | undefined {
    const snapshot = this.#rules.catalog.fresh();
    if (snapshot && oids.every((oid) => oid <= snapshot.maxOid)) return snapshot;
    this.hold(frame);
    this.#holding = true;
    this.#rules.catalog.refresh().then(
      () => {
        this.#holding = false;
        this.#o.onReady();
      },
      (err: unknown) => {
        this.#holding = false;
        this.#o.onReady(toAirlockError(err, 'ERR_MASKING_FAILED'));
      },
    );
    return undefined;
  }

  // ---- errors and notices ----------------------------------------------------------------

  #notice(frame: Frame, inflight: InFlight | undefined): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'errorResponse' && m.name !== 'noticeResponse') return undefined;
    return rewriteNotice(frame.code, m.fields.all, this.#rules.notices, inflight);
  }

  /**
   * The statement the upstream is answering (for errors and notices that may quote its values), or
   * undefined when unknown: nothing in flight, a text Airlock never saw, or one it cannot analyse.
   */
  #inFlight(): InFlight | undefined {
    if (!this.#rules.masksColumns) return undefined;
    const head = this.#peek();
    let text: string | undefined;
    switch (head?.kind) {
      case 'query':
      case 'parse':
      case 'bind':
        text = head.text;
        break;
      case 'execute':
        text = this.#names.portals.get(head.portal)?.text;
        break;
      case 'describe':
        text =
          head.target === 'S'
            ? this.#names.statements.get(head.name)?.text
            : this.#names.portals.get(head.name)?.text;
        break;
      default:
        return undefined;
    }
    if (!text) return undefined;
    const analysis = this.#rules.analyze(text, this.#rules.catalog.snapshot);
    if (analysis.statements.length === 0) return undefined;
    // Any statement of the text: an error ends the rest of a simple query, so which one failed is moot.
    const touches = analysis.statements.some(
      (s) =>
        s.touches ||
        s.allDerived ||
        s.runs === true ||
        (s.reads !== undefined && (this.#names.readsMasked(s.reads) ?? true)),
    );
    return { touches, text };
  }
}

/** A Frame over bytes Airlock built (a rewritten message), for the decoders. */
export function frameOf(bytes: Buffer): Frame {
  const frame = new Frame();
  frame.buffer = bytes;
  frame.start = 0;
  frame.end = bytes.length;
  frame.bodyStart = 5;
  frame.code = bytes[0]!;
  frame.stable = true;
  return frame;
}
