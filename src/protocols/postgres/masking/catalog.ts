/**
 * @module What the target's catalog says about masked data, per target: which relation OIDs carry
 * masked columns (attribute number → strategy), and which views and materialized views read them
 * (directly, through other views, or through user functions whose bodies Airlock cannot see). A
 * snapshot answers RowDescription lookups by OID synchronously; it is refreshed when it is older
 * than its time to live, after DDL on any session of the target, and when a RowDescription names a
 * relation created after it was taken.
 *
 * Rules name tables, but a partition or an inheritance child holds the same data under its own name
 * and OID (`SELECT email FROM customers_2024`): each one, found through `pg_inherits` at any depth,
 * is masked like its parent, column by column by name (PostgreSQL keeps inherited columns' names), unless
 * a rule names the child's column itself.
 */
import type { Connection } from '../../../core/connection.js';
import { ColumnRules } from '../../../masking/rules.js';
import type { Strategy } from '../../../masking/strategies.js';
import { DATA_READING_FUNCTIONS, type UserCodeNames } from './analysis.js';
import { ControlConnection } from './control.js';

/** A masked column as the catalog has it. */
export interface MaskedColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly strategy: Strategy;
}

/** A relation with at least one masked column. */
export interface MaskedRelation {
  readonly schema: string;
  readonly table: string;
  readonly columns: ReadonlyMap<number, MaskedColumn>;
  /** Every column's attribute number by name (COPY needs the order of unmasked columns too). */
  readonly attributes: readonly {
    readonly attnum: number;
    readonly name: string;
    readonly typeOid: number;
  }[];
}

/** One consistent view of the target's masked relations. */
export interface CatalogSnapshot {
  readonly takenAtMs: number;
  /** Largest pg_class OID when taken: a larger one in a RowDescription is a newer relation. */
  readonly maxOid: number;
  readonly masked: ReadonlyMap<number, MaskedRelation>;
  /** Views / materialized views reading masked data: every column of theirs counts as derived. */
  readonly tainted: ReadonlyMap<number, { readonly schema: string; readonly table: string }>;
  /** Relation names (unqualified) that are masked or tainted: statement analysis matches on them. */
  readonly sensitiveNames: ReadonlySet<string>;
  /** Unqualified names of the tainted views alone. */
  readonly viewNames: ReadonlySet<string>;
  /** Names of masked columns (any relation). */
  readonly maskedColumnNames: ReadonlySet<string>;
  /**
   * User functions, aggregates, operators and checked domains (their uses over masked data are
   * refused). Every snapshot `#take` builds has it; optional only for hand-built snapshots (benches).
   */
  readonly userCode?: UserCodeNames;
}

/** How long "not masked" conclusions stand before the catalog is asked again. */
export const SNAPSHOT_TTL_MS = 5_000;

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Catalog state of one target, shared by its sessions. */
export class MaskingCatalog {
  readonly rules: ColumnRules;
  readonly #control: ControlConnection;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #snapshot: CatalogSnapshot | undefined;
  #refreshing: Promise<CatalogSnapshot> | undefined;
  #stale = false;
  readonly #readsWholeRow: (definition: string) => boolean;

  /**
   * @param readsWholeRow whether a view definition uses a whole-row reference (`t.*`, `t`,
   *   `row_to_json(t)`); the default says yes to every view, which fails closed.
   */
  constructor(
    connection: Connection,
    password: () => string,
    options: {
      ttlMs?: number;
      now?: () => number;
      timeoutMs?: number;
      readsWholeRow?: (definition: string) => boolean;
    } = {},
  ) {
    this.#readsWholeRow = options.readsWholeRow ?? (() => true);
    this.rules = new ColumnRules(connection.masking?.columns ?? []);
    this.#control = new ControlConnection(connection, password, { timeoutMs: options.timeoutMs ?? 10_000 });
    this.#ttlMs = options.ttlMs ?? SNAPSHOT_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The last snapshot, fresh or not (statement analysis uses it synchronously). */
  get snapshot(): CatalogSnapshot | undefined {
    return this.#snapshot;
  }

  /** The snapshot when it may answer "not masked" now; undefined when it must be refreshed first. */
  fresh(): CatalogSnapshot | undefined {
    const s = this.#snapshot;
    if (!s || this.#stale || this.#now() - s.takenAtMs > this.#ttlMs) return undefined;
    return s;
  }

  /** Marks the snapshot stale (after DDL): the next lookup refreshes it. */
  invalidate(): void {
    this.#stale = true;
  }

  /** Takes a new snapshot (concurrent callers share one refresh). */
  refresh(): Promise<CatalogSnapshot> {
    this.#refreshing ??= this.#take().then(
      (snapshot) => {
        this.#refreshing = undefined;
        return snapshot;
      },
      (err: unknown) => {
        this.#refreshing = undefined;
        throw err;
      },
    );
    return this.#refreshing;
  }

  close(): void {
    this.#control.close();
  }

  async #take(): Promise<CatalogSnapshot> {
    this.#stale = false;
    const takenAtMs = this.#now();
    const tables = this.rules.literalTables();
    const filter = tables ? ` AND c.relname IN (${tables.map(sqlString).join(', ')})` : '';
    const [columns = [], max = [], routines = [], operators = [], domains = []] = await this.#control.query(
      `SELECT c.oid::int8, n.nspname, c.relname, a.attnum, a.attname, a.atttypid::int8
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')${filter}
        ORDER BY c.oid, a.attnum;
       SELECT max(oid)::int8 FROM pg_catalog.pg_class;
       ${USER_CODE_SQL}`,
    );
    const byOid = new Map<
      number,
      {
        schema: string;
        table: string;
        attributes: MaskedRelation['attributes'][number][];
        columns: Map<number, MaskedColumn>;
      }
    >();
    const maskedColumnNames = new Set<string>();
    for (const [oidText, schema, table, attnumText, name, typeText] of columns) {
      const relation = { schema: schema!, table: table! };
      const oid = Number(oidText);
      let entry = byOid.get(oid);
      if (!entry) {
        entry = { ...relation, attributes: [], columns: new Map() };
        byOid.set(oid, entry);
      }
      const attnum = Number(attnumText);
      entry.attributes.push({ attnum, name: name!, typeOid: Number(typeText) });
      const strategy = this.rules.strategyFor(relation, name!);
      if (strategy) {
        entry.columns.set(attnum, { name: name!, typeOid: Number(typeText), strategy });
        maskedColumnNames.add(name!);
      }
    }
    const masked = new Map<number, MaskedRelation>();
    for (const [oid, entry] of byOid) if (entry.columns.size > 0) masked.set(oid, entry);
    if (masked.size > 0) {
      const seed = [...masked.keys()].map((oid) => `(${oid}::oid)`).join(', ');
      const [rows = []] = await this.#control.query(descendantsSql(seed));
      for (const [oid, child] of inheritMasking(rows, masked, this.rules)) {
        masked.set(oid, child);
        for (const column of child.columns.values()) maskedColumnNames.add(column.name);
      }
    }
    let tainted = new Map<number, { schema: string; table: string }>();
    if (masked.size > 0) {
      const seed: string[] = [];
      for (const [oid, relation] of masked) {
        for (const attnum of relation.columns.keys()) seed.push(`(${oid}::oid, ${attnum}::int2)`);
      }
      const [rows = []] = await this.#control.query(candidateViewsSql(seed.join(', ')));
      tainted = taintedViews(rows, this.#readsWholeRow);
    }
    const sensitiveNames = new Set<string>();
    for (const r of masked.values()) sensitiveNames.add(r.table);
    const viewNames = new Set<string>();
    for (const r of tainted.values()) {
      sensitiveNames.add(r.table);
      viewNames.add(r.table);
    }
    const snapshot: CatalogSnapshot = {
      takenAtMs,
      maxOid: Number(max[0]?.[0] ?? 0),
      masked,
      tainted,
      sensitiveNames,
      viewNames,
      maskedColumnNames,
      userCode: {
        routines: new Set(routines.map((r) => r[0] ?? '')),
        operators: new Set(operators.map((r) => r[0] ?? '')),
        checkedDomains: new Set(domains.map((r) => r[0] ?? '')),
      },
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}

/** No extension owns the object (`classid`, `oid`: its catalog and OID). */
function notExtensionMember(classid: string, oid: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '${classid}'::pg_catalog.regclass
                        AND d.objid = ${oid} AND d.deptype = 'e')`;
}

/**
 * Names of the code objects outside the system schemas (`UserCodeNames`): functions, procedures and
 * aggregates; operators; domains whose CHECK constraints (or a base domain's) run on a cast. Objects
 * of an extension are left out: an admin installed its fixed code (citext's `=`, `max(citext)` and
 * `translate(citext, ...)` would otherwise refuse every `=`, `max` and `translate` over masked
 * columns), and its functions already count as user functions where their names are not built-ins'.
 */
const USER_CODE_SQL = `SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND ${notExtensionMember('pg_catalog.pg_proc', 'p.oid')};
  SELECT DISTINCT o.oprname FROM pg_catalog.pg_operator o
    JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND ${notExtensionMember('pg_catalog.pg_operator', 'o.oid')};
  WITH RECURSIVE checked(oid) AS (
    SELECT t.oid FROM pg_catalog.pg_type t
     WHERE t.typtype = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                                        WHERE c.contypid = t.oid AND c.contype = 'c')
    UNION
    SELECT t.oid FROM pg_catalog.pg_type t JOIN checked ON t.typbasetype = checked.oid WHERE t.typtype = 'd'
  )
  SELECT DISTINCT t.typname FROM checked JOIN pg_catalog.pg_type t ON t.oid = checked.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND ${notExtensionMember('pg_catalog.pg_type', 't.oid')}`;

/** Every partition and inheritance child of the seed relations, at any depth, with its columns and parents. */
function descendantsSql(seed: string): string {
  return `WITH RECURSIVE seed(oid) AS (VALUES ${seed}),
  kids(oid) AS (
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN seed s ON i.inhparent = s.oid
    UNION
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN kids k ON i.inhparent = k.oid
  )
  SELECT c.oid::int8, n.nspname, c.relname, a.attnum, a.attname, a.atttypid::int8,
         (SELECT pg_catalog.string_agg(i.inhparent::text, ',') FROM pg_catalog.pg_inherits i
           WHERE i.inhrelid = c.oid)
    FROM kids k
    JOIN pg_catalog.pg_class c ON c.oid = k.oid AND c.relkind IN ('r', 'p', 'f')
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   ORDER BY c.oid, a.attnum`;
}

/**
 * The masked form of each descendant: a column takes the strategy of a rule naming it, else that of
 * a parent's masked column of the same name (parents resolved first: a fixpoint, as inheritance may
 * be several levels deep and, for plain inheritance, have several parents).
 */
export function inheritMasking(
  rows: readonly (string | null)[][],
  masked: ReadonlyMap<number, MaskedRelation>,
  rules: ColumnRules,
): Map<number, MaskedRelation> {
  const kids = new Map<
    number,
    {
      schema: string;
      table: string;
      parents: number[];
      attributes: MaskedRelation['attributes'][number][];
      columns: Map<number, MaskedColumn>;
    }
  >();
  for (const [oidText, schema, table, attnumText, name, typeText, parents] of rows) {
    const oid = Number(oidText);
    let kid = kids.get(oid);
    if (!kid) {
      kid = {
        schema: schema!,
        table: table!,
        parents: (parents ?? '').split(',').filter(Boolean).map(Number),
        attributes: [],
        columns: new Map(),
      };
      kids.set(oid, kid);
    }
    kid.attributes.push({ attnum: Number(attnumText), name: name!, typeOid: Number(typeText) });
  }
  const columnsOf = (oid: number) => kids.get(oid)?.columns ?? masked.get(oid)?.columns;
  for (let changed = true; changed; ) {
    changed = false;
    for (const kid of kids.values()) {
      for (const attribute of kid.attributes) {
        if (kid.columns.has(attribute.attnum)) continue;
        let strategy = rules.strategyFor(kid, attribute.name);
        for (const parent of kid.parents) {
          if (strategy) break;
          for (const column of columnsOf(parent)?.values() ?? [])
            if (column.name === attribute.name) strategy = column.strategy;
        }
        if (!strategy) continue;
        kid.columns.set(attribute.attnum, { name: attribute.name, typeOid: attribute.typeOid, strategy });
        changed = true;
      }
    }
  }
  const out = new Map<number, MaskedRelation>();
  for (const [oid, kid] of kids) {
    if (kid.columns.size === 0) continue;
    out.set(oid, { schema: kid.schema, table: kid.table, attributes: kid.attributes, columns: kid.columns });
  }
  return out;
}

/**
 * Built-in functions that read relations named in a string (`query_to_xml('select phone from
 * customers', ...)`): a view calling one depends on nothing masked, yet returns masked data, so it
 * counts like a view calling a user function. PostgreSQL records no dependency on built-ins (they
 * are pinned), so such views are found in their stored rule trees (`:funcid <oid> `). The names are
 * constants of this module.
 */
const READS_SQL_TEXT = `r.ev_action::text ~ (':funcid (' || (SELECT pg_catalog.string_agg(p.oid::text, '|')
      FROM pg_catalog.pg_proc p WHERE p.proname IN (${[...DATA_READING_FUNCTIONS].map((name) => `'${name}'`).join(', ')})) || ') ')`;

/**
 * Candidate views: views and materialized views that depend on a masked relation, a user function
 * (whose body may read anything) or a built-in that runs SQL text, and views over those. For each:
 * whether it reads a masked column (a column-level dependency), whether it calls a user function or
 * such a built-in, its definition (for whole-row references, which PostgreSQL records as a
 * whole-table dependency only) and the relations it reads.
 */
function candidateViewsSql(seed: string): string {
  return `WITH RECURSIVE seed(oid, att) AS (VALUES ${seed}),
  dep AS (
    SELECT r.ev_class AS view, d.refclassid AS refclass, d.refobjid AS ref, d.refobjsubid AS att
      FROM pg_catalog.pg_rewrite r
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
      JOIN pg_catalog.pg_class v ON v.oid = r.ev_class AND v.relkind IN ('v', 'm')
     WHERE d.refobjid <> r.ev_class
  ),
  cand(oid) AS (
    SELECT view FROM dep
     WHERE (refclass = 'pg_catalog.pg_class'::pg_catalog.regclass AND ref IN (SELECT oid FROM seed))
        OR (refclass = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ref >= 16384)
    UNION
    SELECT r.ev_class FROM pg_catalog.pg_rewrite r
      JOIN pg_catalog.pg_class v ON v.oid = r.ev_class AND v.relkind IN ('v', 'm')
     WHERE ${READS_SQL_TEXT}
    UNION
    SELECT dep.view FROM dep JOIN cand ON dep.refclass = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.ref = cand.oid
  )
  SELECT c.oid::int8, n.nspname, c.relname,
         EXISTS (SELECT 1 FROM dep JOIN seed s ON s.oid = dep.ref AND s.att = dep.att
                  WHERE dep.view = c.oid AND dep.refclass = 'pg_catalog.pg_class'::pg_catalog.regclass)::text,
         (EXISTS (SELECT 1 FROM dep WHERE dep.view = c.oid
                    AND dep.refclass = 'pg_catalog.pg_proc'::pg_catalog.regclass AND dep.ref >= 16384)
          OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid AND ${READS_SQL_TEXT}))::text,
         pg_catalog.pg_get_viewdef(c.oid),
         (SELECT pg_catalog.string_agg(DISTINCT dep.ref::text, ',') FROM dep
           WHERE dep.view = c.oid AND dep.refclass = 'pg_catalog.pg_class'::pg_catalog.regclass)
    FROM (SELECT DISTINCT oid FROM cand) cand
    JOIN pg_catalog.pg_class c ON c.oid = cand.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`;
}

/** Fixpoint over candidate views: tainted on its own, or reading a tainted view. */
function taintedViews(
  rows: readonly (string | null)[][],
  readsWholeRow: (definition: string) => boolean,
): Map<number, { schema: string; table: string }> {
  const tainted = new Map<number, { schema: string; table: string }>();
  const pending: { oid: number; schema: string; table: string; refs: number[] }[] = [];
  for (const [oidText, schema, table, readsMasked, callsUser, definition, refs] of rows) {
    const view = { oid: Number(oidText), schema: schema!, table: table! };
    const refList = (refs ?? '').split(',').filter(Boolean).map(Number);
    if (readsMasked === 'true' || callsUser === 'true' || readsWholeRow(definition ?? '')) {
      tainted.set(view.oid, { schema: view.schema, table: view.table });
    } else pending.push({ ...view, refs: refList });
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const view of pending) {
      if (tainted.has(view.oid) || !view.refs.some((r) => tainted.has(r))) continue;
      tainted.set(view.oid, { schema: view.schema, table: view.table });
      changed = true;
    }
  }
  return tainted;
}

/** One catalog per target, shared by every session of the same connection definition. */
const catalogs = new Map<string, { readonly key: string; readonly catalog: MaskingCatalog }>();

/** The shared catalog for `connection`; a changed definition (config reload) gets a new one. */
export function catalogFor(
  connection: Connection,
  password: () => string,
  readsWholeRow?: (definition: string) => boolean,
): MaskingCatalog {
  const key = JSON.stringify([
    connection.host,
    connection.port,
    connection.database,
    connection.user,
    connection.masking?.columns,
  ]);
  const found = catalogs.get(connection.name);
  if (found && found.key === key) return found.catalog;
  found?.catalog.close();
  const catalog = new MaskingCatalog(connection, password, readsWholeRow ? { readsWholeRow } : {});
  catalogs.set(connection.name, { key, catalog });
  return catalog;
}
