/**
 * Per-module parameter counts and output shapes, as rows and as a printable table.
 *
 * @module
 */

import { layerParams, type PoseModel } from "./build.ts";

/** One logical module of a network (stem, a stack's hourglass, its heads, the MSR-net ...). */
export interface SummaryRow {
  readonly module: string;
  /** Learnable parameters (BatchNorm running statistics excluded, as PyTorch counts). */
  readonly params: number;
  /** Output shapes, batch as -1; heads and pre-processing have one per map. */
  readonly outputShapes: readonly (readonly number[])[];
}

/**
 * Rows in network order, one per logical module.
 *
 * @example
 * ```ts
 * summarizeModel(net)[0]; // { module: "stem", params: 145856, outputShapes: [[-1, 64, 64, 64]] }
 * ```
 */
export function summarizeModel(net: PoseModel): SummaryRow[] {
  const params = new Map<string, number>();
  for (const { layer, module } of net.layers) {
    params.set(module, (params.get(module) ?? 0) + layerParams(layer));
  }
  return [...params].map(([module, n]) => ({
    module,
    params: n,
    outputShapes: net.shapes.get(module) ?? [],
  }));
}

function shapeText(shape: readonly number[]): string {
  return shape.slice(1).join("x");
}

function grouped(n: number): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A plain-text table of the rows with a total line. Output shapes omit the batch dimension
 * (`64x64x16` is H x W x C).
 *
 * @example
 * ```ts
 * console.log(formatSummary(summarizeModel(net)));
 * // module             params  output
 * // stem               145,856 64x64x64
 * // ...
 * ```
 */
export function formatSummary(rows: readonly SummaryRow[]): string {
  const total = rows.reduce((n, r) => n + r.params, 0);
  const table = [
    ["module", "params", "output (H x W x C)"],
    ...rows.map((r) => [r.module, grouped(r.params), r.outputShapes.map(shapeText).join(", ")]),
    ["total", grouped(total), ""],
  ];
  const width = [0, 1].map((c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    `${row[0]!.padEnd(width[0]!)}  ${row[1]!.padStart(width[1]!)}  ${row[2]}`.trimEnd();
  const rule = "-".repeat(width[0]! + width[1]! + 4 + 18);
  return [line(table[0]!), rule, ...table.slice(1, -1).map(line), rule, line(table.at(-1)!)]
    .join("\n");
}
