/**
 * The data stage's shared types: an RGB image, one annotated person (a pose sample), and a
 * dataset of them. Every reader (SynthPose, MPII, LSP, FLIC) produces the same `PoseSample`, so
 * the pipeline, the metrics and the figures never ask where a sample came from.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import type { Keypoint } from "../skeleton/remap.ts";

/** An 8-bit RGB image, row-major `[H, W, 3]`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** `[H, W, 3]`: pixel `(x, y)` channel `c` at `(y * width + x) * 3 + c`. */
  readonly data: Uint8Array;
}

/** An axis-aligned box `[x1, y1, x2, y2]` in image pixels. */
export type Box = readonly [number, number, number, number];

/** What `PoseSample.normalize` measures: MPII's head size or LSP/FLIC's torso size. */
export type NormalizeKind = "head" | "torso";

/** One annotated person in one image. */
export interface PoseSample {
  /** Stable identifier, e.g. `synth-train-000042` or `005808361.jpg#17`. */
  readonly id: string;
  readonly image: RgbImage;
  /** 16 keypoints in MPII order, image pixels; visibility 0 = missing, 1 = occluded, 2 = visible. */
  readonly keypoints: readonly Keypoint[];
  /** Person centre in image pixels (MPII `objpos` / `center`). */
  readonly center: readonly [number, number];
  /** MPII scale: the person box is `200 * scale` image pixels (person height / 200 px). */
  readonly scale: number;
  /** Head box for PCKh (head size = 0.6 x its diagonal), or null where the dataset has none. */
  readonly headBox: Box | null;
  /** The dataset's own normaliser in image pixels where it gives one (MPII head size, FLIC torso). */
  readonly normalize?: number;
  /** What `normalize` measures (default "head"). */
  readonly normalizeKind?: NormalizeKind;
  /** Image file the sample came from, for error messages and figures. */
  readonly imagePath?: string;
}

/**
 * How a dataset's `center` and `scale` become a crop: the box `200 * scale * padding` px, centred
 * `shiftY * scale` px below `center`. MPII (pose-hg-train, bearpaw) uses padding 1.25 and shift
 * 15 so that feet stay in the crop; FLIC's centres are already where the crop goes.
 */
export interface CropConvention {
  readonly padding: number;
  readonly shiftY: number;
}

/** A random-access list of pose samples. */
export interface PoseDataset {
  readonly name: string;
  readonly length: number;
  /**
   * The sample at `index` (0 <= index < length). Rejects with a {@link SampleLoadError} naming
   * the file when its image is missing or corrupt.
   */
  get(index: number): Promise<PoseSample>;
  /** The dataset's crop convention; the pipeline uses it unless the config overrides it. */
  readonly crop?: CropConvention;
}

/** The crop convention of MPII and of datasets built like it (SynthPose, LSP). */
export const MPII_CROP: CropConvention = { padding: 1.25, shiftY: 15 };

/** No adjustment: the crop box is exactly `200 * scale` around `center`. */
export const PLAIN_CROP: CropConvention = { padding: 1, shiftY: 0 };

/**
 * A sample that could not be loaded (missing or corrupt image): a user-facing error that also
 * tells a training loop which sample to skip and count.
 *
 * @example
 * ```ts
 * try {
 *   await dataset.get(7);
 * } catch (e) {
 *   if (e instanceof SampleLoadError) console.log(e.index, e.path); // 7 "data/mpii/images/x.jpg"
 * }
 * ```
 */
export class SampleLoadError extends KitError {
  constructor(
    message: string,
    /** Index of the sample in its dataset. */
    readonly index: number,
    /** The file that failed, when there is one. */
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SampleLoadError";
  }
}

/**
 * Head size for PCKh: `0.6 x` the head-box diagonal, else the dataset's head normaliser, else null.
 *
 * @example
 * ```ts
 * headSize({ headBox: [0, 0, 30, 40], normalize: undefined }); // 30 (0.6 * 50)
 * ```
 */
export function headSize(
  s: Pick<PoseSample, "headBox" | "normalize" | "normalizeKind">,
): number | null {
  if (s.headBox) {
    const [x1, y1, x2, y2] = s.headBox;
    return 0.6 * Math.hypot(x2 - x1, y2 - y1);
  }
  if (s.normalize !== undefined && (s.normalizeKind ?? "head") === "head") return s.normalize;
  return null;
}
