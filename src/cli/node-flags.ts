/**
 * @module V8 flags the `airlock` binary sets for itself, before anything else is loaded (main.ts
 * imports this module first, and ES modules run in import order). Measured in docs/benchmarks.md,
 * "Memory and the drain". Both are about WebAssembly (the SQL parser, Cedar), whose compilers,
 * not the code's own data, held 35–65 MB of a started server:
 *
 * - Every command: `--wasm-num-compilation-tasks=1`. V8 re-compiles hot WebAssembly functions
 *   with its optimizing compiler in background tasks, by default as many at once as there are
 *   cores, and what each compile used stays in its thread's malloc arena. One at a time, building
 *   the policies costs ~35–45 MB less and is no slower.
 * - Long-running commands (`serve`, `demo`): `--no-liftoff` on top. Functions are compiled by the
 *   optimizing compiler on first call instead of by the baseline one first and then again in the
 *   background under load: the server settles ~15–30 MB lower under load and parses faster from
 *   the start, for ~1.5 s more CPU at start and ~0.3 s on the first statement the parser sees.
 *
 * Only flags that are safe to set at run time, and only before any WebAssembly is compiled; heap
 * sizes cannot be changed this way (run `node --max-semi-space-size=4 .../airlock` for that).
 */
import { setFlagsFromString } from 'node:v8';

/** Commands that run until stopped, where memory counts more than a second of start. */
const LONG_RUNNING = new Set(['serve', 'demo']);

/** The V8 flags for `airlock` run with `argv` (the arguments after the script). */
export function airlockV8Flags(argv: readonly string[]): string[] {
  const flags = ['--wasm-num-compilation-tasks=1'];
  if (argv.some((arg) => LONG_RUNNING.has(arg))) flags.push('--no-liftoff');
  return flags;
}

// The bench's Airlock child imports this module too, started with `serve` as its argument.
for (const flag of airlockV8Flags(process.argv.slice(2))) setFlagsFromString(flag);
