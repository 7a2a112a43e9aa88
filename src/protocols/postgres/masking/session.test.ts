import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Connection, ConnectionMasking } from '../../../core/connection.js';
import { initClassifier } from '../classify/index.js';
import type { CatalogSnapshot, MaskingCatalog } from './catalog.js';
import { type MaskingRules, SessionMasking } from './session.js';

await initClassifier();

const OIDS: Record<string, number> = { customers: 16_400, people: 16_401 };

/** A snapshot where each `table.column` is masked (redact); every table has id, email and phone. */
function snapshotFor(rules: readonly string[]): CatalogSnapshot {
  const masked = new Map<
    number,
    CatalogSnapshot['masked'] extends ReadonlyMap<number, infer R> ? R : never
  >();
  for (const [table, oid] of Object.entries(OIDS)) {
    const attributes = ['id', 'email', 'phone'].map((name, i) => ({ attnum: i + 1, name, typeOid: 25 }));
    const columns = new Map(
      attributes
        .filter((a) => rules.includes(`${table}.${a.name}`))
        .map((a) => [a.attnum, { name: a.name, typeOid: 25, strategy: { kind: 'redact' as const } }]),
    );
    if (columns.size) masked.set(oid, { schema: 'public', table, columns, attributes });
  }
  return {
    takenAtMs: 0,
    maxOid: 16_401,
    masked,
    tainted: new Map(),
    sensitiveNames: new Set([...masked.values()].map((r) => r.table)),
    viewNames: new Set(),
    maskedColumnNames: new Set(rules.map((r) => r.split('.')[1]!)),
    userCode: { routines: new Set(), operators: new Set(), checkedDomains: new Set() },
  };
}

/** A catalog without a control connection; `ready: false` has no snapshot yet (just reloaded). */
function catalogOf(s: CatalogSnapshot, ready = true): MaskingCatalog {
  let current = ready ? s : undefined;
  return {
    get snapshot() {
      return current;
    },
    fresh: () => current,
    invalidate: () => {},
    refresh: async () => {
      // A lookup takes a while: the statement that started it is checked before it is in.
      await new Promise((resolve) => setTimeout(resolve, 5));
      current = s;
      return s;
    },
    close: () => {},
  } as unknown as MaskingCatalog;
}

function masking(rules: readonly string[]): ConnectionMasking {
  return {
    columns: rules.map((rule) => {
      const [table, column] = rule.split('.') as [string, string];
      return { table, column, strategy: { kind: 'redact' } };
    }),
    detect: [],
    onDerived: 'redact',
    denyPredicates: false,
    region: 'US',
  };
}

function connection(columns: readonly string[]): Connection {
  return { name: 'db', masking: masking(columns) } as unknown as Connection;
}

const EXPORT_PHONE = 'create table stolen as select phone from people';

describe('SessionMasking follows config reloads per statement', () => {
  it('checks the next statement with rules a reload put in force, and with fewer after a removal', () => {
    let live = connection(['customers.email']);
    const initial = live;
    let ready = true;
    const built: string[] = [];
    const s = new SessionMasking({
      masking: initial.masking!,
      catalog: catalogOf(snapshotFor(['customers.email'])),
      hashKey: undefined,
      onReady: () => {},
      live: {
        initial,
        current: () => live,
        build: (c): MaskingRules => {
          const columns = c.masking!.columns.map((r) => `${r.table}.${r.column}`);
          built.push(columns.join(','));
          return { masking: c.masking!, catalog: catalogOf(snapshotFor(columns), ready), hashKey: undefined };
        },
      },
    });
    assert.equal(s.refusal(EXPORT_PHONE), undefined);
    // A reload that changes nothing about masking (another key changed) builds nothing.
    live = { ...initial } as Connection;
    assert.equal(s.refusal(EXPORT_PHONE), undefined);
    assert.deepEqual(built, []);

    live = connection(['customers.email', 'people.phone']);
    assert.equal(s.refusal(EXPORT_PHONE)?.rule, 'masking-export');
    assert.deepEqual(built, ['customers.email,people.phone']);

    live = connection(['customers.email']);
    assert.equal(s.refusal(EXPORT_PHONE), undefined);

    // Before the new rules' catalog is read, every relation counts as masked: refusals do not wait for it.
    ready = false;
    live = connection(['people.phone']);
    assert.equal(s.refusal('create table copied as select id from orders')?.rule, 'masking-export');
  });

  it('refuses statements while new rules cannot be built, then applies them once they can', () => {
    const initial = connection(['customers.email']);
    let live = initial;
    let fail = true;
    const s = new SessionMasking({
      masking: initial.masking!,
      catalog: catalogOf(snapshotFor(['customers.email'])),
      hashKey: undefined,
      onReady: () => {},
      live: {
        initial,
        current: () => live,
        build: (c) => {
          if (fail) throw new Error('environment variable MASK_KEY is not set');
          return {
            masking: c.masking!,
            catalog: catalogOf(snapshotFor(['customers.email', 'people.phone'])),
            hashKey: undefined,
          };
        },
      },
    });
    live = connection(['customers.email', 'people.phone']);
    const denied = s.refusal('select 1');
    assert.equal(denied?.rule, 'masking-reload');
    assert.match(denied!.error.message, /MASK_KEY is not set/);
    fail = false;
    assert.equal(s.refusal('select 1'), undefined);
    assert.equal(s.refusal(EXPORT_PHONE)?.rule, 'masking-export');
  });
});
