/**
 * PCK curves: the rate of every joint as the threshold grows (Newell et al. Fig. 8), as small
 * multiples by part, and a matrix chart for values over two categorical axes (keypoint weights
 * per stack, per-joint rates per model).
 *
 * @module
 */

import type { PckCurve } from "../metrics/summary.ts";
import { JOINT_LABELS, JOINT_SIDES, MEAN_EXCLUDED, PART_JOINTS, PARTS } from "../skeleton/mod.ts";
import type { VegaLiteSpec } from "./bundle.ts";
import { SIDE_COLORS } from "./draw.ts";

/** Options of {@link pckCurvesSpec}. */
export interface PckCurvesOptions {
  readonly title: string;
  /** The metric's name on the axes, e.g. "PCKh" (default) or "PCK". */
  readonly metric?: string;
  /** Threshold unit for the x axis title (default "head sizes"). */
  readonly unit?: string;
  /** Panels per row (default 4). */
  readonly columns?: number;
  /**
   * Joints the metric does not score, left out of the chart and named in its subtitle. Default:
   * pelvis and thorax, which eval_PCKh.py (and the kit's PCKh) leave out of every column and the
   * Mean; predictions for them are often never made (Tompson et al.'s are zeros), so their
   * curves would be flat lines that say nothing about the model.
   */
  readonly unscored?: readonly number[];
}

/** The panel of every joint: its table part, or its own name for joints outside the table. */
function panelOf(j: number): string {
  for (const part of PARTS) if (PART_JOINTS[part].includes(j)) return part;
  return JOINT_LABELS[j] ?? `joint ${j}`;
}

/**
 * Per-joint curves of the rate against the threshold, one panel per table part (left and right
 * joints as two lines coloured by side), one per joint outside the table's columns (upper neck,
 * upper neck) and one for the Mean. Joints never annotated (null) and joints the metric does not
 * score (`unscored`, default pelvis and thorax) are left out; the subtitle names the latter.
 *
 * @example
 * ```ts
 * await show(await vegaLiteBundle(pckCurvesSpec(ev.result.curve, { title: "PCKh by joint" })));
 * ```
 */
export function pckCurvesSpec(curve: PckCurve, o: PckCurvesOptions): VegaLiteSpec {
  const metric = o.metric ?? "PCKh";
  const rows: Record<string, unknown>[] = [];
  const numJoints = curve.perJoint[0]?.length ?? 0;
  const unscored = new Set((o.unscored ?? MEAN_EXCLUDED).filter((j) => j < numJoints));
  const others = Array.from({ length: numJoints }, (_, j) => j)
    .filter((j) => !unscored.has(j))
    .map(panelOf)
    .filter((p) => !(PARTS as readonly string[]).includes(p));
  const panels = [...PARTS, ...others, "Mean"] as string[];
  curve.alphas.forEach((alpha, a) => {
    (curve.perJoint[a] ?? []).forEach((rate, j) => {
      if (rate === null || !Number.isFinite(rate) || unscored.has(j)) return;
      rows.push({
        panel: panelOf(j),
        joint: JOINT_LABELS[j] ?? `joint ${j}`,
        side: JOINT_SIDES[j] ?? "centre",
        alpha,
        rate,
      });
    });
    const mean = curve.mean[a];
    if (mean !== null && mean !== undefined && Number.isFinite(mean)) {
      rows.push({ panel: "Mean", joint: "Mean", side: "mean", alpha, rate: mean });
    }
  });
  const sides = ["right", "left", "centre", "mean"];
  const leftOut = [...unscored].map((j) => JOINT_LABELS[j] ?? `joint ${j}`);
  return {
    title: leftOut.length > 0
      ? { text: o.title, subtitle: `not scored by ${metric}, not drawn: ${leftOut.join(", ")}` }
      : o.title,
    data: { values: rows },
    facet: { field: "panel", type: "nominal", title: null, sort: panels },
    columns: o.columns ?? 4,
    spec: {
      width: 150,
      height: 110,
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: {
          field: "alpha",
          type: "quantitative",
          title: `threshold (${o.unit ?? "head sizes"})`,
        },
        y: {
          field: "rate",
          type: "quantitative",
          title: `${metric} (%)`,
          scale: { domain: [0, 100] },
        },
        color: {
          field: "side",
          type: "nominal",
          title: "joint side",
          scale: {
            domain: sides,
            range: [
              ...(["right", "left", "centre"] as const).map((s) =>
                `rgb(${SIDE_COLORS[s].join(",")})`
              ),
              "#000000",
            ],
          },
        },
        detail: { field: "joint", type: "nominal" },
        tooltip: [
          { field: "joint", type: "nominal" },
          { field: "alpha", type: "quantitative", title: "threshold", format: ".2f" },
          { field: "rate", type: "quantitative", title: `${metric} (%)`, format: ".1f" },
        ],
      },
    },
  } as unknown as VegaLiteSpec;
}

/** One cell of a matrix chart. */
export interface MatrixCell {
  readonly row: string;
  readonly column: string;
  readonly value: number;
}

/** Options of {@link matrixSpec}. */
export interface MatrixOptions {
  readonly title: string;
  readonly rowTitle: string;
  readonly columnTitle: string;
  /** Legend title of the colour. */
  readonly valueTitle: string;
  /** d3 format of the printed values (default ".2f"); null prints none. */
  readonly format?: string | null;
  /** Colour domain (default: the data's range). */
  readonly domain?: readonly [number, number];
  readonly cellSize?: number;
}

/**
 * A matrix of coloured cells with their values printed, rows and columns in first-seen order:
 * e.g. MSSH's keypoint weights (stacks x joints) or per-joint rates (models x joints).
 *
 * @example
 * ```ts
 * matrixSpec([{ row: "stack 2", column: "r_ankle", value: 0.07 }], { title: "Keypoint weights", rowTitle: "stack", columnTitle: "joint", valueTitle: "weight" });
 * ```
 */
export function matrixSpec(cells: readonly MatrixCell[], o: MatrixOptions): VegaLiteSpec {
  const rows = [...new Set(cells.map((c) => c.row))];
  const columns = [...new Set(cells.map((c) => c.column))];
  const size = o.cellSize ?? 34;
  const values = cells.map((c) => ({ ...c }));
  const x = { field: "column", type: "nominal", title: o.columnTitle, sort: columns };
  const y = { field: "row", type: "nominal", title: o.rowTitle, sort: rows };
  const layers: Record<string, unknown>[] = [{
    mark: "rect",
    encoding: {
      x,
      y,
      color: {
        field: "value",
        type: "quantitative",
        title: o.valueTitle,
        scale: { scheme: "viridis", ...(o.domain ? { domain: [...o.domain] } : {}) },
      },
      tooltip: [
        { field: "row", title: o.rowTitle },
        { field: "column", title: o.columnTitle },
        { field: "value", type: "quantitative", title: o.valueTitle, format: o.format ?? ".3g" },
      ],
    },
  }];
  if (o.format !== null) {
    const lo = o.domain?.[0] ?? Math.min(...cells.map((c) => c.value));
    const hi = o.domain?.[1] ?? Math.max(...cells.map((c) => c.value));
    layers.push({
      mark: { type: "text", fontSize: 8 },
      encoding: {
        x,
        y,
        text: { field: "value", type: "quantitative", format: o.format ?? ".2f" },
        // Light text on viridis' dark end, dark text on its light end.
        color: {
          condition: { test: `datum.value < ${(lo + hi) / 2}`, value: "white" },
          value: "black",
        },
      },
    });
  }
  return {
    title: o.title,
    width: size * columns.length,
    height: Math.max(20, size * 0.7) * rows.length,
    data: { values },
    layer: layers,
  } as unknown as VegaLiteSpec;
}
