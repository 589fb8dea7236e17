/**
 * Raster images inside vega-lite figures: PNGs embedded as data URLs in `image` marks, so a grid
 * of crops or heatmaps gets a title, row and column headers and a colour legend like any chart,
 * and its SVG fallback carries the pixels (drawn without smoothing).
 *
 * @module
 */

import { encodeJpeg, Image } from "image-js";
import { encodeBase64 } from "./base64.ts";
import type { VegaLiteSpec } from "./bundle.ts";
import { encodePng, type Rgb } from "./draw.ts";

/**
 * An RGB image as a `data:image/png;base64,...` URL.
 *
 * @example
 * ```ts
 * pngDataUrl({ width: 1, height: 1, data: new Uint8Array([255, 0, 0]) }); // "data:image/png;base64,iVBOR..."
 * ```
 */
export function pngDataUrl(image: Rgb): string {
  return `data:image/png;base64,${encodeBase64(encodePng(image))}`;
}

/** How images are embedded in figures: PNG (exact, for heatmaps) or JPEG (small, for photos). */
export type EmbedFormat = "png" | "jpeg";

/**
 * An RGB image as a data URL: PNG, or JPEG at quality 90 (a tenth of the size for noisy
 * scenes, which keeps notebooks with many crops small).
 *
 * @example
 * ```ts
 * imageDataUrl(crop, "jpeg"); // "data:image/jpeg;base64,/9j/..."
 * ```
 */
export function imageDataUrl(image: Rgb, format: EmbedFormat = "png"): string {
  if (format === "png") return pngDataUrl(image);
  const img = new Image(image.width, image.height, {
    colorModel: "RGB",
    data: Uint8Array.from(image.data),
  });
  return `data:image/jpeg;base64,${encodeBase64(encodeJpeg(img, { quality: 90 }))}`;
}

/** One image of a grid, placed by its row and column labels. */
export interface ImageCell {
  readonly column: string;
  /** Row label; omit for a single-row grid. */
  readonly row?: string;
  readonly image: Rgb;
}

/** Options of {@link imageGridSpec}. */
export interface ImageGridOptions {
  readonly title: string;
  /** A line under the title (units, what the colours mean). */
  readonly subtitle?: string;
  readonly columnTitle: string;
  readonly rowTitle?: string;
  /** Displayed side of every cell in px (images are scaled without smoothing). Default 96. */
  readonly cellSize?: number;
  /**
   * Adds a viridis colour legend (the colour map of `heatmapImage`) with this title and value
   * range, for grids of heatmaps.
   */
  readonly colorLegend?: { readonly title: string; readonly domain: readonly [number, number] };
  /** How images are embedded (default PNG: exact pixels). */
  readonly format?: EmbedFormat;
}

/**
 * A grid of images as a faceted vega-lite figure: columns and rows keep the order in which their
 * labels first appear; cells without an image stay white. Every image is embedded as a PNG data URL and shown at `cellSize` px,
 * pixelated, keeping its aspect ratio.
 *
 * @example
 * ```ts
 * const cells = levels.map((l) => ({ column: `GT/${l.factor}`, image: heatmapImage(l.heatmaps, l.width, l.height, { channels: 16, channel: J.l_wrist }) }));
 * await show(await vegaLiteBundle(imageGridSpec(cells, { title: "Targets", columnTitle: "scale", colorLegend: { title: "value", domain: [0, 1] } })));
 * ```
 */
export function imageGridSpec(cells: readonly ImageCell[], o: ImageGridOptions): VegaLiteSpec {
  if (cells.length === 0) throw new Error("imageGridSpec: no images");
  const size = o.cellSize ?? 96;
  const columns = [...new Set(cells.map((c) => c.column))];
  const hasRows = cells.some((c) => c.row !== undefined);
  const rows = [...new Set(cells.map((c) => c.row ?? ""))];
  const values: Record<string, unknown>[] = cells.map((c) => ({
    layer: "image",
    column: c.column,
    row: c.row ?? "",
    url: imageDataUrl(c.image, o.format),
  }));
  // Vega-lite misplaces the cells of a faceted grid with gaps: fill every gap with white.
  const filled = new Set(cells.map((c) => `${c.row ?? ""}\u0000${c.column}`));
  const blank = pngDataUrl({ width: 1, height: 1, data: new Uint8Array([255, 255, 255]) });
  for (const row of rows) {
    for (const column of columns) {
      if (!filled.has(`${row}\u0000${column}`)) {
        values.push({ layer: "image", column, row, url: blank });
      }
    }
  }
  const layers: Record<string, unknown>[] = [{
    transform: [{ filter: "datum.layer === 'image'" }],
    // aria off: otherwise every image's data URL is repeated in the SVG's aria-label.
    mark: {
      type: "image",
      width: size,
      height: size,
      align: "left",
      baseline: "top",
      smooth: false,
      aria: false,
    },
    encoding: { url: { field: "url", type: "nominal" }, x: { value: 0 }, y: { value: 0 } },
  }];
  if (o.colorLegend) {
    const [lo, hi] = o.colorLegend.domain;
    // Two invisible points in the first cell carry the colour scale whose legend explains the maps.
    for (const v of [lo, hi]) {
      values.push({ layer: "legend", column: columns[0], row: rows[0], value: v });
    }
    layers.push({
      transform: [{ filter: "datum.layer === 'legend'" }],
      mark: { type: "point", opacity: 0 },
      encoding: {
        x: { value: 0 },
        y: { value: 0 },
        color: {
          field: "value",
          type: "quantitative",
          title: o.colorLegend.title,
          scale: { scheme: "viridis", domain: [lo, hi] },
        },
      },
    });
  }
  return {
    title: o.subtitle ? { text: o.title, subtitle: o.subtitle } : o.title,
    data: { values },
    facet: {
      column: { field: "column", type: "nominal", title: o.columnTitle, sort: columns },
      ...(hasRows
        ? {
          row: {
            field: "row",
            type: "nominal",
            title: o.rowTitle ?? "",
            sort: rows,
            // Row labels read horizontally, like a table's first column.
            header: { labelAngle: 0, labelAlign: "left", labelLimit: 160 },
          },
        }
        : {}),
    },
    spec: { width: size, height: size, layer: layers },
    config: { view: { stroke: null } },
  } as unknown as VegaLiteSpec;
}
