/**
 * Vega-lite v5 specs for the kit's figures: curves (loss, PCKh over alpha), grouped bars
 * (per-part tables, ablations). Every chart has a title, axis titles and a legend when it has
 * series.
 *
 * @module
 */

import type { VegaLiteSpec } from "./bundle.ts";

/** One point of a line chart. */
export interface LinePoint {
  readonly x: number;
  readonly y: number;
  readonly series?: string;
}

/** Common chart options. */
export interface ChartOptions {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly width?: number;
  readonly height?: number;
  /** Legend title for the series colour. */
  readonly seriesTitle?: string;
  readonly yDomain?: readonly [number, number];
  readonly xDomain?: readonly [number, number];
  readonly logY?: boolean;
}

/**
 * A line chart with one line per series (loss curves, PCKh curves), series in the given order.
 *
 * @example
 * ```ts
 * lineChartSpec([{ x: 1, y: 0.9, series: "train" }], { title: "Loss", xTitle: "step", yTitle: "loss" });
 * ```
 */
export function lineChartSpec(points: readonly LinePoint[], o: ChartOptions): VegaLiteSpec {
  const hasSeries = points.some((p) => p.series !== undefined);
  const series = [...new Set(points.map((p) => p.series).filter((v) => v !== undefined))];
  return {
    title: o.title,
    width: o.width ?? 420,
    height: o.height ?? 260,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: "line", point: points.length <= 60 },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: o.xTitle,
        ...(o.xDomain ? { scale: { domain: [...o.xDomain] } } : {}),
      },
      y: {
        field: "y",
        type: "quantitative",
        title: o.yTitle,
        // A log scale never includes zero, and vega-lite warns when told not to.
        scale: {
          ...(o.yDomain ? { domain: [...o.yDomain] } : o.logY ? {} : { zero: false }),
          ...(o.logY ? { type: "log" } : {}),
        },
      },
      ...(hasSeries
        ? {
          // Series keep their order; more than ten get twenty distinct colours.
          color: legendColour(
            "series",
            o.seriesTitle ?? "series",
            series,
            series.length > 10 ? "tableau20" : undefined,
          ),
        }
        : {}),
      tooltip: [
        { field: "x", type: "quantitative", title: o.xTitle },
        { field: "y", type: "quantitative", title: o.yTitle, format: ".4g" },
        ...(hasSeries ? [{ field: "series", type: "nominal" as const }] : []),
      ],
    },
  } as VegaLiteSpec;
}

/**
 * The colour channel of a chart's series (or groups): `domain` keeps their order, `scheme` (when
 * given) replaces the default ten colours, and the legend does not cut long names.
 */
function legendColour(field: string, title: string, domain: string[], scheme?: string) {
  return {
    field,
    type: "nominal",
    title,
    scale: { domain, ...(scheme ? { scheme } : {}) },
    legend: { labelLimit: 300 },
  };
}

/** One bar of a grouped bar chart. */
export interface Bar {
  readonly category: string;
  readonly value: number;
  readonly group?: string;
}

/**
 * Grouped bars: categories on x and groups in their colours, both kept in the given order, e.g.
 * PCKh per part for visible vs occluded joints, or per model in an ablation.
 *
 * @example
 * ```ts
 * barChartSpec([{ category: "Head", value: 95.6, group: "visible" }], { title: "PCKh@0.5", xTitle: "part", yTitle: "PCKh (%)" });
 * ```
 */
export function barChartSpec(bars: readonly Bar[], o: ChartOptions): VegaLiteSpec {
  const categories = [...new Set(bars.map((b) => b.category))];
  const hasGroups = bars.some((b) => b.group !== undefined);
  const groups = [...new Set(bars.map((b) => b.group).filter((g) => g !== undefined))];
  return {
    title: o.title,
    width: o.width ?? 420,
    height: o.height ?? 240,
    data: { values: bars.map((b) => ({ ...b })) },
    mark: "bar",
    encoding: {
      x: {
        field: "category",
        type: "nominal",
        title: o.xTitle,
        sort: categories,
        // Short categories read horizontally; long ones are slanted rather than cut short.
        axis: {
          labelAngle: Math.max(...categories.map((c) => c.length)) <= 12 ? 0 : -35,
          labelLimit: 240,
        },
      },
      y: {
        field: "value",
        type: "quantitative",
        title: o.yTitle,
        ...(o.yDomain ? { scale: { domain: [...o.yDomain] } } : {}),
      },
      ...(hasGroups
        ? {
          xOffset: { field: "group", type: "nominal", sort: groups },
          color: legendColour("group", o.seriesTitle ?? "group", groups),
        }
        : {}),
      tooltip: [
        { field: "category", type: "nominal", title: o.xTitle },
        { field: "value", type: "quantitative", title: o.yTitle, format: ".2f" },
        ...(hasGroups ? [{ field: "group", type: "nominal" as const }] : []),
      ],
    },
  } as VegaLiteSpec;
}

/**
 * Escapes what markdown renderers would misread in a table cell: `|` splits the cell, and
 * `name@0.5` (e.g. "PCKh@0.5") is autolinked as an e-mail address by GitHub-flavoured
 * renderers (classic Notebook, JupyterLab).
 *
 * @example
 * ```ts
 * escapeMarkdownCell("PCKh@0.5"); // "PCKh\\@0.5"
 * ```
 */
export function escapeMarkdownCell(cell: string): string {
  return cell.replace(/[|@]/g, (c) => `\\${c}`);
}

/**
 * A markdown table (papers' style) from a header and rows of cells, escaped with
 * {@link escapeMarkdownCell}.
 *
 * @example
 * ```ts
 * markdownTable(["Model", "Mean"], [["hourglass", "87.10"]]);
 * ```
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeMarkdownCell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
