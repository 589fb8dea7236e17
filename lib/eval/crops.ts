/**
 * Person crops for inference: the crop transform of a request and the warped crops, made on the
 * backend with no per-pixel JavaScript.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Affine, cropTransform, warpBatch } from "../geometry/mod.ts";
import type { CropRequest, ImageInput } from "./types.ts";
import { type CropConvention, MPII_CROP, type RgbImage } from "../data/types.ts";

/**
 * The image-to-crop transform of a request under a crop convention.
 *
 * @example
 * ```ts
 * requestTransform({ image, center: [500, 300], scale: 2 }, 256); // box of 500 px centred at y 330
 * ```
 */
export function requestTransform(
  request: Omit<CropRequest, "image">,
  size: number,
  crop: CropConvention = MPII_CROP,
): Affine {
  const [cx, cy] = request.center;
  return cropTransform({
    center: [cx, cy + crop.shiftY * request.scale],
    scale: request.scale * crop.padding,
    size: [size, size],
  });
}

function isTensor(image: ImageInput): image is tf.Tensor4D {
  return image instanceof tf.Tensor;
}

/**
 * A source image as a float tensor `[1, H, W, 3]` in [0, 1]. A tensor input is returned as it is
 * (still owned by the caller); an RGB image gives a new tensor the caller disposes.
 *
 * @example
 * ```ts
 * const t = imageTensor({ width: 2, height: 1, data: new Uint8Array(6) }); // [1, 1, 2, 3]
 * ```
 */
export function imageTensor(image: ImageInput): tf.Tensor4D {
  if (isTensor(image)) {
    if (image.rank !== 4 || image.shape[0] !== 1 || image.shape[3] !== 3) {
      throw new Error(`image tensor must be [1, H, W, 3], got [${image.shape}]`);
    }
    return image;
  }
  const { width, height, data } = image as RgbImage;
  if (data.length !== width * height * 3) {
    throw new Error(
      `RGB image ${width}x${height} needs ${width * height * 3} bytes, got ${data.length}`,
    );
  }
  return tf.tidy(() => tf.tensor4d(data, [1, height, width, 3], "int32").toFloat().div(255));
}

/**
 * Crops every request to `size` x `size` (`[B, S, S, 3]`) and returns the transforms used.
 *
 * @example
 * ```ts
 * const { crops, transforms } = cropRequests(requests, 256);
 * ```
 */
export function cropRequests(
  requests: readonly CropRequest[],
  size: number,
  crop: CropConvention = MPII_CROP,
): { crops: tf.Tensor4D; transforms: Affine[] } {
  const transforms = requests.map((r) => requestTransform(r, size, crop));
  const crops = tf.tidy(() => {
    const parts = requests.map((r, i) => {
      const image = imageTensor(r.image);
      const out = warpBatch(image, [transforms[i]!], [size, size]); // [1, S, S, 3]
      if (image !== r.image) image.dispose();
      return out;
    });
    return tf.concat(parts, 0);
  });
  return { crops, transforms };
}
