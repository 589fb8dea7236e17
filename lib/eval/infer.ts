/**
 * Single-trial inference on people in source images: crop, predict in fixed-size batches
 * (optionally with the flip test), decode, and map the joints back to image coordinates.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type DecodedJoints, decodeHeatmapsTensor, mapToImage } from "../heatmap/mod.ts";
import { cropRequests } from "./crops.ts";
import { predictWithFlip } from "./flip.ts";
import type { CropRequest, InferenceOptions, PredictFn } from "./types.ts";
import { MPII_CROP } from "../data/types.ts";

/**
 * Runs `predict` on `crops` in batches of exactly `batchSize` (the last zero-padded, so a backend
 * that compiles per shape sees one shape) and returns the heatmaps of the real crops.
 *
 * @example
 * ```ts
 * const heatmaps = await predictBatched(predict, crops, 8); // crops [13, 256, 256, 3]
 * ```
 */
export async function predictBatched(
  predict: PredictFn,
  crops: tf.Tensor4D,
  batchSize: number,
  options: { flip?: boolean; flipShift?: boolean; flipIndex?: readonly number[] } = {},
): Promise<tf.Tensor4D> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  }
  const [n, h, w, c] = crops.shape;
  const outputs: tf.Tensor4D[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      const batch = tf.tidy(() => {
        const part = crops.slice([start, 0, 0, 0], [count, h, w, c]);
        return count === batchSize
          ? part
          : tf.concat([part, tf.zeros([batchSize - count, h, w, c])]);
      }) as tf.Tensor4D;
      try {
        const out = options.flip
          ? await predictWithFlip(predict, batch, {
            shift: options.flipShift,
            flipIndex: options.flipIndex,
          })
          : await predict(batch);
        if (count === batchSize) outputs.push(out);
        else {
          const [, oh, ow, oj] = out.shape;
          outputs.push(out.slice([0, 0, 0, 0], [count, oh, ow, oj]));
          out.dispose();
        }
      } finally {
        batch.dispose();
      }
    }
    if (outputs.length === 1) return outputs.pop()!;
    return tf.concat(outputs, 0);
  } finally {
    tf.dispose(outputs);
  }
}

/** Joints of people in image coordinates, with per-joint confidence. */
export type PoseEstimates = DecodedJoints;

/**
 * Estimates the pose of every requested person: joints `[N, J, 2]` in source-image pixels and
 * their confidences `[N, J]` (heatmap maxima). Crops are made `batchSize` at a time, so only one
 * batch of crops is alive at once. With `signed` (a model trained with MSSH's negative targets),
 * joints and confidences come from `|h|` and `occluded` `[N, J]` marks negative peaks.
 *
 * @example
 * ```ts
 * const est = await estimatePoses(predict, samples, { flip: true }); // samples: PoseSample[]
 * est.coords; // Float64Array [N * 16 * 2]
 * const mssh = await estimatePoses(predict, samples, { signed: true });
 * mssh.occluded; // Uint8Array [N * 16], 1 = predicted occluded
 * ```
 */
export async function estimatePoses(
  predict: PredictFn,
  requests: readonly CropRequest[],
  options: InferenceOptions = {},
): Promise<PoseEstimates> {
  const size = options.size ?? 256;
  const stride = options.stride ?? 4;
  const batchSize = options.batchSize ?? 8;
  const coords: number[] = [];
  const confidence: number[] = [];
  const occluded: number[] = [];
  let numJoints = 0;
  for (let start = 0; start < requests.length; start += batchSize) {
    const chunk = requests.slice(start, start + batchSize);
    const { crops, transforms } = cropRequests(chunk, size, options.crop ?? MPII_CROP);
    let heatmaps: tf.Tensor4D | undefined;
    try {
      heatmaps = await predictBatched(predict, crops, batchSize, options);
      const [, hh, hw] = heatmaps.shape;
      if (hh * stride !== size || hw * stride !== size) {
        throw new Error(
          `predict returned ${hw}x${hh} heatmaps for ${size}px crops; expected stride ${stride}`,
        );
      }
      const decoded = mapToImage(
        await decodeHeatmapsTensor(heatmaps, { signed: options.signed }),
        stride,
        transforms,
      );
      numJoints = decoded.numJoints;
      coords.push(...decoded.coords);
      confidence.push(...decoded.confidence);
      if (decoded.occluded) occluded.push(...decoded.occluded);
    } finally {
      crops.dispose();
      heatmaps?.dispose();
    }
    options.onProgress?.(chunk.length);
  }
  return {
    batch: requests.length,
    numJoints,
    coords: Float64Array.from(coords),
    confidence: Float64Array.from(confidence),
    ...(options.signed ? { occluded: Uint8Array.from(occluded) } : {}),
  };
}
