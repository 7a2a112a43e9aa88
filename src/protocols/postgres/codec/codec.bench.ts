/**
 * @module Codec micro-benchmark: `npx tsx src/protocols/postgres/codec/codec.bench.ts`. Prints ops/s
 * for the relay's hot paths (peek-only framing of result rows, decoding the messages the relay looks
 * at, framing and decoding client pipelines, building errors). Runs in under two seconds.
 */
import { backend, frontend } from '../testing/builders.js';
import { decodeBackend } from './backend-decoder.js';
import { BackendCode } from './codes.js';
import { decodeFrontend } from './frontend-decoder.js';
import { BackendParser, FrontendParser } from './parser.js';
import { errorResponse } from './serializer.js';

const BUDGET_MS = 200;

function bench(name: string, unit: string, perOp: number, op: () => void): void {
  // Warm up so the JIT has compiled the path before timing.
  for (let i = 0; i < 50; i++) op();
  let ops = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    op();
    ops++;
    elapsed = performance.now() - started;
  }
  const rate = (ops * perOp * 1000) / elapsed;
  console.log(`${name.padEnd(48)} ${Math.round(rate).toLocaleString('en-US').padStart(14)} ${unit}/s`);
}

function chunks(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += size) out.push(stream.subarray(i, i + size));
  return out;
}

// 1,000 rows of five columns, the way a SELECT result arrives, in 16 KiB socket reads.
const rows: Buffer[] = [
  backend.rowDescription(['id', 'name', 'email', 'balance', 'created'].map((name) => ({ name }))),
];
for (let i = 0; i < 1000; i++) {
  rows.push(backend.dataRow([String(i), `name ${i}`, `user${i}@example.com`, String(i * 3.5), '2026-01-01']));
}
rows.push(backend.commandComplete('SELECT 1000'), backend.readyForQuery('I'));
const resultChunks = chunks(Buffer.concat(rows), 16 * 1024);

// One parser per direction, as on a live connection.
const backendParser = new BackendParser();
const frontendParser = new FrontendParser({ phase: 'tagged' });

bench('backend: frame result rows (peek only)', 'messages', rows.length, () => {
  const parser = backendParser;
  let count = 0;
  for (const chunk of resultChunks) {
    parser.parse(chunk, (frame) => {
      if (frame.code === BackendCode.DataRow) count++;
    });
  }
  if (count !== 1000) throw new Error('lost rows');
});

bench('backend: frame + decode only what the relay reads', 'messages', rows.length, () => {
  const parser = backendParser;
  for (const chunk of resultChunks) {
    parser.parse(chunk, (frame) => {
      if (frame.code !== BackendCode.DataRow) decodeBackend(frame);
    });
  }
});

bench('backend: frame + decode every row', 'messages', rows.length, () => {
  for (const chunk of resultChunks) backendParser.parse(chunk, (frame) => decodeBackend(frame));
});

// pgbench -M prepared style: Bind/Execute/Sync per transaction, 100 transactions per read.
const pipeline: Buffer[] = [];
for (let i = 0; i < 100; i++) {
  pipeline.push(frontend.bind('', 'P0_1', [String(i)]), frontend.execute(''), frontend.sync());
}
const pipelineBytes = Buffer.concat(pipeline);

bench('frontend: frame + decode B/E/S pipelines', 'messages', pipeline.length, () => {
  frontendParser.parse(pipelineBytes, (frame) => decodeFrontend(frame));
});

const query = frontend.query('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;');
bench('frontend: frame + decode one Query', 'messages', 1, () => {
  frontendParser.parse(query, (frame) => decodeFrontend(frame));
});

bench('serializer: ErrorResponse', 'messages', 1, () => {
  errorResponse({
    severity: 'ERROR',
    code: '42501',
    message: 'the statement was denied by policy',
    hint: 'Ask an admin.',
  });
});
