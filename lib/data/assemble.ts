/**
 * The backend half of the pipeline: upload a batch's pixels, warp every image through its own
 * affine crop transform in one `tf.image.transform` (crop, rotation, scaling and flip in a single
 * resampling), paste the masking patches, apply colour jitter, and stack the targets.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Affine, compose } from "../geometry/affine.ts";
import { warpBatch } from "../geometry/warp.ts";
import { NUM_JOINTS } from "../skeleton/mpii.ts";
import type { DataConfig } from "./config.ts";
import { pastePatches } from "./masking.ts";
import type { BatchMeta, PreparedSample } from "./prepare.ts";

/** A training or evaluation batch. The caller owns its tensors: {@link disposeBatch} them. */
export interface Batch {
  /** `[B, S, S, 3]` float32 in [0, 1]. */
  readonly images: tf.Tensor4D;
  /** One per `data.pyramidFactors` entry, in that order: `[B, S/stride/f, S/stride/f, J]`. */
  readonly targets: tf.Tensor4D[];
  /** `[B, J]`: 1 where the joint is annotated and inside the crop, 0 otherwise (and for padding). */
  readonly weights: tf.Tensor2D;
  readonly meta: BatchMeta[];
  /** Real samples in the batch; `meta[i].padded` marks the rest (evaluation's last batch). */
  readonly size: number;
}

/**
 * Frees a batch's tensors.
 *
 * @example
 * ```ts
 * for await (const batch of pipeline.epoch(0)) {
 *   trainStep(batch);
 *   disposeBatch(batch);
 * }
 * ```
 */
export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.images, ...batch.targets, batch.weights]);
}

/** Pooled px to image px: pooled pixel u covers image px [k u, k u + k - 1], centred between. */
function poolToImage(k: number): Affine {
  return [k, 0, (k - 1) / 2, 0, k, (k - 1) / 2];
}

/** Warps same-size images in one call; `[n, S, S, 3]`, values 0-255. */
function warpGroup(items: readonly PreparedSample[], size: number): tf.Tensor4D {
  const { width, height } = items[0]!.image;
  const pool = Math.min(...items.map((p) => p.pool));
  // TypedArray.set converts the bytes to floats natively: one upload, no cast on the backend.
  const values = new Float32Array(items.length * width * height * 3);
  items.forEach((p, i) => values.set(p.image.data, i * width * height * 3));
  return tf.tidy(() => {
    let pixels: tf.Tensor4D = tf.tensor4d(values, [items.length, height, width, 3]);
    let transforms = items.map((p) => p.warp);
    if (pool > 1) {
      // Average-pool before a strong downscale so the crop does not alias (pose-hg-train resizes
      // the whole image for the same reason).
      pixels = tf.avgPool(pixels, pool, pool, "valid");
      transforms = transforms.map((m) => compose(poolToImage(pool), m));
    }
    return warpBatch(pixels, transforms, [size, size]);
  });
}

/**
 * Builds a batch from prepared samples (all real samples first, `padded` copies after). Images
 * of one size are warped together; mixed sizes (photos) are warped per size.
 *
 * @example
 * ```ts
 * const batch = assembleBatch(prepared, cfg);
 * batch.images.shape; // [B, 256, 256, 3]
 * ```
 */
export function assembleBatch(prepared: readonly PreparedSample[], cfg: DataConfig): Batch {
  const B = prepared.length;
  const S = cfg.inputSize;
  const J = NUM_JOINTS;
  const images = tf.tidy(() => {
    const groups = new Map<string, number[]>();
    prepared.forEach((p, i) => {
      const key = `${p.image.width}x${p.image.height}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const parts: { idx: number[]; crops: tf.Tensor4D }[] = [...groups.values()].map((idx) => ({
      idx,
      crops: warpGroup(idx.map((i) => prepared[i]!), S),
    }));
    // [B, S, S, 3] in the batch's order.
    let crops: tf.Tensor4D = parts.length === 1
      ? parts[0]!.crops
      : tf.concat(parts.map((p) => p.crops));
    if (parts.length > 1) {
      const order = parts.flatMap((p) => p.idx);
      const inverse = new Int32Array(B);
      order.forEach((sampleIndex, row) => (inverse[sampleIndex] = row));
      crops = tf.gather(crops, tf.tensor1d(inverse, "int32"));
    }
    if (prepared.some((p) => p.meta.patches.length > 0)) {
      crops = pastePatches(crops, prepared.map((p) => p.meta.patches));
    }
    // Colour jitter and the 0-255 to [0, 1] scaling in one multiply.
    const gains = tf.tensor4d(prepared.flatMap((p) => p.gains.map((g) => g / 255)), [B, 1, 1, 3]);
    return crops.mul(gains).clipByValue(0, 1) as tf.Tensor4D;
  });

  const targets = cfg.pyramidFactors.map((factor, level) => {
    const side = Math.ceil(S / cfg.outputStride / factor);
    const size = side * side * J;
    const data = new Float32Array(B * size);
    prepared.forEach((p, i) => {
      const h = p.heatmaps[level]!;
      if (h.length !== size) {
        throw new Error(
          `sample ${p.meta.id}: level ${factor} has ${h.length} values, expected ${size}`,
        );
      }
      data.set(h, i * size);
    });
    return tf.tensor4d(data, [B, side, side, J]);
  });
  const weights = new Float32Array(B * J);
  prepared.forEach((p, i) => {
    if (!p.meta.padded) weights.set(p.weights, i * J);
  });
  return {
    images,
    targets,
    weights: tf.tensor2d(weights, [B, J]),
    meta: prepared.map((p) => p.meta),
    size: prepared.filter((p) => !p.meta.padded).length,
  };
}
