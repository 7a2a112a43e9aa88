/**
 * @module Command-line options of `npm run bench`, parsed into a plain object (pure; tested).
 */
import { parseArgs } from 'node:util';
import { SCENARIOS, TARGETS, type TargetName } from './scenarios.js';

/** Measurements `--extras` can name. */
export const EXTRAS = ['idle', 'bulk', 'wakeup'] as const;

/** Everything a bench run is told. */
export interface BenchOptions {
  readonly rounds: number;
  /** Seconds per pgbench run. */
  readonly durationS: number;
  readonly clients: readonly number[];
  /** pgbench `-j` (threads). */
  readonly threads: number;
  /** pgbench `-i -s` scale factor. */
  readonly scale: number;
  readonly scenarios: readonly string[];
  readonly targets: readonly TargetName[];
  /** Measurements beyond pgbench: `idle` (RSS with idle sessions), `bulk` (bulk read MB/s). */
  readonly extras: readonly string[];
  /** Sessions the idle measurement opens. */
  readonly idleSessions: number;
  /** Approvals per path the wake-up measurement times. */
  readonly wakeupRuns: number;
  /** Where to write the JSON results, if anywhere. */
  readonly jsonFile: string | undefined;
  readonly help: boolean;
}

/** Printed by `--help`. */
export const USAGE = `Usage: npm run bench -- [options]

Runs pgbench against PostgreSQL directly, through pgbouncer (when installed) and through Airlock,
interleaved, and prints tps, average and p99 latency, proxy CPU per transaction and the ratios.

  --rounds N         rounds of every (scenario, clients, target) run; tps etc. are medians (default 3)
  --duration S       seconds per pgbench run (default 10)
  --clients LIST     client counts, comma separated (default 8,64)
  --threads N        pgbench -j (default 2)
  --scale N          pgbench -i -s scale factor (default 10)
  --scenarios LIST   ${SCENARIOS.map((s) => s.name).join(',')} (default: all)
  --targets LIST     ${TARGETS.join(',')} (default: all available)
  --extras LIST      idle,bulk,wakeup or none: RSS with idle sessions, bulk read MB/s, approval
                     wake-up latency (default: all three)
  --idle N           sessions the idle measurement opens (default 1000, --quick: 100)
  --quick            smoke run: 1 round of 2 s (explicit --rounds/--duration win)
  --json FILE        also write the results as JSON
  -h, --help         this text
`;

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} expects a positive integer, got "${value}"`);
  return n;
}

function list(name: string, value: string, allowed: readonly string[]): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item)) {
      throw new Error(`--${name}: unknown "${item}", expected one of ${allowed.join(', ')}`);
    }
  }
  if (items.length === 0) throw new Error(`--${name} expects at least one of ${allowed.join(', ')}`);
  return items;
}

/** Parses `argv` (without node and script). Throws with a message naming the bad option. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      clients: { type: 'string' },
      threads: { type: 'string' },
      scale: { type: 'string' },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      extras: { type: 'string' },
      idle: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick === true;
  return {
    rounds: values.rounds ? positiveInt('rounds', values.rounds) : quick ? 1 : 3,
    durationS: values.duration ? positiveInt('duration', values.duration) : quick ? 2 : 10,
    clients: (values.clients ?? '8,64').split(',').map((c) => positiveInt('clients', c.trim())),
    threads: values.threads ? positiveInt('threads', values.threads) : 2,
    scale: values.scale ? positiveInt('scale', values.scale) : 10,
    scenarios: values.scenarios
      ? list(
          'scenarios',
          values.scenarios,
          SCENARIOS.map((s) => s.name),
        )
      : SCENARIOS.map((s) => s.name),
    targets: values.targets ? (list('targets', values.targets, TARGETS) as TargetName[]) : [...TARGETS],
    extras:
      values.extras === 'none' ? [] : values.extras ? list('extras', values.extras, EXTRAS) : [...EXTRAS],
    idleSessions: values.idle ? positiveInt('idle', values.idle) : quick ? 100 : 1000,
    wakeupRuns: quick ? 10 : 40,
    jsonFile: values.json,
    help: values.help === true,
  };
}
