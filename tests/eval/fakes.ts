/**
 * Test doubles for the inference helpers: images with a Gaussian blob in the red channel, and
 * "models" that find the blob by average-pooling the red channel (so their heatmaps peak at the
 * blob, at any scale and shift of the crop) or that always point at the crop centre.
 */

import * as tf from "@tensorflow/tfjs";
import type { PredictFn } from "../../lib/eval/mod.ts";
import type { RgbImage } from "../../lib/data/types.ts";

/** A `width` x `height` RGB image, black but for a red Gaussian blob (σ px) at (bx, by). */
export function blobImage(
  width: number,
  height: number,
  bx: number,
  by: number,
  sigma = 3,
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * sigma * sigma));
      data[(y * width + x) * 3] = Math.round(255 * g);
    }
  }
  return { width, height, data };
}

/**
 * A blob detector: every joint's heatmap is the red channel average-pooled by `stride`, times
 * `weights[j]` (default 1 for all 16 joints).
 */
export function blobModel(
  stride: number,
  weights: readonly number[] = new Array(16).fill(1),
): PredictFn {
  return (crops) =>
    Promise.resolve(tf.tidy(() => {
      const [b, s] = crops.shape;
      const red = crops.slice([0, 0, 0, 0], [b, s, s, 1]); // [B, S, S, 1]
      const pooled = tf.avgPool(red, stride, stride, "valid"); // [B, S/stride, S/stride, 1]
      return tf.mul(pooled, tf.tensor1d([...weights])) as tf.Tensor4D; // [B, h, w, J]
    }));
}

/** A model that ignores the image and puts every joint at the centre of the crop. */
export function centreModel(stride: number, numJoints = 16): PredictFn {
  return (crops) =>
    Promise.resolve(tf.tidy(() => {
      const [b, s] = crops.shape;
      const m = s / stride;
      const map = new Float32Array(m * m);
      // A 2x2 peak around the centre: the maximum sits on pixel (m/2, m/2) with ties broken
      // towards the first, then the quarter offset pulls it back towards (m - 1) / 2.
      const c = m / 2;
      map[c * m + c] = 1;
      map[(c - 1) * m + c] = 0.9;
      map[c * m + c - 1] = 0.9;
      return tf.tile(tf.tensor4d(map, [1, m, m, 1]), [b, 1, 1, numJoints]) as tf.Tensor4D;
    }));
}
