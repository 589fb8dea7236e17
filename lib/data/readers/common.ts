/**
 * What the file-backed readers share: annotations parsed up front (so a malformed file fails at
 * open, naming file and field), images loaded per sample (so a missing image fails at `get`,
 * naming the image).
 *
 * @module
 */

import { join } from "@std/path";
import { KitError } from "../../io/errors.ts";
import type { Keypoint } from "../../skeleton/remap.ts";
import { decodeImage } from "../image.ts";
import {
  type CropConvention,
  type PoseDataset,
  type PoseSample,
  type RgbImage,
  SampleLoadError,
} from "../types.ts";

/** One person's annotation, everything of a PoseSample but the pixels. */
export type Annotation = Omit<PoseSample, "image" | "imagePath"> & {
  /** Image file name relative to the image directory. */
  readonly image: string;
};

/**
 * Throws a KitError when `dir` is not a directory, saying what belongs there.
 *
 * @example
 * ```ts
 * await requireImageDir("data/mpii/images", "MPII images");
 * ```
 */
export async function requireImageDir(dir: string, what: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch {
    throw new KitError(
      `${dir}: ${what} directory not found (download the images there or set data.imageDir; ` +
        `see data/README.md)`,
    );
  }
  if (!info.isDirectory) throw new KitError(`${dir}: expected the ${what} directory, found a file`);
}

/**
 * Reads and decodes one image, rejecting with a SampleLoadError that names the file when it is
 * missing, unreadable or not an image.
 *
 * @example
 * ```ts
 * const img = await loadImageFile("data/mpii/images/005808361.jpg", 0);
 * ```
 */
export async function loadImageFile(path: string, index: number): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "image not found" : "cannot read image";
    throw new SampleLoadError(`${path}: ${why} (sample ${index})`, index, path, { cause: e });
  }
  try {
    return decodeImage(bytes);
  } catch (e) {
    throw new SampleLoadError(
      `${path}: not a readable PNG or JPEG image (sample ${index}: ${(e as Error).message})`,
      index,
      path,
      { cause: e },
    );
  }
}

/** A dataset of annotations parsed at open, with images read from `imageDir` on demand. */
export class FileDataset implements PoseDataset {
  readonly length: number;

  constructor(
    readonly name: string,
    readonly imageDir: string,
    readonly annotations: readonly Annotation[],
    readonly crop: CropConvention,
  ) {
    this.length = annotations.length;
  }

  /** The annotation of sample `index` (no image I/O). */
  annotation(index: number): Annotation {
    const a = this.annotations[index];
    if (!a) throw new RangeError(`${this.name}: index ${index} outside 0..${this.length - 1}`);
    return a;
  }

  async get(index: number): Promise<PoseSample> {
    const a = this.annotation(index);
    const imagePath = join(this.imageDir, a.image);
    const image = await loadImageFile(imagePath, index);
    return {
      id: a.id,
      image,
      keypoints: a.keypoints,
      center: a.center,
      scale: a.scale,
      headBox: a.headBox,
      normalize: a.normalize,
      normalizeKind: a.normalizeKind,
      imagePath,
    };
  }

  /** A dataset of the first `n` samples (all when `n` is 0 or more than there are). */
  limit(n: number): FileDataset {
    if (n <= 0 || n >= this.length) return this;
    return new FileDataset(this.name, this.imageDir, this.annotations.slice(0, n), this.crop);
  }
}

/**
 * A keypoint from file values: both coordinates 0 means "not annotated" (the MPII, pose-hg-train
 * and bearpaw convention), otherwise visible or occluded per `visible`.
 *
 * @example
 * ```ts
 * keypointFrom(0, 0, 0); // [0, 0, 0] missing
 * keypointFrom(12, 30, 0); // [12, 30, 1] annotated, occluded
 * ```
 */
export function keypointFrom(x: number, y: number, visible: number): Keypoint {
  if (x === 0 && y === 0) return [0, 0, 0];
  return [x, y, visible > 0 ? 2 : 1];
}

/**
 * Throws a KitError naming file, field and position when a value is not a finite number.
 *
 * @example
 * ```ts
 * finite(NaN, "valid.h5", "scale", 12); // throws: valid.h5: field "scale" holds NaN at row 12
 * ```
 */
export function finite(v: number, file: string, field: string, row: number): number {
  if (!Number.isFinite(v)) {
    throw new KitError(`${file}: field "${field}" holds ${v} at row ${row}, expected a number`);
  }
  return v;
}
