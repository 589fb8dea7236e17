/**
 * Points with error bars (mean +- sd over seeds, a difference with its 95% interval), one panel
 * per split, with a dashed zero line for differences.
 *
 * @module
 */

import type { VegaLiteSpec } from "./bundle.ts";
import type { ChartOptions } from "./charts.ts";

/** One point with its interval; `panel` puts it in a small multiple (e.g. a split). */
export interface ErrorBarPoint {
  readonly category: string;
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
  readonly panel?: string;
}

/**
 * Points with vertical error bars, categories on x in the given order, one panel per distinct
 * `panel` (each with its own y scale, since panels may measure different things), and a dashed
 * line at zero when `zeroLine` is set (paired differences).
 *
 * @example
 * ```ts
 * errorBarChartSpec([{ category: "hourglass", value: 72, lo: 70, hi: 74, panel: "validation" }], {
 *   title: "PCKh@0.5 over 3 seeds (mean ± sd)", xTitle: "row", yTitle: "PCKh (%)",
 * });
 * ```
 */
export function errorBarChartSpec(
  points: readonly ErrorBarPoint[],
  o: ChartOptions & { readonly zeroLine?: boolean; readonly columns?: number },
): VegaLiteSpec {
  const categories = [...new Set(points.map((p) => p.category))];
  const panels = [...new Set(points.map((p) => p.panel).filter((p) => p !== undefined))];
  const x = {
    field: "category",
    type: "nominal",
    title: o.xTitle,
    sort: categories,
    axis: { labelAngle: -35, labelAlign: "right", labelLimit: 200 },
  };
  const y = { type: "quantitative", title: o.yTitle, scale: { zero: false } };
  const layer: object[] = [
    {
      mark: { type: "rule", strokeWidth: 2 },
      encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" } },
    },
    {
      mark: { type: "point", filled: true, size: 60 },
      encoding: {
        x,
        y: { ...y, field: "value" },
        tooltip: [
          { field: "category", type: "nominal", title: o.xTitle },
          { field: "value", type: "quantitative", format: ".2f" },
          { field: "lo", type: "quantitative", format: ".2f" },
          { field: "hi", type: "quantitative", format: ".2f" },
        ],
      },
    },
  ];
  if (o.zeroLine) {
    // From the points' own data (every row says zero): a layer with data of its own cannot sit
    // inside a facet.
    layer.push({
      mark: { type: "rule", strokeDash: [4, 4], color: "gray" },
      encoding: { y: { field: "zero", type: "quantitative" } },
    });
  }
  const inner = { width: o.width ?? 220, height: o.height ?? 180, layer };
  const values = points.map((p) => ({ ...p, zero: 0 }));
  if (panels.length === 0) {
    return { title: o.title, data: { values }, ...inner } as unknown as VegaLiteSpec;
  }
  return {
    title: o.title,
    data: { values },
    facet: { field: "panel", type: "nominal", title: null, sort: panels },
    columns: o.columns ?? 4,
    spec: inner,
    resolve: { scale: { y: "independent" } },
  } as unknown as VegaLiteSpec;
}
