/**
 * @module Plain-text tables for the bench report. Pure: everything returns strings.
 */
import type { Group } from './results.js';
import type { Scenario } from './scenarios.js';

/** A column: header text and which side its cells hug. */
export interface Column {
  readonly header: string;
  readonly align: 'left' | 'right';
}

/** Lays rows out under headers, padded to the widest cell, with a rule under the header. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(r)),
  ].join('\n');
}

/** Integer with comma grouping ("12,345"), independent of the machine's locale; "-" for NaN. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Fixed decimals, "-" for NaN or undefined. */
export function formatFixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** "0.87x", "-" when unknown. */
export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

/** "+0.412 ms" / "-0.020 ms", "-" when unknown. */
export function formatAddedMs(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return `${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(3)} ms`;
}

const TARGET_COLUMNS: readonly Column[] = [
  { header: 'target', align: 'left' },
  { header: 'tps', align: 'right' },
  { header: 'tps min..max', align: 'right' },
  { header: 'avg ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: 'proxy CPU µs/tx', align: 'right' },
  { header: 'rounds ok', align: 'right' },
];

/** The table of one (scenario, clients) group and the ratio line under it. */
export function formatGroup(group: Group, scenario: Scenario | undefined): string {
  const title = `${scenario?.title ?? group.scenario} - ${group.clients} clients`;
  const rows = group.targets.map((t) => [
    t.target,
    formatCount(t.tps),
    Number.isFinite(t.tpsMin) ? `${formatCount(t.tpsMin)}..${formatCount(t.tpsMax)}` : '-',
    formatFixed(t.avgMs, 3),
    formatFixed(t.p99Ms, 3),
    formatFixed(t.proxyCpuUsPerTx, 1),
    `${t.okRounds}/${t.rounds}`,
  ]);
  const c = group.comparison;
  const ratios =
    `Airlock/pgbouncer tps ${formatRatio(c.airlockVsPgbouncer)}, ` +
    `Airlock/direct tps ${formatRatio(c.airlockVsDirect)}, ` +
    `Airlock p99 vs direct ${formatAddedMs(c.airlockAddedP99Ms)} ` +
    `(pgbouncer/direct tps ${formatRatio(c.pgbouncerVsDirect)}, p99 ${formatAddedMs(c.pgbouncerAddedP99Ms)}); ` +
    `guardrails on/off tps ${formatRatio(c.guardedVsAirlock)}; ` +
    `masking on/off tps ${formatRatio(c.maskedVsAirlock)}`;
  const errors = group.targets.flatMap((t) => t.errors.map((e) => `  ${t.target} failed: ${e}`));
  return [title, formatTable(TARGET_COLUMNS, rows), ratios, ...errors].join('\n');
}

/** One line per group: the ratios only, for the end of the report and for issue notes. */
export function formatRatioSummary(groups: readonly Group[]): string {
  return formatTable(
    [
      { header: 'scenario', align: 'left' },
      { header: 'clients', align: 'right' },
      { header: 'Airlock/pgbouncer', align: 'right' },
      { header: 'Airlock/direct', align: 'right' },
      { header: 'pgbouncer/direct', align: 'right' },
      { header: 'Airlock added p99', align: 'right' },
      { header: 'guardrails on/off', align: 'right' },
      { header: 'masking on/off', align: 'right' },
    ],
    groups.map((g) => [
      g.scenario,
      String(g.clients),
      formatRatio(g.comparison.airlockVsPgbouncer),
      formatRatio(g.comparison.airlockVsDirect),
      formatRatio(g.comparison.pgbouncerVsDirect),
      formatAddedMs(g.comparison.airlockAddedP99Ms),
      formatRatio(g.comparison.guardedVsAirlock),
      formatRatio(g.comparison.maskedVsAirlock),
    ]),
  );
}
