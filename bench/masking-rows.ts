/**
 * @module `npx tsx bench/masking-rows.ts [rows] [--only masked|content|statements]`: what masking
 * costs on the data path without the network. A real `SessionMasking` (the relay's masking, with a
 * stand-in catalog snapshot for `pgbench_accounts`) rewrites N DataRow frames shaped like
 * `select * from pgbench_accounts` (aid, bid, abalance int4 in text format, filler char(84)), framed
 * from 64 KiB chunks by the relay's `BackendParser`, as the bench policy masks them: `abalance`
 * partial, `filler` redact, content detection `[EMAIL, CREDIT_CARD]`. Prints µs per row and MB/s of
 * input for framing alone, content detection alone and the bench's masking; then the per-statement
 * check of pgbench `-S` simple (a new literal each time): the refusal check uncached and through the
 * session. For a profile: `node --cpu-prof --import tsx bench/masking-rows.ts 2000000 --only masked`.
 */
import type { ConnectionMasking } from '../src/core/connection.js';
import { initClassifier } from '../src/protocols/postgres/classify/index.js';
import { BackendParser } from '../src/protocols/postgres/codec/parser.js';
import { analyzeSql } from '../src/protocols/postgres/masking/analysis.js';
import type { CatalogSnapshot, MaskingCatalog } from '../src/protocols/postgres/masking/catalog.js';
import { SessionMasking } from '../src/protocols/postgres/masking/session.js';
import { backend, frontend } from '../src/protocols/postgres/testing/builders.js';
import { BufferWriter } from '../src/wire/buffer-writer.js';

const ACCOUNTS_OID = 16_400;
const INT4 = 23;
const BPCHAR = 1042;

const snapshot: CatalogSnapshot = {
  takenAtMs: Date.now(),
  maxOid: 20_000,
  masked: new Map([
    [
      ACCOUNTS_OID,
      {
        schema: 'public',
        table: 'pgbench_accounts',
        columns: new Map([
          [3, { name: 'abalance', typeOid: INT4, strategy: { kind: 'partial', keep: 4 } as const }],
          [4, { name: 'filler', typeOid: BPCHAR, strategy: { kind: 'redact' } as const }],
        ]),
        attributes: [
          { attnum: 1, name: 'aid', typeOid: INT4 },
          { attnum: 2, name: 'bid', typeOid: INT4 },
          { attnum: 3, name: 'abalance', typeOid: INT4 },
          { attnum: 4, name: 'filler', typeOid: BPCHAR },
        ],
      },
    ],
  ]),
  tainted: new Map(),
  sensitiveNames: new Set(['pgbench_accounts']),
  viewNames: new Set(),
  maskedColumnNames: new Set(['abalance', 'filler']),
};

/** What the catalog says with no column rules: nothing is masked by column. */
const noColumns: CatalogSnapshot = {
  ...snapshot,
  masked: new Map(),
  sensitiveNames: new Set(),
  maskedColumnNames: new Set(),
};

/** The catalog's synchronous face (no control connection: the snapshot is always fresh). */
function catalogOf(s: CatalogSnapshot): MaskingCatalog {
  return {
    rules: undefined,
    snapshot: s,
    fresh: () => s,
    invalidate: () => {},
    refresh: async () => s,
    close: () => {},
  } as unknown as MaskingCatalog;
}

const BENCH: ConnectionMasking = {
  columns: [
    { table: 'pgbench_accounts', column: 'filler', strategy: { kind: 'redact' } },
    { table: 'pgbench_accounts', column: 'abalance', strategy: { kind: 'partial', keep: 4 } },
  ],
  detect: ['EMAIL', 'CREDIT_CARD'],
  onDerived: 'redact',
  denyPredicates: false,
  region: 'US',
};
const CONTENT_ONLY: ConnectionMasking = { ...BENCH, columns: [] };

function rowDescription(): Buffer {
  const w = new BufferWriter();
  const fields: [string, number, number, number][] = [
    ['aid', 1, INT4, 4],
    ['bid', 2, INT4, 4],
    ['abalance', 3, INT4, 4],
    ['filler', 4, BPCHAR, -1],
  ];
  w.int16(fields.length);
  for (const [name, attnum, type, size] of fields)
    w.cstring(name).int32(ACCOUNTS_OID).int16(attnum).int32(type).int16(size).int32(-1).int16(0);
  return Buffer.from(w.flush(0x54));
}

/** `rows` DataRows like pgbench_accounts at scale 10, in 64 KiB chunks (as sockets deliver them). */
function dataRowChunks(rows: number): { chunks: Buffer[]; bytes: number } {
  const filler = ' '.repeat(84);
  const parts: Buffer[] = [];
  for (let i = 1; i <= rows; i++) {
    parts.push(backend.dataRow([String(i), String(1 + Math.floor(i / 100_000)), '0', filler]));
  }
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 64 * 1024) chunks.push(all.subarray(at, at + 64 * 1024));
  return { chunks, bytes: all.length };
}

function session(masking: ConnectionMasking): SessionMasking {
  const catalog = catalogOf(masking.columns.length > 0 ? snapshot : noColumns);
  return new SessionMasking({ masking, catalog, hashKey: undefined, onReady: () => {} });
}

/** Runs the rows through `masking` (or only the framing); returns CPU seconds. */
function run(masking: ConnectionMasking | undefined, chunks: readonly Buffer[]): number {
  const s = masking ? session(masking) : undefined;
  const parser = new BackendParser();
  let out = 0;
  if (s) {
    s.tap(frontend.query('select * from pgbench_accounts'));
    new BackendParser().parse(rowDescription(), (frame) => {
      s.rewrite(frame);
    });
  }
  const onFrame = s
    ? (frame: Parameters<Parameters<BackendParser['parse']>[1]>[0]) => {
        const r = s.rewrite(frame);
        out += r instanceof Buffer ? r.length : frame.length;
      }
    : (frame: Parameters<Parameters<BackendParser['parse']>[1]>[0]) => {
        out += frame.length;
      };
  const start = process.cpuUsage();
  for (const chunk of chunks) parser.parse(chunk, onFrame);
  const used = process.cpuUsage(start);
  if (out === 0) throw new Error('nothing came out');
  return (used.user + used.system) / 1e6;
}

function best(n: number, fn: () => number): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) min = Math.min(min, fn());
  return min;
}

const args = process.argv.slice(2);
const rows = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

await initClassifier();
const { chunks, bytes } = dataRowChunks(rows);
const mb = bytes / 1e6;
console.log(`${rows.toLocaleString('en')} DataRows like pgbench_accounts, ${mb.toFixed(1)} MB`);

const variants: [string, string, ConnectionMasking | undefined][] = [
  ['framing only (no masking)', 'framing', undefined],
  ['content detection only [EMAIL, CREDIT_CARD]', 'content', CONTENT_ONLY],
  ['bench masking (abalance partial, filler redact, content)', 'masked', BENCH],
];
for (const [label, key, masking] of variants) {
  if (only && only !== key) continue;
  const seconds = best(only ? 5 : 3, () => run(masking, chunks));
  console.log(
    `${label.padEnd(60)} ${((seconds * 1e6) / rows).toFixed(3).padStart(7)} µs/row ${(mb / seconds).toFixed(1).padStart(7)} MB/s`,
  );
}

if (!only || only === 'statements') {
  const n = 20_000;
  const texts = Array.from(
    { length: n },
    (_, i) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 1_000_000};`,
  );
  const ctx = {
    sensitiveNames: snapshot.sensitiveNames,
    viewNames: snapshot.viewNames,
    maskedColumnNames: snapshot.maskedColumnNames,
    onDerived: 'redact' as const,
    denyPredicates: false,
    detects: true,
  };
  const cpu = (fn: () => void): number => {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / n;
  };
  const cold = best(3, () =>
    cpu(() => {
      for (const t of texts) analyzeSql(t, ctx, true);
    }),
  );
  const s = session(BENCH);
  const queries = texts.map((t) => frontend.query(t));
  const cached = best(3, () =>
    cpu(() => {
      texts.forEach((t, i) => {
        s.refusal(t);
        s.tap(queries[i]!);
      });
    }),
  );
  console.log(`pgbench -S statement, analysis uncached (parse each)              ${cold.toFixed(2)} µs`);
  console.log(`pgbench -S statement, session refusal + tap (new literal each)    ${cached.toFixed(2)} µs`);

  // A whole statement through the session: what the client sends (tapped) and every answer frame.
  const sel = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
  const description = (() => {
    const w = new BufferWriter();
    w.int16(1).cstring('abalance').int32(ACCOUNTS_OID).int16(3).int32(INT4).int16(4).int32(-1).int16(0);
    return Buffer.from(w.flush(0x54));
  })();
  const answer = (first: Buffer[]) =>
    Buffer.concat([
      ...first,
      description,
      backend.dataRow(['-2875']),
      backend.commandComplete('SELECT 1'),
      backend.readyForQuery('I'),
    ]);
  const simpleAnswer = answer([]);
  const preparedAnswer = answer([backend.bindComplete()]);
  const preparedAsk = Buffer.concat([
    frontend.bind('', 'P0_1', ['48213']),
    frontend.describe('P', ''),
    frontend.execute(''),
    frontend.sync(),
  ]);
  const roundTrip = (prepared: boolean): number => {
    const ss = session(BENCH);
    const parser = new BackendParser();
    if (prepared) {
      ss.refusal(sel);
      ss.tap(Buffer.concat([frontend.parse('P0_1', sel), frontend.sync()]));
      parser.parse(Buffer.concat([backend.parseComplete(), backend.readyForQuery('I')]), (f) => {
        ss.rewrite(f);
      });
    }
    const onFrame = (f: Parameters<Parameters<BackendParser['parse']>[1]>[0]) => {
      ss.rewrite(f);
    };
    return cpu(() => {
      for (let i = 0; i < n; i++) {
        if (prepared) {
          ss.tap(preparedAsk);
          parser.parse(preparedAnswer, onFrame);
        } else {
          ss.refusal(texts[i]!);
          ss.tap(queries[i]!);
          parser.parse(simpleAnswer, onFrame);
        }
        ss.withCounts({ rows: 1 } as never);
      }
    });
  };
  console.log(
    `pgbench -S round trip through the session, simple (tap, check, 4 answers)  ${best(3, () => roundTrip(false)).toFixed(2)} µs`,
  );
  console.log(
    `pgbench -S round trip through the session, prepared (Bind..Sync, 5 answers) ${best(3, () => roundTrip(true)).toFixed(2)} µs`,
  );
}
