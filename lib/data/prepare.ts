/**
 * The CPU half of the pipeline, for one sample: draw its augmentation, compute its affine crop
 * transform, move its joints, plan keypoint masking, render its target heatmaps, and cut a large
 * photo down to the region the crop can reach. Runs in the pipeline's workers; the result holds
 * only plain data and transferable buffers. The pixels are warped later, on the backend, for the
 * whole batch at once (`assemble.ts`).
 *
 * @module
 */

import { type Affine, applyAffine, compose, invert } from "../geometry/affine.ts";
import { keypointsToMap, occlusionAmplitudes } from "../heatmap/encode.ts";
import { encodePyramid } from "../heatmap/pyramid.ts";
import { hashSeed, Random } from "../random/random.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import {
  type AugmentParams,
  NO_AUGMENT,
  sampleAugment,
  sampleTransform,
  transformKeypoints,
} from "./augment.ts";
import type { DataConfig } from "./config.ts";
import { checkImage, cropRows } from "./image.ts";
import { type Patch, planMasking } from "./masking.ts";
import {
  type CropConvention,
  headSize,
  MPII_CROP,
  type NormalizeKind,
  type PoseSample,
  type RgbImage,
} from "./types.ts";

/** Per-sample facts a batch carries next to its tensors (for losses, decoding, metrics, figures). */
export interface BatchMeta {
  readonly id: string;
  /** Index of the sample in its dataset. */
  readonly index: number;
  readonly center: readonly [number, number];
  readonly scale: number;
  /** Original image px to crop px (the crop's pixel-centre convention). */
  readonly transform: Affine;
  /** Joints in crop px, left/right swapped when flipped; v = 1 where masking covered them. */
  readonly keypoints: readonly Keypoint[];
  /** The dataset's joints in original image px. */
  readonly imageKeypoints: readonly Keypoint[];
  /** PCKh head size (0.6 x head-box diagonal, or the dataset's head normaliser), image px. */
  readonly headSize: number | null;
  /** The dataset's normaliser (head or torso size), image px, when it has one. */
  readonly normalize: number | null;
  readonly normalizeKind: NormalizeKind;
  readonly imageSize: readonly [number, number];
  readonly flipped: boolean;
  readonly rotation: number;
  /** Augmentation's crop-box multiplier. */
  readonly scaleFactor: number;
  readonly patches: readonly Patch[];
  /** True for the copies that pad an evaluation batch to full size: ignore them. */
  readonly padded: boolean;
}

/** One sample ready for the backend. */
export interface PreparedSample {
  readonly meta: BatchMeta;
  /** The pixels to warp: the whole image, or the part of a large photo the crop can reach. */
  readonly image: RgbImage;
  /** `image` px to crop px. */
  readonly warp: Affine;
  /** Average-pool factor to apply to `image` before warping (1 = none), against aliasing. */
  readonly pool: number;
  readonly gains: readonly [number, number, number];
  /**
   * One `[h, w, J]` heatmap per pyramid factor; occluded joints peak at -1 with
   * `occludedTarget: "negative"`.
   */
  readonly heatmaps: readonly Float32Array[];
  /** `[J]`: 1 where the joint is annotated and on the map. */
  readonly weights: Float32Array;
}

/** How one sample is prepared: mode, seed and the dataset's crop convention. */
export interface PrepareJob {
  readonly index: number;
  /** Seed of this sample's augmentation and masking draws. */
  readonly seed: number;
  readonly train: boolean;
  readonly crop?: CropConvention;
}

/** Photos larger than this many times the crop's footprint are cut down before upload. */
const PRECROP_RATIO = 4;

/**
 * The crop convention in force: the config's `cropPadding` / `cropShiftY` where set, else the
 * dataset's, else MPII's.
 *
 * @example
 * ```ts
 * cropConvention(dataDefaults, PLAIN_CROP); // PLAIN_CROP
 * ```
 */
export function cropConvention(cfg: DataConfig, dataset?: CropConvention): CropConvention {
  const base = dataset ?? MPII_CROP;
  return {
    padding: cfg.cropPadding ?? base.padding,
    shiftY: cfg.cropShiftY ?? base.shiftY,
  };
}

/**
 * Prepares one loaded sample. Everything random comes from `job.seed`: augmentation from one
 * stream, masking from another, so turning masking on leaves the augmentation unchanged.
 *
 * @example
 * ```ts
 * const prepared = prepareSample(await ds.get(3), cfg, { index: 3, seed: 99, train: true, crop: ds.crop });
 * ```
 */
export function prepareSample(
  sample: PoseSample,
  cfg: DataConfig,
  job: PrepareJob,
): PreparedSample {
  checkImage(sample.image);
  const S = cfg.inputSize;
  const crop = cropConvention(cfg, job.crop);
  const params: AugmentParams = job.train
    ? sampleAugment(new Random(hashSeed(job.seed, 1)), cfg.augment)
    : NO_AUGMENT;
  const m = sampleTransform(sample.center, sample.scale, crop, params, S);
  let keypoints = transformKeypoints(sample.keypoints, m, params.flip);
  let patches: Patch[] = [];
  if (job.train && cfg.masking.enabled) {
    const plan = planMasking(keypoints, S, cfg.masking, new Random(hashSeed(job.seed, 2)));
    patches = plan.patches;
    keypoints = plan.keypoints;
  }

  // Targets at output resolution, one pyramid level per factor. Amplitudes come from the
  // keypoints after masking: a joint a background patch covers is occluded in this crop, so
  // MSSH's rule gives it a negative target too.
  const mapSize = S / cfg.outputStride;
  const levels = encodePyramid(
    keypointsToMap(keypoints, cfg.outputStride),
    { width: mapSize, height: mapSize, sigma: cfg.sigma },
    cfg.pyramidFactors,
    cfg.occludedTarget === "negative" ? occlusionAmplitudes(keypoints) : undefined,
  );

  // Pixels: how many image px one crop px spans decides the anti-aliasing pool.
  const span = 1 / Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
  const pool = cfg.antialias && span >= 2 ? Math.floor(span) : 1;
  let image = sample.image;
  let warp = m;
  const inv = invert(m);
  const corners = [[-0.5, -0.5], [S - 0.5, -0.5], [-0.5, S - 0.5], [S - 0.5, S - 0.5]]
    .map(([x, y]) => applyAffine(inv, x!, y!));
  const margin = 2 + pool;
  const x0 = Math.min(...corners.map((c) => c[0])) - margin;
  const x1 = Math.max(...corners.map((c) => c[0])) + margin;
  const y0 = Math.min(...corners.map((c) => c[1])) - margin;
  const y1 = Math.max(...corners.map((c) => c[1])) + margin;
  if ((x1 - x0) * (y1 - y0) * PRECROP_RATIO < image.width * image.height) {
    const cut = cropRows(image, x0, y0, x1, y1);
    image = cut.image;
    warp = compose([1, 0, cut.x0, 0, 1, cut.y0], m);
  }

  const head = headSize(sample);
  return {
    meta: {
      id: sample.id,
      index: job.index,
      center: sample.center,
      scale: sample.scale,
      transform: m,
      keypoints,
      imageKeypoints: sample.keypoints,
      headSize: head,
      normalize: sample.normalize ?? null,
      normalizeKind: sample.normalizeKind ?? "head",
      imageSize: [sample.image.width, sample.image.height],
      flipped: params.flip,
      rotation: params.rotation,
      scaleFactor: params.scale,
      patches,
      padded: false,
    },
    image,
    warp,
    pool,
    gains: params.gains,
    heatmaps: levels.map((l) => l.heatmaps),
    weights: levels[0]!.weights,
  };
}
