/**
 * @module One session's masking: the refusal check for each statement (before the gate journals it),
 * and the rewriting of everything the upstream sends back. The messages forwarded upstream are tapped
 * (after Airlock's own decisions, probes and Syncs included) to keep a FIFO of what each answer
 * belongs to: the statement of a simple Query, a Describe of a statement or portal, an Execute of a
 * portal with its Bind's result formats. A DataRow whose shape is not known is never sent.
 *
 * Column origins come from the catalog snapshot; when it is stale or a RowDescription names a newer
 * relation, the session holds the upstream's frames (copies), refreshes it, and replays them.
 */
import type { CommandResult } from '../../../core/command.js';
import type { Connection, ConnectionMasking } from '../../../core/connection.js';
import type { Deny } from '../../../core/decision.js';
import { AirlockError, toAirlockError } from '../../../core/errors.js';
import { type ContentMasker, createContentMasker } from '../../../masking/content.js';
import { decodeBackend } from '../codec/backend-decoder.js';
import { BackendCode, FrontendCode } from '../codec/codes.js';
import { decodeFrontend } from '../codec/frontend-decoder.js';
import { type FieldDescription, Frame } from '../codec/messages.js';
import { FrontendParser } from '../codec/parser.js';
import type { AnalysisContext, SqlMasking, StatementShape } from './analysis.js';
import { analysesFor, StatementAnalyses } from './analysis-cache.js';
import type { CatalogSnapshot, MaskingCatalog } from './catalog.js';
import { type CopyPlan, copyActions, rewriteCopyData } from './copy.js';
import { MaskCounts } from './counts.js';
import { EVERY_NAME, type LiveRules, type MaskingRules, NO_MASKING, rulesKey } from './live-rules.js';
import { type InFlight, type NoticeContext, rewriteNotice, rewriteNotification } from './notices.js';
import {
  bindFormats,
  type ColumnAction,
  makePlan,
  planColumns,
  type RowPlan,
  rewriteDataRow,
  rewriteRowDescription,
  type ValueContext,
} from './rows.js';

/** What the relay gets back for one upstream frame. */
export const HOLD = Symbol('hold');
export type Rewrite = Buffer | undefined | typeof HOLD;

/** A cursor or SQL prepared statement a statement defines, in force once that statement completes. */
interface Definition {
  /** The statement's position in its text. */
  readonly index: number;
  readonly kind: 'cursor' | 'prepared';
  readonly name: string;
  readonly touches: boolean;
}

type Expect =
  | {
      readonly kind: 'query';
      readonly text: string;
      index: number;
      readonly definitions: readonly Definition[];
    }
  | {
      readonly kind: 'parse';
      readonly text: string;
      readonly statement: string;
      /** What the name held before: a Parse that fails (or is skipped) leaves it in place. */
      readonly previous: ParsedStatement | undefined;
      readonly previousPlan: DescribedStatement | undefined;
    }
  | {
      readonly kind: 'bind';
      readonly text: string;
      readonly portal: string;
      readonly previous: PortalState | undefined;
    }
  | { readonly kind: 'close' | 'sync' }
  | { readonly kind: 'describe'; readonly target: 'S' | 'P'; readonly name: string }
  | { readonly kind: 'execute'; readonly portal: string; readonly definitions: readonly Definition[] };

/** A FIFO entry, with how many CopyData and copy ends (CopyDone, CopyFail) the client had sent before it. */
type Entry = Expect & { readonly copyData: number; readonly copyEnds: number };

/** A protocol-level prepared statement: its text, and which Parse made it (`serial`). */
interface ParsedStatement {
  readonly text: string;
  readonly serial: number;
}

interface PortalState {
  readonly text: string;
  readonly statement: string;
  /** The Parse of the statement it was bound to: a later Parse of the name is another statement. */
  readonly serial: number;
  readonly resultFormats: readonly number[];
  plan?: RowPlan;
}

/** A described statement: its columns, and the actions for them under rules generation `generation`. */
interface DescribedStatement {
  readonly fields: readonly FieldDescription[];
  actions: readonly ColumnAction[];
  readonly typeOids: readonly number[];
  generation: number;
  /** The Parse it describes. */
  readonly serial: number;
}

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
  #masking!: ConnectionMasking;
  #catalog!: MaskingCatalog;
  #content: ContentMasker | undefined;
  readonly #counts = new MaskCounts();
  #values!: ValueContext;
  #notices!: NoticeContext;
  #masksColumns = false;
  /** The live definition last seen, and the masking rules in force as JSON (what a reload compares). */
  #connection: Connection | undefined;
  #rulesKey = '';
  readonly #tap = new FrontendParser({ phase: 'tagged' });
  #fifo: Entry[] = [];
  #head = 0;
  /**
   * An extended-protocol message failed and no Sync was in the FIFO yet: the upstream ignores every
   * message, a simple Query included, until the client's next Sync, so none of them gets an entry.
   */
  #ignoringTillSync = false;
  /** CopyData and copy ends (CopyDone, CopyFail) the client sent: where COPY FROM STDIN data sits among entries. */
  #copyDataSent = 0;
  #copyEndsSent = 0;
  /**
   * The upstream is in COPY FROM STDIN and the client has not ended its data: the upstream ignores a
   * Sync (no answer) and consumes any other message as an error. `#copyDataSent` was `copyDataAt` when
   * the copy began: a Sync after some data may arrive after the copy failed and be answered.
   */
  #copyIn: { readonly copyDataAt: number } | undefined;
  /**
   * Set when which answer belongs to which message cannot be known any more (messages sent during
   * COPY FROM STDIN whose fate depends on the data): the next upstream frame ends the session.
   */
  #lost: string | undefined;
  readonly #statements = new Map<string, ParsedStatement>();
  /** Parses seen: each statement and portal knows which one it came from. */
  #serial = 0;
  readonly #portals = new Map<string, PortalState>();
  readonly #statementPlans = new Map<string, DescribedStatement>();
  /** Bumped when a reload puts other rules in force: plans of statements described before are redone. */
  #generation = 0;
  /**
   * SQL cursors and prepared statements by name: whether what they return reads masked data. A name
   * without an entry counts as reading it. Entries are set when the defining statement completes
   * (a DECLARE or PREPARE that failed, or never ran, defines nothing) and dropped as soon as one is
   * sent, and when a protocol portal or statement takes the name (they share PostgreSQL's namespace).
   */
  readonly #cursors = new Map<string, boolean>();
  readonly #prepared = new Map<string, boolean>();
  #queryPlan: RowPlan | undefined;
  #copyPlan: CopyPlan | undefined;
  #held: Frame[] = [];
  #holding = false;
  #analysisSnapshot: CatalogSnapshot | undefined;
  /** The shared analyses for the rules and `#analysisSnapshot` (undefined until first needed). */
  #analyses: StatementAnalyses | undefined;
  /** The last text analysed: the refusal check and the tap ask for the same text back to back. */
  #lastText: string | undefined;
  #lastAnalysis: SqlMasking | undefined;

  constructor(options: SessionMaskingOptions) {
    this.#o = options;
    this.#use(options);
    this.#connection = options.live?.initial;
    this.#rulesKey = rulesKey(options.masking);
  }

  /** Puts `rules` in force: what every later statement is checked and masked with. */
  #use(rules: MaskingRules): void {
    const { masking, catalog } = rules;
    this.#masking = masking;
    this.#catalog = catalog;
    this.#masksColumns = masking.columns.length > 0;
    this.#content =
      masking.detect.length > 0
        ? createContentMasker({ entities: masking.detect, region: masking.region })
        : undefined;
    this.#values = { content: this.#content, hashKey: rules.hashKey, counts: this.#counts };
    this.#notices = {
      content: this.#content,
      counts: this.#counts,
      masksColumns: this.#masksColumns,
      isSensitiveTable: (name) => catalog.snapshot?.sensitiveNames.has(name) ?? true,
    };
    this.#analyses = undefined;
    this.#lastText = undefined;
  }

  /**
   * Follows a config reload before a statement: a replaced definition of the connection with other
   * masking rules puts them in force now. Their catalog is read in the background; until it is in,
   * analysis counts every relation as masked (`#analyze`) and rows wait for it (`#freshSnapshot`).
   * A refusal when the new rules cannot be built: the statement is not run with rules it should not have.
   */
  #follow(): Deny | undefined {
    const live = this.#o.live;
    if (!live) return undefined;
    const current = live.current();
    // Removed: the reloader ends the session; until then the rules in force stay.
    if (current === undefined || current === this.#connection) return undefined;
    const key = rulesKey(current.masking ?? NO_MASKING);
    if (key !== this.#rulesKey) {
      let rules: MaskingRules;
      try {
        rules = live.build(current);
      } catch (err) {
        const cause = toAirlockError(err, 'ERR_MASKING_FAILED');
        const userMessage = `blocked by airlock: masking-reload: the new masking rules cannot be applied: ${cause.message}`;
        return {
          outcome: 'deny',
          rule: 'masking-reload',
          error: new AirlockError('ERR_POLICY_DENIED', userMessage, {
            userMessage,
            detail: 'rule: masking-reload',
            cause,
          }),
        };
      }
      this.#use(rules);
      this.#rulesKey = key;
      this.#generation++;
      if (this.#masksColumns && !rules.catalog.fresh()) {
        // Failures surface where the snapshot is needed (a held RowDescription ends the session).
        rules.catalog.refresh().catch(() => {});
      }
    }
    this.#connection = current;
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
    const analysis = this.#analyze(text, this.#catalog.snapshot);
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
    if (frame.code === FrontendCode.CopyData) this.#copyDataSent++;
    else if (frame.code === FrontendCode.CopyDone || frame.code === FrontendCode.CopyFail)
      this.#copyEndsSent++;
    if (this.#copyIn && this.#duringCopyIn(frame.code)) return;
    if (this.#ignoringTillSync) {
      // The upstream reads and drops these without an answer (and without acting on them).
      if (frame.code !== FrontendCode.Sync) return;
      this.#ignoringTillSync = false;
    }
    switch (frame.code) {
      case FrontendCode.Query: {
        const m = decodeFrontend(frame);
        if (m.name !== 'query') return;
        this.#push({
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
        const previous = this.#statements.get(m.statement);
        const previousPlan = this.#statementPlans.get(m.statement);
        this.#statements.set(m.statement, { text: m.text, serial: ++this.#serial });
        this.#statementPlans.delete(m.statement);
        // SQL EXECUTE of this name now runs this statement, not an earlier SQL PREPARE's.
        this.#prepared.delete(m.statement);
        this.#push({ kind: 'parse', text: m.text, statement: m.statement, previous, previousPlan });
        return;
      }
      case FrontendCode.Bind: {
        const m = decodeFrontend(frame);
        if (m.name !== 'bind') return;
        const statement = this.#statements.get(m.statement);
        const text = statement?.text ?? '';
        const previous = this.#portals.get(m.portal);
        this.#portals.set(m.portal, {
          text,
          statement: m.statement,
          serial: statement?.serial ?? -1,
          resultFormats: [...m.resultFormats],
        });
        // SQL FETCH of this name now reads this portal, not an earlier SQL cursor's.
        this.#cursors.delete(m.portal);
        this.#push({ kind: 'bind', text, portal: m.portal, previous });
        return;
      }
      case FrontendCode.Describe: {
        const m = decodeFrontend(frame);
        if (m.name === 'describe') this.#push({ kind: 'describe', target: m.kind, name: m.target });
        return;
      }
      case FrontendCode.Execute: {
        const m = decodeFrontend(frame);
        if (m.name !== 'execute') return;
        // A portal of DECLARE or PREPARE defines its cursor or statement when it runs.
        const text = this.#portals.get(m.portal)?.text;
        const definitions = text ? this.#noteDefinitions(text) : [];
        this.#push({ kind: 'execute', portal: m.portal, definitions });
        return;
      }
      case FrontendCode.Close:
        this.#push({ kind: 'close' });
        return;
      case FrontendCode.Sync:
        this.#push({ kind: 'sync' });
        return;
      default:
        return;
    }
  };

  #push(expect: Expect): void {
    this.#fifo.push(Object.assign(expect, { copyData: this.#copyDataSent, copyEnds: this.#copyEndsSent }));
  }

  /** A frame sent while the upstream reads COPY data: true when it gets no FIFO entry. */
  #duringCopyIn(code: number): boolean {
    const copyIn = this.#copyIn!;
    switch (code) {
      case FrontendCode.CopyData:
      case FrontendCode.Flush:
        return true;
      case FrontendCode.CopyDone:
      case FrontendCode.CopyFail:
        this.#copyIn = undefined;
        return true;
      case FrontendCode.Sync:
        // Ignored while the copy runs; after data, the copy may have failed already and it is answered.
        if (this.#copyDataSent === copyIn.copyDataAt) return true;
        this.#lost = 'a Sync was sent between COPY data and its end';
        return true;
      default:
        this.#lost = 'a message other than COPY data was sent during COPY FROM STDIN';
        return true;
    }
  }

  /**
   * CopyInResponse: the statement at the head reads COPY data. Entries for messages the client sent
   * after it and before its copy end were read by the upstream as part of the copy: a Sync before any
   * data is ignored (dropped here); anything else makes the answers unknowable (`#lost`).
   */
  #onCopyIn(): void {
    const head = this.#peek();
    if (!head) return;
    const kept: Entry[] = [];
    let ended = false;
    for (let i = this.#head + 1; i < this.#fifo.length; i++) {
      const e = this.#fifo[i]!;
      if (!ended && e.copyEnds > head.copyEnds) ended = true;
      if (ended) kept.push(e);
      else if (e.kind === 'sync' && e.copyData === head.copyData) continue;
      else {
        this.#lost = 'a message other than COPY data was sent during COPY FROM STDIN';
        kept.push(e);
      }
    }
    this.#fifo.length = this.#head + 1;
    this.#fifo.push(...kept);
    if (this.#copyEndsSent === head.copyEnds) this.#copyIn = { copyDataAt: head.copyData };
  }

  /**
   * Cursors and SQL prepared statements `text` defines. Their names count as reading masked data from
   * now (the definition may replace an old one) until the definition completes (`#define`); a protocol
   * portal or statement of the same name is replaced by it (or the definition fails), so it is forgotten.
   */
  #noteDefinitions(text: string): Definition[] {
    const definitions: Definition[] = [];
    const analysis = this.#analyze(text, this.#catalog.snapshot);
    for (const [index, s] of analysis.statements.entries()) {
      if (!s.defines) continue;
      const { kind, name, touches } = s.defines;
      if (kind === 'cursor') {
        this.#cursors.delete(name);
        this.#portals.delete(name);
      } else {
        this.#prepared.delete(name);
        this.#statements.delete(name);
        this.#statementPlans.delete(name);
      }
      definitions.push({ index, kind, name, touches });
    }
    return definitions;
  }

  /** The statement at `index` completed: the cursor or prepared statement it defines exists now. */
  #define(definitions: readonly Definition[], index: number): void {
    for (const d of definitions) {
      if (d.index !== index) continue;
      (d.kind === 'cursor' ? this.#cursors : this.#prepared).set(d.name, d.touches);
    }
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
    if (this.#lost)
      throw new AirlockError(
        'ERR_MASKING_FAILED',
        `masking cannot tell which statement this answer belongs to: ${this.#lost}`,
      );
    switch (frame.code) {
      case BackendCode.DataRow:
        return this.#dataRow(frame);
      case BackendCode.RowDescription:
        return this.#rowDescription(frame);
      case BackendCode.CopyData:
        return this.#copyData(frame);
      case BackendCode.CommandComplete: {
        const m = decodeBackend(frame);
        if (m.name === 'commandComplete' && DDL_TAG.test(m.tag)) this.#catalog.invalidate();
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
        return this.#copyOut(frame);
      case BackendCode.CopyInResponse:
        this.#onCopyIn();
        return undefined;
      case BackendCode.CopyDone:
        this.#copyPlan = undefined;
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
        return rewriteNotification(m.processId, m.channel, m.payload, this.#notices);
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
    return this.#fifo[this.#head];
  }

  #shift(): void {
    if (this.#head < this.#fifo.length) this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
  }

  #endResult(): void {
    this.#queryPlan = undefined;
    this.#copyPlan = undefined;
    // A COPY FROM STDIN that was running has ended on the upstream's side.
    this.#copyIn = undefined;
    const head = this.#peek();
    if (head?.kind === 'query') {
      this.#define(head.definitions, head.index);
      head.index++;
    } else if (head?.kind === 'execute') {
      this.#define(head.definitions, 0);
      this.#shift();
    }
  }

  #onError(): void {
    this.#queryPlan = undefined;
    this.#copyPlan = undefined;
    this.#copyIn = undefined;
    // A simple Query's error ends that query only; its ReadyForQuery follows.
    const first = this.#peek();
    if (!first || first.kind === 'query' || first.kind === 'sync') return;
    // Extended protocol: the server ignores every message until the next Sync, a simple Query
    // included (it is never answered). The failed message and the ignored ones did nothing: a name a
    // Parse or Bind among them took keeps what it held (newest restored last).
    const skipped: Entry[] = [];
    for (let head = this.#peek(); head && head.kind !== 'sync'; head = this.#peek()) {
      skipped.push(head);
      this.#shift();
    }
    if (!this.#peek()) this.#ignoringTillSync = true;
    for (const e of skipped.reverse()) {
      if (e.kind === 'parse') {
        restore(this.#statements, e.statement, e.previous);
        restore(this.#statementPlans, e.statement, e.previousPlan);
      } else if (e.kind === 'bind') restore(this.#portals, e.portal, e.previous);
    }
  }

  #onReady(): void {
    this.#queryPlan = undefined;
    this.#copyPlan = undefined;
    for (let head = this.#peek(); head; head = this.#peek()) {
      this.#shift();
      if (head.kind === 'sync' || head.kind === 'query') break;
    }
  }

  // ---- rows -------------------------------------------------------------------------------

  /** The snapshot to decide with now, or undefined after starting a refresh (the frame is held). */
  #freshSnapshot(frame: Frame, oids: readonly number[]): CatalogSnapshot | undefined {
    const snapshot = this.#catalog.fresh();
    if (snapshot && oids.every((oid) => oid <= snapshot.maxOid)) return snapshot;
    this.hold(frame);
    this.#holding = true;
    this.#catalog.refresh().then(
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

  #rowDescription(frame: Frame): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'rowDescription') return undefined;
    const fields = m.fields;
    const snapshot = this.#freshSnapshot(
      frame,
      fields.map((f) => f.tableOid),
    );
    if (!snapshot) return HOLD;
    const head = this.#peek();
    const typeOids = fields.map((f) => f.typeOid);
    if (head?.kind === 'query') {
      const actions = planColumns(fields, this.#shape(head.text, head.index, snapshot), snapshot);
      this.#queryPlan = makePlan(
        actions,
        typeOids,
        fields.map((f) => f.format),
        this.#content !== undefined,
      );
      return rewriteRowDescription(fields, actions);
    }
    if (head?.kind === 'describe') {
      this.#shift();
      if (head.target === 'S') {
        const actions = planColumns(
          fields,
          this.#shape(this.#statements.get(head.name)?.text ?? '', 0, snapshot),
          snapshot,
        );
        this.#statementPlans.set(head.name, {
          fields,
          actions,
          typeOids,
          generation: this.#generation,
          serial: this.#statements.get(head.name)?.serial ?? -2,
        });
        return rewriteRowDescription(fields, actions);
      }
      // A portal Airlock never saw bound is a SQL cursor (DECLARE): its text is unknown here, so every
      // computed column counts as derived.
      const portal = this.#portals.get(head.name) ?? {
        text: '',
        statement: '',
        serial: -1,
        resultFormats: [],
      };
      this.#portals.set(head.name, portal);
      const actions = planColumns(fields, this.#shape(portal.text, 0, snapshot), snapshot);
      portal.plan = makePlan(
        actions,
        typeOids,
        fields.map((f) => f.format),
        this.#content !== undefined,
      );
      return rewriteRowDescription(fields, actions);
    }
    // A RowDescription nobody asked for (FETCH inside an Execute of a SQL-level statement, ...):
    // everything computed counts as derived.
    const actions = planColumns(fields, undefined, snapshot);
    this.#queryPlan = makePlan(
      actions,
      typeOids,
      fields.map((f) => f.format),
      this.#content !== undefined,
    );
    return rewriteRowDescription(fields, actions);
  }

  #dataRow(frame: Frame): Rewrite {
    const plan = this.#currentPlan(frame);
    if (plan === HOLD) return HOLD;
    if (plan.idle) return undefined;
    return rewriteDataRow(frame.buffer, frame.bodyStart, frame.end, plan, this.#values);
  }

  #currentPlan(frame: Frame): RowPlan | typeof HOLD {
    const head = this.#peek();
    if (head?.kind === 'execute') {
      const portal = this.#portals.get(head.portal);
      if (portal?.plan) return portal.plan;
      // Only a Describe of the very statement the portal was bound to (not of a later Parse of its name).
      const plan = portal ? this.#statementPlans.get(portal.statement) : undefined;
      const described = plan && plan.serial === portal?.serial ? plan : undefined;
      if (portal && described && described.generation !== this.#generation) {
        // Described under rules a reload has since replaced (drivers describe once, execute often).
        // Columns masked then stay masked (the client was told text); columns masked now are too.
        const snapshot = this.#freshSnapshot(
          frame,
          described.fields.map((f) => f.tableOid),
        );
        if (!snapshot) return HOLD;
        const now = planColumns(described.fields, this.#shape(portal.text, 0, snapshot), snapshot);
        described.actions = described.actions.map((a, i) => (a.kind === 'pass' ? now[i]! : a));
        described.generation = this.#generation;
      }
      if (portal && described) {
        portal.plan = makePlan(
          described.actions,
          described.typeOids,
          bindFormats(portal.resultFormats, described.actions.length),
          this.#content !== undefined,
        );
        return portal.plan;
      }
    } else if (this.#queryPlan) return this.#queryPlan;
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      'a DataRow arrived without a row description Airlock saw (masking needs Describe before Execute)',
    );
  }

  /** The shape of statement `index` of `text`, with cursors and prepared names resolved. */
  #shape(text: string, index: number, snapshot: CatalogSnapshot): StatementShape | undefined {
    const shape = this.#analyze(text, snapshot).statements[index];
    if (!shape?.reads) return shape;
    const touches =
      shape.reads.kind === 'cursor'
        ? this.#cursors.get(shape.reads.name)
        : this.#prepared.get(shape.reads.name);
    return { ...shape, touches: touches ?? true };
  }

  #analyze(text: string, snapshot: CatalogSnapshot | undefined): SqlMasking {
    if (snapshot !== this.#analysisSnapshot || !this.#analyses) {
      // Column rules without their catalog yet (just reloaded): every relation counts as masked. Such
      // a context has no signature of its own, so it never enters the shared cache.
      this.#analyses =
        this.#masksColumns && !snapshot
          ? new StatementAnalyses(this.#contextFor(undefined), true)
          : analysesFor(this.#contextFor(snapshot), this.#masksColumns);
      this.#analysisSnapshot = snapshot;
      this.#lastText = undefined;
    } else if (text === this.#lastText) return this.#lastAnalysis!;
    const analysis = this.#analyses.analyze(text);
    this.#lastText = text;
    this.#lastAnalysis = analysis;
    return analysis;
  }

  /** What an analysis reads from the rules and `snapshot` (the key of the shared cache). */
  #contextFor(snapshot: CatalogSnapshot | undefined): AnalysisContext {
    const unknown = this.#masksColumns && !snapshot;
    return {
      sensitiveNames: unknown ? EVERY_NAME : (snapshot?.sensitiveNames ?? new Set()),
      viewNames: unknown ? EVERY_NAME : (snapshot?.viewNames ?? new Set()),
      maskedColumnNames: new Set([
        ...(snapshot?.maskedColumnNames ?? []),
        ...this.#masking.columns.map((c) => c.column).filter((c) => c !== '*'),
      ]),
      onDerived: this.#masking.onDerived,
      denyPredicates: this.#masking.denyPredicates,
      detects: this.#content !== undefined,
    };
  }

  // ---- COPY, notices ----------------------------------------------------------------------

  #copyOut(frame: Frame): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'copyOutResponse' && m.name !== 'copyBothResponse') return undefined;
    const snapshot = this.#freshSnapshot(frame, []);
    if (!snapshot) return HOLD;
    const head = this.#peek();
    const text =
      head?.kind === 'query'
        ? head.text
        : head?.kind === 'execute'
          ? this.#portals.get(head.portal)?.text
          : undefined;
    const index = head?.kind === 'query' ? head.index : 0;
    const shape = text === undefined ? undefined : this.#shape(text, index, snapshot);
    const binary = m.format !== 0 || m.columnFormats.some((f) => f !== 0);
    if (shape?.copy && !binary) {
      this.#copyPlan = {
        format: shape.copy.format,
        header: shape.copy.header,
        actions: copyActions(shape, snapshot),
        rows: 0,
      };
      return undefined;
    }
    // Not a plain relation in text or CSV: fine only when it reads nothing masked and no content check is due.
    if (shape && !shape.touches && !this.#content) return undefined;
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      'a COPY result Airlock cannot mask (its format or shape) was not sent',
    );
  }

  #copyData(frame: Frame): Rewrite {
    const plan = this.#copyPlan;
    if (!plan) return undefined;
    if (!plan.actions && !this.#content) return undefined;
    return rewriteCopyData(frame.buffer.subarray(frame.bodyStart, frame.end), plan, this.#values);
  }

  #notice(frame: Frame, inflight: InFlight | undefined): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'errorResponse' && m.name !== 'noticeResponse') return undefined;
    return rewriteNotice(frame.code, m.fields.all, this.#notices, inflight);
  }

  /**
   * The statement the upstream is answering (for errors and notices that may quote its values), or
   * undefined when unknown: nothing in flight, a text Airlock never saw, or one it cannot analyse.
   */
  #inFlight(): InFlight | undefined {
    if (!this.#masksColumns) return undefined;
    const head = this.#peek();
    let text: string | undefined;
    switch (head?.kind) {
      case 'query':
      case 'parse':
      case 'bind':
        text = head.text;
        break;
      case 'execute':
        text = this.#portals.get(head.portal)?.text;
        break;
      case 'describe':
        text =
          head.target === 'S' ? this.#statements.get(head.name)?.text : this.#portals.get(head.name)?.text;
        break;
      default:
        return undefined;
    }
    if (!text) return undefined;
    const analysis = this.#analyze(text, this.#catalog.snapshot);
    if (analysis.statements.length === 0) return undefined;
    // Any statement of the text: an error ends the rest of a simple query, so which one failed is moot.
    const touches = analysis.statements.some(
      (s) =>
        s.touches ||
        s.allDerived ||
        s.runs === true ||
        (s.reads !== undefined &&
          ((s.reads.kind === 'cursor' ? this.#cursors.get(s.reads.name) : this.#prepared.get(s.reads.name)) ??
            true)),
    );
    return { touches, text };
  }
}

/** Puts `value` back under `key`, or removes the key when it held nothing. */
function restore<V>(map: Map<string, V>, key: string, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
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
