/**
 * @module The plans a masked session rewrites results with: per column, pass, mask or redact, decided
 * when the RowDescription (or a COPY's CopyOutResponse) arrives from the statement's analysis and the
 * catalog snapshot, and applied to each DataRow or CopyData that follows. A simple Query's result is
 * planned for the statement the upstream is answering; an extended-protocol result for the portal an
 * Execute runs, from the Describe of its statement or portal (redone when a reload has put other rules
 * in force since). A result whose plan is unknown is never sent. It is kept apart from `session.ts`,
 * which matches answers to messages and follows reloads, because planning is per result.
 */
import { AirlockError } from '../../../core/errors.js';
import { decodeBackend } from '../codec/backend-decoder.js';
import type { Frame } from '../codec/messages.js';
import type { StatementShape } from './analysis.js';
import type { CatalogSnapshot } from './catalog.js';
import { type CopyPlan, copyActions, rewriteCopyData } from './copy.js';
import type { PendingAnswers } from './pending-answers.js';
import {
  bindFormats,
  makePlan,
  planColumns,
  type RowPlan,
  rewriteDataRow,
  rewriteRowDescription,
} from './rows.js';
import type { RulesInForce } from './rules-in-force.js';
import type { StatementNames } from './statement-names.js';

/** What the relay gets back for one upstream frame. */
export const HOLD = Symbol('hold');
export type Rewrite = Buffer | undefined | typeof HOLD;

/**
 * The snapshot to decide with now, or undefined after starting a refresh (the frame is then held by
 * the session and replayed once the catalog is in).
 */
export type FreshSnapshot = (frame: Frame, oids: readonly number[]) => CatalogSnapshot | undefined;

/** The row and COPY plans of one session's results. */
export class ResultPlans {
  /** The rules in force: the session replaces them when a reload puts others in force. */
  rules: RulesInForce;
  readonly #pending: PendingAnswers;
  readonly #names: StatementNames;
  readonly #freshSnapshot: FreshSnapshot;
  #queryPlan: RowPlan | undefined;
  #copyPlan: CopyPlan | undefined;

  constructor(
    rules: RulesInForce,
    pending: PendingAnswers,
    names: StatementNames,
    freshSnapshot: FreshSnapshot,
  ) {
    this.rules = rules;
    this.#pending = pending;
    this.#names = names;
    this.#freshSnapshot = freshSnapshot;
  }

  /** A result ended (or failed, or the upstream is ready): no rows or COPY data follow without a new plan. */
  endResult(): void {
    this.#queryPlan = undefined;
    this.#copyPlan = undefined;
  }

  /** CopyDone from the upstream: the COPY data has ended. */
  endCopyOut(): void {
    this.#copyPlan = undefined;
  }

  /** A RowDescription: plans the columns of the result it starts (or of a described statement or portal). */
  rowDescription(frame: Frame): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'rowDescription') return undefined;
    const fields = m.fields;
    const snapshot = this.#freshSnapshot(
      frame,
      fields.map((f) => f.tableOid),
    );
    if (!snapshot) return HOLD;
    const head = this.#pending.peek();
    const typeOids = fields.map((f) => f.typeOid);
    if (head?.kind === 'query') {
      const actions = planColumns(fields, this.#shape(head.text, head.index, snapshot), snapshot);
      this.#queryPlan = makePlan(
        actions,
        typeOids,
        fields.map((f) => f.format),
        this.rules.content !== undefined,
      );
      return rewriteRowDescription(fields, actions);
    }
    if (head?.kind === 'describe') {
      this.#pending.shift();
      if (head.target === 'S') {
        const actions = planColumns(
          fields,
          this.#shape(this.#names.statements.get(head.name)?.text ?? '', 0, snapshot),
          snapshot,
        );
        this.#names.statementPlans.set(head.name, {
          fields,
          actions,
          typeOids,
          generation: this.rules.generation,
          serial: this.#names.statements.get(head.name)?.serial ?? -2,
        });
        return rewriteRowDescription(fields, actions);
      }
      // A portal Airlock never saw bound is a SQL cursor (DECLARE): its text is unknown here, so every
      // computed column counts as derived.
      const portal = this.#names.portals.get(head.name) ?? {
        text: '',
        statement: '',
        serial: -1,
        resultFormats: [],
      };
      this.#names.portals.set(head.name, portal);
      const actions = planColumns(fields, this.#shape(portal.text, 0, snapshot), snapshot);
      portal.plan = makePlan(
        actions,
        typeOids,
        fields.map((f) => f.format),
        this.rules.content !== undefined,
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
      this.rules.content !== undefined,
    );
    return rewriteRowDescription(fields, actions);
  }

  /** A DataRow, rewritten with the plan of the result it belongs to. */
  dataRow(frame: Frame): Rewrite {
    const plan = this.#currentPlan(frame);
    if (plan === HOLD) return HOLD;
    if (plan.idle) return undefined;
    return rewriteDataRow(frame.buffer, frame.bodyStart, frame.end, plan, this.rules.values);
  }

  #currentPlan(frame: Frame): RowPlan | typeof HOLD {
    const head = this.#pending.peek();
    if (head?.kind === 'execute') {
      const portal = this.#names.portals.get(head.portal);
      if (portal?.plan) return portal.plan;
      // Only a Describe of the very statement the portal was bound to (not of a later Parse of its name).
      const plan = portal ? this.#names.statementPlans.get(portal.statement) : undefined;
      const described = plan && plan.serial === portal?.serial ? plan : undefined;
      if (portal && described && described.generation !== this.rules.generation) {
        // Described under rules a reload has since replaced (drivers describe once, execute often).
        // Columns masked then stay masked (the client was told text); columns masked now are too.
        const snapshot = this.#freshSnapshot(
          frame,
          described.fields.map((f) => f.tableOid),
        );
        if (!snapshot) return HOLD;
        const now = planColumns(described.fields, this.#shape(portal.text, 0, snapshot), snapshot);
        described.actions = described.actions.map((a, i) => (a.kind === 'pass' ? now[i]! : a));
        described.generation = this.rules.generation;
      }
      if (portal && described) {
        portal.plan = makePlan(
          described.actions,
          described.typeOids,
          bindFormats(portal.resultFormats, described.actions.length),
          this.rules.content !== undefined,
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
    const shape = this.rules.analyze(text, snapshot).statements[index];
    if (!shape?.reads) return shape;
    const touches = this.#names.readsMasked(shape.reads);
    return { ...shape, touches: touches ?? true };
  }

  /** CopyOutResponse or CopyBothResponse: plans the COPY data that follows, or refuses to send it. */
  copyOut(frame: Frame): Rewrite {
    const m = decodeBackend(frame);
    if (m.name !== 'copyOutResponse' && m.name !== 'copyBothResponse') return undefined;
    const snapshot = this.#freshSnapshot(frame, []);
    if (!snapshot) return HOLD;
    const head = this.#pending.peek();
    const text =
      head?.kind === 'query'
        ? head.text
        : head?.kind === 'execute'
          ? this.#names.portals.get(head.portal)?.text
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
    if (shape && !shape.touches && !this.rules.content) return undefined;
    throw new AirlockError(
      'ERR_MASKING_FAILED',
      'a COPY result Airlock cannot mask (its format or shape) was not sent',
    );
  }

  /** A CopyData of COPY TO STDOUT, rewritten with the COPY plan. */
  copyData(frame: Frame): Rewrite {
    const plan = this.#copyPlan;
    if (!plan) return undefined;
    if (!plan.actions && !this.rules.content) return undefined;
    return rewriteCopyData(frame.buffer.subarray(frame.bodyStart, frame.end), plan, this.rules.values);
  }
}
