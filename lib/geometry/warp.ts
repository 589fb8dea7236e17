/**
 * Warping images through affine transforms on the backend (tf.image.transform), one matrix per
 * image: the crop, rotation, scaling and flip of augmentation in a single resampling, with no
 * per-pixel JavaScript.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Affine, invert } from "./affine.ts";

/**
 * The 8 numbers tf.image.transform wants for an image-to-crop transform: it maps each *output*
 * pixel back to the input, so it takes the inverse.
 *
 * @example
 * ```ts
 * tfTransformRow([2, 0, 0, 0, 2, 0]); // [0.5, 0, 0, 0, 0.5, 0, 0, 0]
 * ```
 */
export function tfTransformRow(imageToCrop: Affine): number[] {
  const [a, b, c, d, e, f] = invert(imageToCrop);
  return [a, b, c, d, e, f, 0, 0];
}

/**
 * Warps a batch of same-size images `[B, H, W, C]` into crops of `size` = `[width, height]`,
 * image `i` through `transforms[i]` (image to crop coordinates, pixel-centre convention).
 * Pixels from outside the image are `fill`.
 *
 * @example
 * ```ts
 * const m = cropTransform({ center: [320, 240], scale: 2, size: [256, 256] });
 * const crops = warpBatch(images, [m], [256, 256]); // [1, 256, 256, 3]
 * ```
 */
export function warpBatch(
  images: tf.Tensor4D,
  transforms: readonly Affine[],
  size: readonly [number, number],
  options: { interpolation?: "bilinear" | "nearest"; fill?: number } = {},
): tf.Tensor4D {
  if (transforms.length !== images.shape[0]) {
    throw new Error(`warpBatch: ${images.shape[0]} images but ${transforms.length} transforms`);
  }
  return tf.tidy(() => {
    const rows = tf.tensor2d(transforms.map(tfTransformRow), [transforms.length, 8]);
    // [B, h, w, C]; tf.image.transform samples at pixel centres i, matching our convention.
    return transformImages(
      images,
      rows,
      options.interpolation ?? "bilinear",
      options.fill ?? 0,
      [size[1], size[0]],
    );
  });
}

/**
 * `tf.image.transform` with constant fill that is correct on every backend: tfjs-backend-cpu
 * 4.22's Transform kernel returns after the first image of a batch (the others come back as
 * the fill value), so on cpu each image is transformed on its own and the results stacked.
 * `rows` holds one 8-number output-to-input transform per image.
 *
 * @example
 * ```ts
 * const shifted = transformImages(crops, rows, "nearest", 0, [64, 64]); // [B, 64, 64, C]
 * ```
 */
export function transformImages(
  images: tf.Tensor4D,
  rows: tf.Tensor2D,
  interpolation: "bilinear" | "nearest",
  fill: number,
  outputShape: [height: number, width: number],
): tf.Tensor4D {
  const batch = images.shape[0];
  if (tf.getBackend() !== "cpu" || batch <= 1) {
    return tf.image.transform(images, rows, interpolation, "constant", fill, outputShape);
  }
  return tf.tidy(() => {
    const one = tf.split(images, batch).map((img, i) =>
      tf.image.transform(
        img as tf.Tensor4D,
        rows.slice([i, 0], [1, 8]),
        interpolation,
        "constant",
        fill,
        outputShape,
      )
    );
    return tf.concat(one); // [B, h, w, C]
  });
}
