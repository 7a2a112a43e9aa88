/**
 * @module The masking rules a session applies right now, with everything derived from them: the
 * content masker, the contexts row values and notices are masked with, and the statement analyses
 * for the rules and a catalog snapshot (shared across sessions through `analysis-cache.ts`, with the
 * last text remembered because the refusal check and the tap ask for it back to back). A session
 * holds one and replaces it whole when a reload puts other rules in force, so nothing derived from
 * old rules outlives them; `generation` tells plans made under earlier rules apart.
 */
import type { ConnectionMasking } from '../../../core/connection.js';
import { type ContentMasker, createContentMasker } from '../../../masking/content.js';
import type { AnalysisContext, SqlMasking } from './analysis.js';
import { analysesFor, StatementAnalyses } from './analysis-cache.js';
import type { CatalogSnapshot, MaskingCatalog } from './catalog.js';
import type { MaskCounts } from './counts.js';
import { EVERY_NAME, type MaskingRules } from './live-rules.js';
import type { NoticeContext } from './notices.js';
import type { ValueContext } from './rows.js';

/** One set of masking rules in force, and what is derived from it. */
export class RulesInForce {
  readonly masking: ConnectionMasking;
  readonly catalog: MaskingCatalog;
  readonly content: ContentMasker | undefined;
  readonly values: ValueContext;
  readonly notices: NoticeContext;
  readonly masksColumns: boolean;
  /** 0 for the rules a session starts with, one more for each set a reload puts in force. */
  readonly generation: number;
  #analysisSnapshot: CatalogSnapshot | undefined;
  /** The shared analyses for the rules and `#analysisSnapshot` (undefined until first needed). */
  #analyses: StatementAnalyses | undefined;
  /** The last text analysed: the refusal check and the tap ask for the same text back to back. */
  #lastText: string | undefined;
  #lastAnalysis: SqlMasking | undefined;

  constructor(rules: MaskingRules, counts: MaskCounts, generation: number) {
    const { masking, catalog } = rules;
    this.masking = masking;
    this.catalog = catalog;
    this.masksColumns = masking.columns.length > 0;
    this.content =
      masking.detect.length > 0
        ? createContentMasker({ entities: masking.detect, region: masking.region })
        : undefined;
    this.values = { content: this.content, hashKey: rules.hashKey, counts };
    this.notices = {
      content: this.content,
      counts,
      masksColumns: this.masksColumns,
      isSensitiveTable: (name) => catalog.snapshot?.sensitiveNames.has(name) ?? true,
    };
    this.generation = generation;
  }

  /** The analysis of `text` under these rules and `snapshot` (undefined: the catalog is not in yet). */
  analyze(text: string, snapshot: CatalogSnapshot | undefined): SqlMasking {
    if (snapshot !== this.#analysisSnapshot || !this.#analyses) {
      // Column rules without their catalog yet (just reloaded): every relation counts as masked. Such
      // a context has no signature of its own, so it never enters the shared cache.
      this.#analyses =
        this.masksColumns && !snapshot
          ? new StatementAnalyses(this.#contextFor(undefined), true)
          : analysesFor(this.#contextFor(snapshot), this.masksColumns);
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
    const unknown = this.masksColumns && !snapshot;
    return {
      sensitiveNames: unknown ? EVERY_NAME : (snapshot?.sensitiveNames ?? new Set()),
      viewNames: unknown ? EVERY_NAME : (snapshot?.viewNames ?? new Set()),
      maskedColumnNames: new Set([
        ...(snapshot?.maskedColumnNames ?? []),
        ...this.masking.columns.map((c) => c.column).filter((c) => c !== '*'),
      ]),
      onDerived: this.masking.onDerived,
      denyPredicates: this.masking.denyPredicates,
      detects: this.content !== undefined,
      ...(snapshot?.userCode ? { userCode: snapshot.userCode } : {}),
    };
  }
}
