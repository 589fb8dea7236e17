/**
 * The report of a seeded ablation (lib/train/ablation_plan.ts): reads each run's `stress.json`
 * from `<root>/<row>/seed-<k>/`, and tabulates per row the mean +- sd over seeds on every split,
 * and each step's paired difference to the row before it with its 95% interval
 * (lib/eval/ablation_stats.ts). The summary is plain JSON for notebook 06.
 *
 * @module
 */

import { join } from "@std/path";
import { dirNames, ifExists } from "../io/missing.ts";
import { ABLATION_STEPS, type AblationStepId } from "../train/ablation.ts";
import { type MeanSd, meanSd, type PairedDifference, pairedDifference } from "./ablation_stats.ts";
import { REPORT_COLUMNS, type ReportColumn } from "./stress.ts";
import { readStressFile } from "./stress_run.ts";

/** The file the report's JSON summary is written to. */
export const SUMMARY_FILE = "ablation_summary.json";

/** Format version of the summary. */
export const SUMMARY_VERSION = 1;

/** One run's numbers as the report reads them. */
export interface SeededRun {
  readonly step: AblationStepId;
  readonly seed: number;
  /** Relative to the plan's root. */
  readonly dir: string;
  /** Null when the run has no `stress.json` yet. */
  readonly scores: Readonly<Record<string, number | null>> | null;
  readonly trainStep: number | null;
}

/** One cell of the means table. */
export interface SeededCell extends MeanSd {
  readonly values: readonly { readonly seed: number; readonly value: number }[];
}

/** The report of a seeded ablation. */
export interface SeededSummary {
  readonly version: number;
  readonly seeds: readonly number[];
  readonly columns: readonly ReportColumn[];
  readonly rows: readonly {
    readonly step: AblationStepId;
    readonly label: string;
    readonly short: string;
    readonly paperMean: number;
    readonly cells: Readonly<Record<string, SeededCell>>;
  }[];
  /** Row k minus row k-1 (rows with no scored run are skipped), paired by seed. */
  readonly differences: readonly {
    readonly step: AblationStepId;
    readonly from: AblationStepId;
    readonly label: string;
    readonly cells: Readonly<Record<string, PairedDifference>>;
  }[];
  /** Runs found without a `stress.json`. */
  readonly unscored: readonly string[];
}

/**
 * Reads every `<root>/<row>/seed-<k>/` folder and its `stress.json` (runs without one are listed
 * with `scores: null`). A missing root gives no runs.
 *
 * @example
 * ```ts
 * const runs = await readSeededRuns("runs/abl");
 * runs.filter((r) => r.scores === null); // not evaluated yet
 * ```
 */
export async function readSeededRuns(root: string): Promise<SeededRun[]> {
  const runs: SeededRun[] = [];
  for (const { id } of ABLATION_STEPS) {
    const isSeed = (e: Deno.DirEntry) => e.isDirectory && /^seed-\d+$/.test(e.name);
    const names = await ifExists(() => dirNames(join(root, id), isSeed));
    for (const name of names ?? []) {
      const dir = join(id, name);
      const file = await readStressFile(join(root, dir));
      runs.push({
        step: id,
        seed: Number(name.slice("seed-".length)),
        dir,
        scores: file?.scores ?? null,
        trainStep: file?.trainStep ?? null,
      });
    }
  }
  return runs.sort((a, b) => a.seed - b.seed);
}

/**
 * Summarises scored runs: per row and column the mean +- sd over seeds, per step the paired
 * difference to the previous row that has runs. Pure.
 *
 * @example
 * ```ts
 * const s = summariseSeeded(await readSeededRuns("runs/abl"));
 * s.differences[0].cells.val; // + MSS minus hourglass on the validation people
 * ```
 */
export function summariseSeeded(
  runs: readonly SeededRun[],
  columns: readonly ReportColumn[] = REPORT_COLUMNS,
): SeededSummary {
  const scored = runs.filter((r) => r.scores !== null);
  const valuesOf = (step: AblationStepId, column: string) =>
    new Map(
      scored.filter((r) => r.step === step).flatMap((r) => {
        const v = r.scores![column];
        return typeof v === "number" && Number.isFinite(v) ? [[r.seed, v] as const] : [];
      }),
    );
  const rows = ABLATION_STEPS.map((s) => ({
    step: s.id as AblationStepId,
    label: s.label as string,
    short: s.short as string,
    paperMean: s.paperMean as number,
    cells: Object.fromEntries(columns.map((c) => {
      const values = [...valuesOf(s.id, c.id)].map(([seed, value]) => ({ seed, value }));
      return [c.id, { ...meanSd(values.map((v) => v.value)), values }];
    })),
  }));
  const present = rows.filter((r) => scored.some((run) => run.step === r.step));
  const differences = present.slice(1).map((row, i) => {
    const prev = present[i]!;
    return {
      step: row.step,
      from: prev.step,
      label: `${row.short} vs ${prev.short}`,
      cells: Object.fromEntries(
        columns.map((
          c,
        ) => [c.id, pairedDifference(valuesOf(prev.step, c.id), valuesOf(row.step, c.id))]),
      ),
    };
  });
  return {
    version: SUMMARY_VERSION,
    seeds: [...new Set(scored.map((r) => r.seed))].sort((a, b) => a - b),
    columns,
    rows,
    differences,
    unscored: runs.filter((r) => r.scores === null).map((r) => r.dir),
  };
}

function fixed(v: number | null, digits = 2, sign = false): string {
  if (v === null) return "-";
  return `${sign && v >= 0 ? "+" : ""}${v.toFixed(digits)}`;
}

/**
 * The summary as two tables of cells: per row the mean +- sd (n seeds) on each column, and per
 * step the paired difference with its 95% interval, bold where the interval excludes zero.
 *
 * @example
 * ```ts
 * const { means, differences } = seededTables(summary);
 * console.log(markdownTable(means.header, means.rows));
 * ```
 */
export function seededTables(summary: SeededSummary): {
  means: { header: string[]; rows: string[][] };
  differences: { header: string[]; rows: string[][] };
} {
  const colHeader = summary.columns.map((c) =>
    c.higherIsBetter ? c.label : `${c.label} (lower is better)`
  );
  // One line per row or step: its label, then a cell per column ("-" where no seed scored it).
  const rowsOf = <C extends { readonly n: number }>(
    lines: readonly { readonly label: string; readonly cells: Readonly<Record<string, C>> }[],
    format: (cell: C) => string,
  ) =>
    lines.map((l) => [
      l.label,
      ...summary.columns.map((c) => (l.cells[c.id]!.n === 0 ? "-" : format(l.cells[c.id]!))),
    ]);
  const means = {
    header: ["row", ...colHeader],
    rows: rowsOf(summary.rows, (m) => `${fixed(m.mean)} ± ${fixed(m.sd)} (n=${m.n})`),
  };
  const differences = {
    header: ["step", ...colHeader],
    rows: rowsOf(summary.differences, (p) => {
      const text = `${fixed(p.mean, 2, true)} [${fixed(p.lo, 2, true)}, ${fixed(p.hi, 2, true)}]`;
      return p.verdict === "higher" || p.verdict === "lower" ? `**${text}**` : text;
    }),
  };
  return { means, differences };
}

/** A point of a chart with error bars (the shape of lib/viz's `ErrorBarPoint`). */
export interface IntervalPoint {
  readonly category: string;
  readonly panel: string;
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * The summary as chart points, one panel per column: per row the mean with +- sd bars, and per
 * step the paired difference with its 95% interval (no bar where there are too few seeds).
 *
 * @example
 * ```ts
 * const { means, differences } = seededChartPoints(summary);
 * errorBarChartSpec(differences, { title: "...", xTitle: "step", yTitle: "difference", zeroLine: true });
 * ```
 */
export function seededChartPoints(summary: SeededSummary): {
  means: IntervalPoint[];
  differences: IntervalPoint[];
} {
  const means = summary.rows.flatMap((r) =>
    summary.columns.flatMap((c) => {
      const cell = r.cells[c.id];
      if (!cell || cell.mean === null) return [];
      const sd = cell.sd ?? 0;
      return [{
        category: r.short,
        panel: c.label,
        value: cell.mean,
        lo: cell.mean - sd,
        hi: cell.mean + sd,
      }];
    })
  );
  const differences = summary.differences.flatMap((d) =>
    summary.columns.flatMap((c) => {
      const p = d.cells[c.id];
      if (!p || p.mean === null) return [];
      return [{
        category: d.label,
        panel: c.label,
        value: p.mean,
        lo: p.lo ?? p.mean,
        hi: p.hi ?? p.mean,
      }];
    })
  );
  return { means, differences };
}

/**
 * The seeded-ablation summaries recorded under `dir`: every `<dir>/<name>/ablation_summary.json`
 * (e.g. data/ablation/<protocol>/), by folder name. A missing `dir` gives none.
 *
 * @example
 * ```ts
 * for (const { name, summary } of await findSeededSummaries("../data/ablation")) { ... }
 * ```
 */
export async function findSeededSummaries(
  dir: string,
): Promise<{ name: string; path: string; summary: SeededSummary }[]> {
  const out: { name: string; path: string; summary: SeededSummary }[] = [];
  const names = await ifExists(() => dirNames(dir, (e) => e.isDirectory)) ?? [];
  for (const name of names.sort()) {
    const path = join(dir, name, SUMMARY_FILE);
    const text = await ifExists(() => Deno.readTextFile(path));
    if (text === undefined) continue;
    out.push({ name, path, summary: JSON.parse(text) as SeededSummary });
  }
  return out;
}
