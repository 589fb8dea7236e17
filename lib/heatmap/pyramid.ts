/**
 * The multi-scale ground truth of Ke et al. §III-A: GT, GT/2, GT/4, GT/8 (MSS-net's heads that
 * predict them: lib/models/mss.ts).
 *
 * Two readings, selected by `loss.pyramid`. Ke et al. write "the ground-truth keypoint feature
 * map is down-sampled to match the corresponding extracted keypoint heatmap at each scale"
 * (§III-A): `poolHeatmaps` / `downsampleHeatmaps` average-pool the full-resolution map (the
 * paper's reading and the default; a blob keeps its size in image space, its peak falls below 1).
 * `encodePyramid` renders each level afresh with σ in that level's pixels (peak 1 at every level,
 * a 2/4/8x wider blob in image space), the kit's earlier reading, kept as `"redraw"`.
 *
 * Signed targets (MSSH's amplitude -1 for occluded joints) carry through both: every level is
 * drawn with the joint's amplitude, and average pooling is linear, so a negative map's levels are
 * exactly the negated levels of the positive one. (A max-pool would not be: it turns an
 * all-negative window into its value nearest zero.)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Keypoint } from "../skeleton/remap.ts";
import { type EncodedHeatmaps, encodeHeatmaps, keypointsToMap } from "./encode.ts";

/** One level of the pyramid. */
export interface PyramidLevel extends EncodedHeatmaps {
  /** Downsampling factor relative to the output map (1, 2, 4, 8). */
  readonly factor: number;
  readonly width: number;
  readonly height: number;
}

/** The factors multi-scale supervision uses, finest first. */
export const PYRAMID_FACTORS = [1, 2, 4, 8] as const;

/**
 * Renders the heatmap pyramid for keypoints given in output-map coordinates. Level `f` has size
 * `ceil(W / f) x ceil(H / f)`, its keypoints moved with the pixel-centre convention of
 * `coords.ts`, and σ `sigma` in its own pixels. `amplitudes` (per joint, default all 1) give each
 * joint's peak at every level, e.g. {@link occlusionAmplitudes} for MSSH's signed targets.
 *
 * @example
 * ```ts
 * const levels = encodePyramid(kps, { width: 64, height: 64, sigma: 1 });
 * levels.map((l) => l.width); // [64, 32, 16, 8]
 * const spec = { width: 64, height: 64, sigma: 1 };
 * const signed = encodePyramid(kps, spec, PYRAMID_FACTORS, occlusionAmplitudes(kps));
 * ```
 */
export function encodePyramid(
  keypoints: readonly Keypoint[],
  spec: { width: number; height: number; sigma: number },
  factors: readonly number[] = PYRAMID_FACTORS,
  amplitudes?: readonly number[],
): PyramidLevel[] {
  return factors.map((factor) => {
    if (!Number.isInteger(factor) || factor < 1) {
      throw new Error(`pyramid factor must be a positive integer, got ${factor}`);
    }
    const width = Math.ceil(spec.width / factor);
    const height = Math.ceil(spec.height / factor);
    const kps = factor === 1 ? keypoints : keypointsToMap(keypoints, factor);
    const level = encodeHeatmaps(kps, { width, height, sigma: spec.sigma }, undefined, amplitudes);
    return { factor, width, height, ...level };
  });
}

/**
 * Average-pools a `[H, W, J]` heatmap by `factor` (the "downsampled ground truth" read
 * literally). Pixels beyond the edge count as zero. Linear, so it keeps a signed map's sign.
 *
 * @example
 * ```ts
 * poolHeatmaps(new Float32Array([1, 0, 0, 0]), 2, 2, 1, 2); // Float32Array [0.25]
 * ```
 */
export function poolHeatmaps(
  heatmaps: Float32Array,
  width: number,
  height: number,
  channels: number,
  factor: number,
): Float32Array {
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const out = new Float32Array(w * h * channels);
  const norm = 1 / (factor * factor);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * channels;
      const dst = (Math.floor(y / factor) * w + Math.floor(x / factor)) * channels;
      for (let c = 0; c < channels; c++) out[dst + c]! += heatmaps[src + c]! * norm;
    }
  }
  return out;
}

/**
 * {@link poolHeatmaps} on the backend: `[B, H, W, J]` average-pooled by `factor` to
 * `[B, H/f, W/f, J]`. H and W must be multiples of `factor` (the experiment config guarantees it
 * for the training targets), so every output pixel averages exactly `f x f` input pixels.
 *
 * @example
 * ```ts
 * downsampleHeatmaps(tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]), 2); // [[[[0.25]]]]
 * ```
 */
export function downsampleHeatmaps(heatmaps: tf.Tensor4D, factor: number): tf.Tensor4D {
  const [, h, w] = heatmaps.shape;
  if (!Number.isInteger(factor) || factor < 1 || h % factor !== 0 || w % factor !== 0) {
    throw new Error(`cannot down-sample ${h}x${w} heatmaps by ${factor}: not a divisor`);
  }
  if (factor === 1) return tf.clone(heatmaps);
  return tf.avgPool(heatmaps, factor, factor, "valid");
}

/**
 * The pyramid a `loss.pyramid` mode trains with, on the CPU (for figures and checks): `redraw`
 * is {@link encodePyramid}; `downsample` average-pools the factor-1 level (Ke §III-A), with each
 * level's joint weights those of the factor-1 level.
 *
 * @example
 * ```ts
 * const spec = { width: 64, height: 64, sigma: 1 };
 * const [paper, redrawn] = [pyramidLevels(kps, spec, [1, 2, 4], "downsample"), pyramidLevels(kps, spec, [1, 2, 4], "redraw")];
 * ```
 */
export function pyramidLevels(
  keypoints: readonly Keypoint[],
  spec: { width: number; height: number; sigma: number },
  factors: readonly number[],
  mode: "downsample" | "redraw",
  amplitudes?: readonly number[],
): PyramidLevel[] {
  if (mode === "redraw") return encodePyramid(keypoints, spec, factors, amplitudes);
  const [full] = encodePyramid(keypoints, spec, [1], amplitudes);
  return factors.map((factor) => {
    const width = Math.ceil(spec.width / factor);
    const height = Math.ceil(spec.height / factor);
    const heatmaps = factor === 1
      ? full!.heatmaps
      : poolHeatmaps(full!.heatmaps, spec.width, spec.height, keypoints.length, factor);
    return { factor, width, height, heatmaps, weights: full!.weights };
  });
}
