/**
 * The papers' PCK tables as text, and a JSON summary with the names the papers use.
 *
 * @module
 */

import { JOINT_LABELS, type Part, PARTS } from "../skeleton/mod.ts";
import type { PckResult } from "./summary.ts";

/**
 * A number for a table: two decimals, or "-" where nothing was annotated.
 *
 * @example
 * ```ts
 * formatRate(81.456); // "81.46"
 * formatRate(null); // "-"
 * ```
 */
export function formatRate(v: number | null | undefined, digits = 2): string {
  return v == null || !Number.isFinite(v) ? "-" : v.toFixed(digits);
}

/**
 * The paper-style table: one row per result with Head, Shoulder, Elbow, Wrist, Hip, Knee, Ankle
 * and Mean, then the count-weighted mean and AUC below.
 *
 * @example
 * ```ts
 * console.log(formatPckTable([{ label: "PCKh@0.5", result }]));
 * //             Head  Shoulder   Elbow   Wrist     Hip    Knee   Ankle    Mean
 * // PCKh@0.5   95.60     92.71   83.36   76.74   81.93   73.36   65.45   81.46
 * ```
 */
export function formatPckTable(
  rows: readonly { label: string; result: PckResult }[],
  options: { digits?: number } = {},
): string {
  const digits = options.digits ?? 2;
  const cols: string[] = [...PARTS, "Mean"];
  const labelWidth = Math.max(8, ...rows.map((r) => r.label.length)) + 2;
  const widths = cols.map((c) => Math.max(c.length, 6) + 2);
  const line = (label: string, cells: string[]) =>
    label.padEnd(labelWidth) + cells.map((c, i) => c.padStart(widths[i]!)).join("");
  const out = [line("", cols)];
  for (const { label, result } of rows) {
    const cells = PARTS.map((p: Part) => formatRate(result.parts[p], digits));
    cells.push(formatRate(result.mean, digits));
    out.push(line(label, cells));
  }
  return out.join("\n");
}

/**
 * Per-joint rates and counts as text, one joint per line.
 *
 * @example
 * ```ts
 * console.log(formatPerJoint(result));
 * // right ankle   65.12  (2403 annotated)
 * ```
 */
export function formatPerJoint(result: PckResult, digits = 2): string {
  const width = Math.max(...JOINT_LABELS.map((l) => l.length)) + 2;
  return result.perJoint.map((v, j) =>
    `${(JOINT_LABELS[j] ?? `joint ${j}`).padEnd(width)}${formatRate(v, digits).padStart(7)}` +
    `  (${result.counts[j]} annotated)`
  ).join("\n");
}

/** The JSON summary of a result: the table's columns, per-joint rates, means and AUC. */
export interface PckJson {
  readonly Head: number | null;
  readonly Shoulder: number | null;
  readonly Elbow: number | null;
  readonly Wrist: number | null;
  readonly Hip: number | null;
  readonly Knee: number | null;
  readonly Ankle: number | null;
  readonly Mean: number | null;
  readonly weightedMean: number | null;
  readonly UBody: number | null;
  readonly auc: number | null;
  readonly alpha: number;
  readonly comparison: string;
  readonly perJoint: readonly (number | null)[];
  readonly counts: readonly number[];
  readonly people: number;
  readonly excludedPeople: readonly number[];
  readonly nonFinitePredictions: number;
}

/**
 * The result as plain JSON (percentages; null where nothing was annotated).
 *
 * @example
 * ```ts
 * JSON.stringify(pckJson(result)); // {"Head":95.6,...,"Mean":81.46,"perJoint":[...],"auc":...}
 * ```
 */
export function pckJson(result: PckResult): PckJson {
  return {
    ...result.parts,
    Mean: result.mean,
    weightedMean: result.weightedMean,
    UBody: result.upperBody,
    auc: result.auc,
    alpha: result.alpha,
    comparison: result.rules.comparison,
    perJoint: result.perJoint,
    counts: result.counts,
    people: result.people,
    excludedPeople: result.excludedPeople,
    nonFinitePredictions: result.nonFinitePredictions,
  };
}
