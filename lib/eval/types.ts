/**
 * The types the inference helpers share. They take a predict function instead of a model, so
 * they work with any network (hourglass, MSS-net, a test double) and any backend.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { CropConvention, RgbImage } from "../data/types.ts";

/**
 * A network as the evaluation sees it: crops `[B, S, S, 3]` with values in [0, 1] in, heatmaps
 * `[B, S / stride, S / stride, J]` out. The helpers dispose the returned tensor; `predict` must
 * not dispose its input.
 */
export type PredictFn = (crops: tf.Tensor4D) => Promise<tf.Tensor4D>;

/** A source image: an RGB image, or a float tensor `[1, H, W, 3]` with values in [0, 1]. */
export type ImageInput = RgbImage | tf.Tensor4D;

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
  /** Crop convention; default the data stage's `MPII_CROP`, matching how MPII models are trained. */
  readonly crop?: CropConvention;
  /** Average with the heatmaps of the mirrored crop (default false). */
  readonly flip?: boolean;
  /** Shift the flipped-back heatmaps one pixel right, as pytorch-pose does (default false). */
  readonly flipShift?: boolean;
  /** Channel permutation of a horizontal flip (default the MPII `FLIP_INDEX`). */
  readonly flipIndex?: readonly number[];
  /**
   * Decode signed heatmaps: set for a model trained with MSSH's negative targets for occluded
   * joints (`data.occludedTarget: "negative"`); the estimates then say which joints the model
   * sees as occluded (default false).
   */
  readonly signed?: boolean;
  /** Crops per predict call; the last batch is zero-padded so shapes stay fixed (default 8). */
  readonly batchSize?: number;
  /** Called with the number of crops finished, e.g. `Progress.tick`. */
  readonly onProgress?: (crops: number) => void;
}
