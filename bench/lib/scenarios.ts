/**
 * @module The pgbench workloads and the targets they run against. Later issues add scenarios here
 * (one entry each); the runner and the table pick them up by name.
 */

/** One pgbench workload. */
export interface Scenario {
  /** Short name for `--scenarios` and the JSON results. */
  readonly name: string;
  /** Heading printed above its table. */
  readonly title: string;
  /** pgbench arguments that select the workload (clients, duration and logging are added). */
  readonly pgbenchArgs: readonly string[];
  /**
   * Writes to pgbench tables: run `VACUUM` on the small tables and empty `pgbench_history` over the
   * direct connection before each run (what pgbench itself does without `-n`), so every run, on
   * every target, starts from the same table state.
   */
  readonly resetsTables: boolean;
  /** Targets this workload does not run on, with why (printed as a note). */
  readonly skips?: Partial<Record<TargetName, string>>;
}

/** The built-in scenarios, in the order they run. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'select-simple',
    title: 'select-only (-S), simple query protocol',
    pgbenchArgs: ['-S', '-M', 'simple'],
    resetsTables: false,
  },
  {
    name: 'select-prepared',
    title: 'select-only (-S), prepared statements (-M prepared)',
    pgbenchArgs: ['-S', '-M', 'prepared'],
    resetsTables: false,
  },
  {
    name: 'tpcb',
    title: 'TPC-B-like (default script), simple query protocol',
    pgbenchArgs: ['-M', 'simple'],
    resetsTables: true,
    skips: {
      // Not a slow path: a refusal by design (docs/masking.md, "Statements refused on a masked
      // connection"). A partially masked column rewritten from itself can reveal the digits its mask
      // hides (`SET abalance = abalance / 10000`), so UPDATE ... SET sourcing a masked column is refused.
      'airlock-masked':
        "the masked twin masks pgbench_accounts.abalance (partial), and TPC-B's UPDATE ... SET abalance = abalance + :delta is refused on it by design",
    },
  },
];

/** What pgbench connects to. */
export const TARGETS = ['direct', 'pgbouncer', 'airlock', 'airlock-guarded', 'airlock-masked'] as const;
export type TargetName = (typeof TARGETS)[number];

/** SQL that restores the tables a writing scenario touched (run as superuser, direct). */
export const RESET_TABLES_SQL =
  'VACUUM pgbench_branches; VACUUM pgbench_tellers; TRUNCATE pgbench_history; VACUUM pgbench_history';
