/**
 * Augmentation as in Newell et al. §3 and Ke et al. §IV-A: rotation within +-30 degrees, scaling
 * 0.75-1.25, horizontal flip with the left/right joint swap, and per-channel colour jitter. The
 * geometric part is one affine matrix per sample (crop, rotate, scale, flip), which both the
 * pixels (on the backend) and the joints go through.
 *
 * @module
 */

import { type Affine, applyAffine, cropTransform } from "../geometry/affine.ts";
import type { Random } from "../random/random.ts";
import { FLIP_INDEX } from "../skeleton/mpii.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import type { AugmentConfig } from "./config.ts";
import type { CropConvention } from "./types.ts";

/** One sample's augmentation draw. */
export interface AugmentParams {
  /** Degrees, counter-clockwise on screen. */
  readonly rotation: number;
  /** Crop box multiplier: > 1 zooms out (the person looks smaller). */
  readonly scale: number;
  readonly flip: boolean;
  /** Per-channel gains, RGB. */
  readonly gains: readonly [number, number, number];
}

/** No augmentation: evaluation crops. */
export const NO_AUGMENT: AugmentParams = { rotation: 0, scale: 1, flip: false, gains: [1, 1, 1] };

/**
 * Draws one sample's augmentation. Rotation happens with probability `rotationProb`, uniform in
 * +-`rotation` or, with `rotationDist: "normal"`, N(0, rotation) clipped to +-2x (pose-hg-train).
 *
 * @example
 * ```ts
 * const p = sampleAugment(new Random(7), dataDefaults.augment);
 * p.scale; // in [0.75, 1.25]
 * ```
 */
export function sampleAugment(rng: Random, cfg: AugmentConfig): AugmentParams {
  if (!cfg.enabled) return NO_AUGMENT;
  // Draw every number whether or not it is used, so that changing one knob does not reshuffle
  // the others' streams.
  const rotate = rng.chance(cfg.rotationProb);
  const r = cfg.rotationDist === "uniform"
    ? rng.uniform(-cfg.rotation, cfg.rotation)
    : Math.max(-2 * cfg.rotation, Math.min(2 * cfg.rotation, rng.normal(0, cfg.rotation)));
  const scale = rng.uniform(cfg.scaleMin, cfg.scaleMax);
  const flip = rng.chance(cfg.flipProb);
  const j = cfg.colorJitter;
  const gains: [number, number, number] = [
    rng.uniform(1 - j, 1 + j),
    rng.uniform(1 - j, 1 + j),
    rng.uniform(1 - j, 1 + j),
  ];
  return { rotation: rotate ? r : 0, scale, flip: cfg.flip && flip, gains };
}

/**
 * The image-to-crop transform of a sample: the dataset's crop convention (box `200 * scale *
 * padding`, centre `shiftY * scale` px lower), then the augmentation's scale, rotation and flip.
 *
 * @example
 * ```ts
 * const m = sampleTransform([500, 300], 2, MPII_CROP, NO_AUGMENT, 256);
 * applyAffine(m, 500, 330); // [127.5, 127.5]: the shifted centre is the crop's centre
 * ```
 */
export function sampleTransform(
  center: readonly [number, number],
  scale: number,
  crop: CropConvention,
  params: AugmentParams,
  size: number,
): Affine {
  return cropTransform({
    center: [center[0], center[1] + crop.shiftY * scale],
    scale: scale * crop.padding * params.scale,
    size: [size, size],
    rotation: params.rotation,
    flip: params.flip,
  });
}

/**
 * Moves keypoints through a transform and, when the crop is flipped, swaps left and right so
 * channel `j` still means joint `j` of the person. Missing joints stay `[0, 0, 0]`.
 *
 * @example
 * ```ts
 * const crop = transformKeypoints(sample.keypoints, m, true);
 * // A mirrored person's right wrist looks like a left wrist: crop[J.l_wrist] is where the
 * // flip put the original right wrist.
 * ```
 */
export function transformKeypoints(
  keypoints: readonly Keypoint[],
  m: Affine,
  flip: boolean,
): Keypoint[] {
  const moved = keypoints.map(([x, y, v]): Keypoint =>
    v === 0 ? [0, 0, 0] : [...applyAffine(m, x, y), v]
  );
  if (!flip) return moved;
  if (moved.length !== FLIP_INDEX.length) {
    throw new Error(`flip needs ${FLIP_INDEX.length} keypoints in MPII order, got ${moved.length}`);
  }
  return moved.map((_, j) => moved[FLIP_INDEX[j]!]!);
}
