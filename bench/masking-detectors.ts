/**
 * @module `npx tsx bench/masking-detectors.ts`: the detector corpus figures (recall and
 * false-positive rate per entity, as `src/masking/detectors/corpus.test.ts` asserts them) and the
 * cost of content masking with every entity on: µs per KB for plain prose (the prefilter path),
 * for text full of numbers that holds nothing (the detectors run and find nothing), and for text
 * with hits; ns per value for short column values. See docs/masking.md.
 */
import { createContentMasker } from '../src/masking/content.js';
import { CORPORA } from '../src/masking/detectors/corpus/index.js';
import { CORPUS_REGION, scoreCorpus } from '../src/masking/detectors/corpus/score.js';
import { ENTITIES } from '../src/masking/entities.js';

const out = (line = '') => process.stdout.write(`${line}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function toKb(parts: readonly string[]): string {
  let text = '';
  for (let i = 0; text.length < 1024; i++) text += `${parts[i % parts.length]} `;
  return text.slice(0, 1024);
}

const PROSE = toKb([
  'The quick brown fox jumps over the lazy dog.',
  'Customers asked for faster shipping and better packaging, according to the survey.',
  'Please review the attached proposal before the meeting on Thursday.',
]);
const NUMBERS = toKb([
  'order ORD-20240115 qty 3 price 19.99 total 59.97 at 2024-01-15 10:23:45 build v1.2.3',
  'uuid 550e8400-e29b-41d4-a716-446655440000 sha 9f86d081884c7d659a2feaa0c55ad015',
  'id 123456789 ts 1700000000123 ratio 16:9 room 12',
]);
const HITS = toKb([
  'Contact jane.roe@example.com or call (202) 555-0143.',
  'Card 4111 1111 1111 1111, SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00.',
  'from 192.168.1.20 with password=hunter22 and key AKIAIOSFODNN7EXAMPLE',
]);
const SHORT_VALUES = [
  'Jane Roe',
  'Berlin',
  'Premium widget, blue',
  'active',
  'Springfield, IL',
  'N/A',
  'ACME Corp.',
];

/** Median over rounds of the time per call, in µs, after a warm-up. */
function timePerCall(fn: () => void, calls: number): number {
  for (let i = 0; i < calls; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    rounds.push(Number(process.hrtime.bigint() - started) / 1000 / calls);
  }
  rounds.sort((a, b) => a - b);
  return rounds[3]!;
}

out(`# Content detection, default region ${CORPUS_REGION}`);
out();
out(
  '| entity | recall | found / positives | false-positive rate | wrongly masked / negatives | ambiguous masked |',
);
out('|---|---|---|---|---|---|');
for (const corpus of CORPORA) {
  const s = scoreCorpus(corpus);
  const ambiguous = s.ambiguous === 0 ? '' : `${s.ambiguousMasked} / ${s.ambiguous}`;
  out(
    `| ${s.entity} | ${pct(s.recall)} | ${s.found} / ${s.positives} | ${pct(s.falsePositiveRate)} | ` +
      `${s.falsePositives} / ${s.negatives} | ${ambiguous} |`,
  );
}
out();

const masker = createContentMasker({ entities: ENTITIES, region: CORPUS_REGION });
let sink = 0;
const run = (text: string) => () => {
  sink += masker.mask(text)?.text.length ?? 0;
};
out('| text (every entity on) | cost |');
out('|---|---|');
out(`| 1 KB plain prose (prefilter only) | ${timePerCall(run(PROSE), 20_000).toFixed(2)} µs/KB |`);
out(`| 1 KB numbers, ids, dates, no hits | ${timePerCall(run(NUMBERS), 2_000).toFixed(2)} µs/KB |`);
const hitCount = Object.values(masker.mask(HITS)?.counts ?? {}).reduce((a, b) => a + (b ?? 0), 0);
out(`| 1 KB with hits (${hitCount} values masked) | ${timePerCall(run(HITS), 1_000).toFixed(2)} µs/KB |`);
let v = 0;
const shortCost = timePerCall(() => {
  sink += masker.mask(SHORT_VALUES[v++ % SHORT_VALUES.length]!)?.text.length ?? 0;
}, 200_000);
out(`| short column value (name, city, status) | ${(shortCost * 1000).toFixed(0)} ns/value |`);
out();
out(`(node ${process.version}, ${sink > 0 ? 'checked' : 'unchecked'})`);
