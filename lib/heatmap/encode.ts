/**
 * Ground-truth heatmaps: one unnormalised 2D Gaussian per joint (peak 1, σ = 1 px at output
 * resolution by default), as in Tompson et al. and Newell et al. A per-joint amplitude lets a
 * joint's Gaussian peak at -1 instead (MSSH §4.1, Eq. 1: occluded joints).
 *
 * Layout is channels-last, `[H, W, J]` per sample, matching the tfjs model outputs.
 *
 * @module
 */

import type { Keypoint } from "../skeleton/remap.ts";
import { toMapCoord } from "./coords.ts";

/** Size of a heatmap and the Gaussian's standard deviation, in map pixels. */
export interface HeatmapSpec {
  readonly width: number;
  readonly height: number;
  readonly sigma: number;
}

/** Heatmaps of one sample and the per-joint weight the loss applies. */
export interface EncodedHeatmaps {
  /** `[H, W, J]`, channels last. */
  readonly heatmaps: Float32Array;
  /** `[J]`: 1 where the joint is annotated and inside the map, else 0. */
  readonly weights: Float32Array;
}

/**
 * Whether a map coordinate falls on the map (pixel `i` spans `[i - 0.5, i + 0.5)`).
 *
 * @example
 * ```ts
 * inFrame(63.4, 0, 64, 64); // true
 * inFrame(63.5, 0, 64, 64); // false
 * ```
 */
export function inFrame(x: number, y: number, width: number, height: number): boolean {
  return x >= -0.5 && x < width - 0.5 && y >= -0.5 && y < height - 0.5;
}

/**
 * Draws one Gaussian centred at the sub-pixel map coordinate `(cx, cy)` into channel `channel` of
 * a channels-last buffer. Values are `amplitude · exp(-((x-cx)² + (y-cy)²) / 2σ²)` within a `3σ`
 * box around the centre (the usual 6σ+1 window) and 0 outside it. Returns false, drawing
 * nothing, when the centre is off the map.
 *
 * @example
 * ```ts
 * const map = new Float32Array(5 * 5 * 1);
 * drawGaussian(map, { width: 5, height: 5, sigma: 1 }, 1, 0, 2, 2);
 * map[2 * 5 + 2]; // 1 (peak at pixel (2, 2))
 * drawGaussian(map, { width: 5, height: 5, sigma: 1 }, 1, 0, 2, 2, 0, -1);
 * map[2 * 5 + 2]; // -1 (MSSH's occluded joint)
 * ```
 */
export function drawGaussian(
  out: Float32Array,
  spec: HeatmapSpec,
  channels: number,
  channel: number,
  cx: number,
  cy: number,
  offset = 0,
  amplitude = 1,
): boolean {
  const { width, height, sigma } = spec;
  if (!Number.isFinite(cx) || !Number.isFinite(cy) || !inFrame(cx, cy, width, height)) {
    return false;
  }
  const radius = 3 * sigma;
  const x0 = Math.max(0, Math.ceil(cx - radius));
  const x1 = Math.min(width - 1, Math.floor(cx + radius));
  const y0 = Math.max(0, Math.ceil(cy - radius));
  const y1 = Math.min(height - 1, Math.floor(cy + radius));
  const denom = 2 * sigma * sigma;
  // Separable: the 2D Gaussian is the product of two 1D ones.
  const gx = new Float32Array(x1 - x0 + 1);
  for (let x = x0; x <= x1; x++) gx[x - x0] = Math.exp(-((x - cx) ** 2) / denom);
  for (let y = y0; y <= y1; y++) {
    // amplitude · gy is exact for ±1, so the default +1 writes the same floats as before.
    const gy = amplitude * Math.exp(-((y - cy) ** 2) / denom);
    const row = offset + y * width * channels;
    for (let x = x0; x <= x1; x++) out[row + x * channels + channel] = gy * gx[x - x0]!;
  }
  return true;
}

/**
 * Encodes keypoints given in map coordinates into `[H, W, J]` heatmaps and per-joint weights.
 * A missing joint (`v = 0`) or one off the map gets an all-zero channel and weight 0. Joint `j`'s
 * Gaussian peaks at `amplitudes[j]` (default 1 for all, so occluded but annotated joints, `v = 1`,
 * look like visible ones; {@link occlusionAmplitudes} gives MSSH's -1 for them). The weight stays
 * 1 for a negative joint: it is supervised, towards a negative map.
 *
 * Pass `out` to write into a batch buffer at `offset` (the region is cleared first).
 *
 * @example
 * ```ts
 * const { heatmaps, weights } = encodeHeatmaps(
 *   [[10.25, 20, 2], [0, 0, 0]],
 *   { width: 64, height: 64, sigma: 1 },
 * );
 * weights; // Float32Array [1, 0]
 * const kps: Keypoint[] = [[10, 20, 2], [30, 20, 1]];
 * encodeHeatmaps(kps, { width: 64, height: 64, sigma: 1 }, undefined, occlusionAmplitudes(kps));
 * // channel 1 peaks at -1 at (30, 20)
 * ```
 */
export function encodeHeatmaps(
  keypoints: readonly Keypoint[],
  spec: HeatmapSpec,
  out?: { heatmaps: Float32Array; weights: Float32Array; offset: number; weightOffset: number },
  amplitudes?: readonly number[],
): EncodedHeatmaps {
  const channels = keypoints.length;
  if (amplitudes && amplitudes.length !== channels) {
    throw new Error(`${amplitudes.length} amplitudes for ${channels} keypoints`);
  }
  const size = spec.width * spec.height * channels;
  const heatmaps = out?.heatmaps ?? new Float32Array(size);
  const weights = out?.weights ?? new Float32Array(channels);
  const offset = out?.offset ?? 0;
  const weightOffset = out?.weightOffset ?? 0;
  heatmaps.fill(0, offset, offset + size);
  keypoints.forEach(([x, y, v], j) => {
    const drawn = v > 0 &&
      drawGaussian(heatmaps, spec, channels, j, x, y, offset, amplitudes?.[j] ?? 1);
    weights[weightOffset + j] = drawn ? 1 : 0;
  });
  return { heatmaps, weights };
}

/**
 * Moves keypoints from input-image coordinates to a map `stride` times smaller, keeping
 * visibility. See `coords.ts` for the pixel-centre convention.
 *
 * @example
 * ```ts
 * keypointsToMap([[129.5, 1.5, 2]], 4); // [[32, 0, 2]]
 * ```
 */
export function keypointsToMap(keypoints: readonly Keypoint[], stride: number): Keypoint[] {
  return keypoints.map(([x, y, v]) => [toMapCoord(x, stride), toMapCoord(y, stride), v] as const);
}

/**
 * MSSH's per-joint amplitudes (§4.1, Eq. 1): -1 for an occluded joint (`v = 1`), +1 otherwise.
 * A missing joint (`v = 0`) gets +1 too, but is never drawn (its map stays all zero).
 *
 * @example
 * ```ts
 * occlusionAmplitudes([[5, 5, 2], [6, 6, 1], [0, 0, 0]]); // [1, -1, 1]
 * ```
 */
export function occlusionAmplitudes(keypoints: readonly Keypoint[]): number[] {
  return keypoints.map(([, , v]) => (v === 1 ? -1 : 1));
}
