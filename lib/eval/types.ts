/**
 * The types the inference helpers share. They take a predict function instead of a model, so
 * they work with any network (hourglass, MSS-net, a test double) and any backend.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/**
 * A network as the evaluation sees it: crops `[B, S, S, 3]` with values in [0, 1] in, heatmaps
 * `[B, S / stride, S / stride, J]` out. The helpers dispose the returned tensor; `predict` must
 * not dispose its input.
 */
export type PredictFn = (crops: tf.Tensor4D) => Promise<tf.Tensor4D>;

/**
 * An 8-bit RGB image `[H, W, 3]` row-major; structurally the data stage's `RgbImage`, so its
 * samples can be passed as they are.
 */
export interface RgbImageLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A source image: an RGB image, or a float tensor `[1, H, W, 3]` with values in [0, 1]. */
export type ImageInput = RgbImageLike | tf.Tensor4D;

/**
 * How `center` and `scale` become the crop box: side `200 * scale * padding` px, centred
 * `shiftY * scale` px below `center` (structurally the data stage's `CropConvention`).
 */
export interface CropConventionLike {
  readonly padding: number;
  readonly shiftY: number;
}

/** The MPII crop of pose-hg-train and pytorch-pose (padding 1.25, 15 px x scale down). */
export const MPII_EVAL_CROP: CropConventionLike = { padding: 1.25, shiftY: 15 };

/** One person to crop from an image (MPII center and scale). */
export interface CropRequest {
  readonly image: ImageInput;
  readonly center: readonly [number, number];
  readonly scale: number;
}

/** Options shared by the inference helpers. */
export interface InferenceOptions {
  /** Crop side in pixels (default 256). */
  readonly size?: number;
  /** Crop pixels per heatmap pixel (default 4). */
  readonly stride?: number;
  /** Crop convention; default {@link MPII_EVAL_CROP}, matching how MPII models are trained. */
  readonly crop?: CropConventionLike;
  /** Average with the heatmaps of the mirrored crop (default false). */
  readonly flip?: boolean;
  /** Shift the flipped-back heatmaps one pixel right, as pytorch-pose does (default false). */
  readonly flipShift?: boolean;
  /** Channel permutation of a horizontal flip (default the MPII `FLIP_INDEX`). */
  readonly flipIndex?: readonly number[];
  /** Crops per predict call; the last batch is zero-padded so shapes stay fixed (default 8). */
  readonly batchSize?: number;
  /** Called with the number of crops finished, e.g. `Progress.tick`. */
  readonly onProgress?: (crops: number) => void;
}
