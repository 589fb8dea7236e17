/**
 * The flip test (Newell et al. §3): run the mirrored crop too, mirror its heatmaps back, swap
 * left and right channels, and average with the plain heatmaps.
 *
 * With the kit's pixel-centre convention, mirroring a crop and mirroring its heatmaps line up
 * exactly (crop pixel `x` goes to `S - 1 - x`, map pixel `u` to `W - 1 - u`), so no shift is
 * needed. `shift: true` reproduces pytorch-pose's one-pixel shift for comparison with its numbers.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { FLIP_INDEX } from "../skeleton/mod.ts";
import type { PredictFn } from "./types.ts";

/**
 * Heatmaps of a mirrored image mapped back to the original: mirrored along the width and with
 * channels permuted by `flipIndex` (left and right swapped). `shift` moves the result one pixel
 * right, repeating the first column (pytorch-pose's `flip_back` followed by its shift).
 *
 * @example
 * ```ts
 * flipHeatmaps(flipHeatmaps(h)); // equals h
 * ```
 */
export function flipHeatmaps(
  heatmaps: tf.Tensor4D,
  flipIndex: readonly number[] = FLIP_INDEX,
  shift = false,
): tf.Tensor4D {
  const [b, h, w, nj] = heatmaps.shape;
  if (flipIndex.length !== nj) {
    throw new Error(`flip index has ${flipIndex.length} entries for ${nj} heatmap channels`);
  }
  return tf.tidy(() => {
    // [B, H, W, J]: mirror the width axis, then pick channel flipIndex[j] for channel j.
    const mirrored = tf.gather(tf.reverse(heatmaps, 2), [...flipIndex], 3);
    if (!shift || w < 2) return mirrored as tf.Tensor4D;
    const first = mirrored.slice([0, 0, 0, 0], [b, h, 1, nj]);
    const rest = mirrored.slice([0, 0, 0, 0], [b, h, w - 1, nj]);
    return tf.concat([first, rest], 2) as tf.Tensor4D;
  });
}

/**
 * Predicts crops with the flip test: the mean of `predict(crops)` and the flipped-back
 * `predict(mirrored crops)`.
 *
 * @example
 * ```ts
 * const heatmaps = await predictWithFlip(predict, crops); // [B, 64, 64, 16]
 * ```
 */
export async function predictWithFlip(
  predict: PredictFn,
  crops: tf.Tensor4D,
  options: { flipIndex?: readonly number[]; shift?: boolean } = {},
): Promise<tf.Tensor4D> {
  const plain = await predict(crops);
  const mirroredCrops = tf.reverse(crops, 2) as tf.Tensor4D;
  let mirrored: tf.Tensor4D | undefined;
  try {
    mirrored = await predict(mirroredCrops);
    const back = mirrored;
    return tf.tidy(() =>
      tf.mul(tf.add(plain, flipHeatmaps(back, options.flipIndex, options.shift)), 0.5)
    );
  } finally {
    tf.dispose([plain, mirroredCrops]);
    if (mirrored) mirrored.dispose();
  }
}
