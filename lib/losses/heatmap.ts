/**
 * Eq. 1 of Ke et al.: squared error of each keypoint's heatmap summed over pixels, averaged
 * over keypoints, with per-joint target weights.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { PixelReduction } from "./config.ts";

/** Options shared by the heatmap losses. */
export interface PixelOptions {
  /** `sum` over pixels (Eq. 1, the default) or `mean` (MSE). */
  readonly pixels?: PixelReduction;
}

/**
 * Per-keypoint loss `[J]`: for keypoint n, the batch mean of `w[b, n] * Σ_xy (P - G)²`.
 * A joint with weight 0 adds nothing and gets no gradient.
 *
 * @example
 * ```ts
 * // One 1x2 map, prediction [1, 0], target [0, 0], weight 1: loss 1.
 * jointLosses(tf.tensor4d([1, 0], [1, 1, 2, 1]), tf.zeros([1, 1, 2, 1]), tf.ones([1, 1])); // [1]
 * ```
 */
export function jointLosses(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  weights: tf.Tensor2D,
  opts: PixelOptions = {},
): tf.Tensor1D {
  return tf.tidy(() => {
    const [, h, w] = pred.shape;
    // [B, H, W, J] -> [B, J]
    let perMap: tf.Tensor2D = tf.sum(tf.squaredDifference(pred, target), [1, 2]);
    if (opts.pixels === "mean") perMap = tf.div(perMap, h * w);
    return tf.mean(tf.mul(perMap, weights), 0) as tf.Tensor1D;
  });
}

/**
 * Eq. 1: `(1/N) Σ_n Σ_xy (P_n - G_n)²`, averaged over the batch, each term weighted by the
 * joint's target weight `[B, J]` (0 for a missing joint).
 *
 * @example
 * ```ts
 * const loss = heatmapLoss(pred, target, weights); // scalar
 * ```
 */
export function heatmapLoss(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  weights: tf.Tensor2D,
  opts: PixelOptions = {},
): tf.Scalar {
  return tf.tidy(() => tf.mean(jointLosses(pred, target, weights, opts)));
}
