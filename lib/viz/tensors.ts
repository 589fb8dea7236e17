/**
 * From backend tensors to figure inputs: batches of crops as RGB images, heatmap batches read
 * once and cut into per-sample, per-joint colour images.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { heatmapImage, type Rgb } from "./draw.ts";
import type { ImageCell } from "./images.ts";

/**
 * A batch of images `[B, H, W, 3]` with values in [0, 1] as 8-bit RGB images (clipped).
 *
 * @example
 * ```ts
 * const crops = await tensorImages(batch.images); // one Rgb per sample
 * ```
 */
export async function tensorImages(images: tf.Tensor4D): Promise<Rgb[]> {
  const [b, h, w, c] = images.shape;
  if (c !== 3) throw new Error(`tensorImages: expected 3 channels, got [${images.shape}]`);
  const values = await images.data();
  const size = h * w * 3;
  return Array.from({ length: b }, (_, i) => ({
    width: w,
    height: h,
    data: Uint8Array.from(
      values.subarray(i * size, (i + 1) * size),
      (v) => Math.round(255 * Math.min(1, Math.max(0, v))),
    ),
  }));
}

/** A heatmap batch `[B, H, W, J]` read back from the backend. */
export interface HeatmapBatch {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** `[B, H, W, J]` row-major. */
  readonly data: Float32Array;
}

/**
 * Reads a heatmap tensor `[B, H, W, J]` once for {@link heatmapOf}.
 *
 * @example
 * ```ts
 * const maps = await readHeatmaps(out.stacks[0][0]);
 * ```
 */
export async function readHeatmaps(t: tf.Tensor4D): Promise<HeatmapBatch> {
  const [batch, height, width, channels] = t.shape;
  return { batch, height, width, channels, data: Float32Array.from(await t.data()) };
}

/**
 * The map of joint `channel` of sample `b` as a viridis image, or with `channel: "max"` the
 * maximum over all joints (every joint's blob in one map). Values map from 0 to `vmax`
 * (default: that map's maximum), or with `stretch` from the map's minimum to its maximum (for
 * untrained networks, whose maps may be all negative).
 *
 * @example
 * ```ts
 * heatmapOf(maps, 0, J.l_wrist, { vmax: 1 });
 * heatmapOf(maps, 0, "max");
 * ```
 */
export function heatmapOf(
  maps: HeatmapBatch,
  b: number,
  channel: number | "max",
  options: { vmax?: number; zoom?: number; stretch?: boolean } = {},
): Rgb {
  const { height: h, width: w, channels: j } = maps;
  if (b < 0 || b >= maps.batch) throw new RangeError(`heatmapOf: sample ${b} of ${maps.batch}`);
  const sample = maps.data.subarray(b * h * w * j, (b + 1) * h * w * j);
  let values: Float32Array;
  if (channel === "max") {
    values = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) {
      let m = -Infinity;
      for (let k = 0; k < j; k++) m = Math.max(m, sample[p * j + k]!);
      values[p] = m;
    }
  } else {
    if (!(channel >= 0 && channel < j)) throw new RangeError(`heatmapOf: joint ${channel} of ${j}`);
    values = new Float32Array(h * w);
    for (let p = 0; p < h * w; p++) values[p] = sample[p * j + channel]!;
  }
  let vmin = 0, vmax = options.vmax;
  if (options.stretch) {
    vmin = Math.min(...values);
    vmax = Math.max(...values);
  }
  return heatmapImage(values, w, h, { vmin, vmax, zoom: options.zoom });
}

/** One row of a heatmap grid: a label and maps (one per column), each `[B, H, W, J]`. */
export interface HeatmapRow {
  readonly label: string;
  readonly maps: readonly tf.Tensor4D[];
  /** Column labels, one per map (default "map 1", "map 2" ...). */
  readonly columns?: readonly string[];
  /** Colour range top (default: each map's maximum). */
  readonly vmax?: number;
  /** Stretch each map from its minimum to its maximum. */
  readonly stretch?: boolean;
}

/**
 * Grid cells for `imageGridSpec` from rows of heatmap tensors: sample `b`, one joint or the
 * maximum over joints, e.g. the targets and every stack's outputs at every scale.
 *
 * @example
 * ```ts
 * const cells = await heatmapCells([
 *   { label: "target", maps: batch.targets, columns: ["GT", "GT/2"], vmax: 1 },
 *   { label: "stack 1", maps: out.stacks[0], columns: ["GT", "GT/2"] },
 * ], 0, J.l_wrist);
 * ```
 */
export async function heatmapCells(
  rows: readonly HeatmapRow[],
  b: number,
  channel: number | "max",
): Promise<ImageCell[]> {
  const cells: ImageCell[] = [];
  for (const row of rows) {
    for (const [i, t] of row.maps.entries()) {
      cells.push({
        row: row.label,
        column: row.columns?.[i] ?? `map ${i + 1}`,
        image: heatmapOf(await readHeatmaps(t), b, channel, {
          vmax: row.vmax,
          stretch: row.stretch,
        }),
      });
    }
  }
  return cells;
}
