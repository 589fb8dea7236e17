/**
 * Small fixtures the data tests write themselves: PNG images, MATLAB files, and datasets built
 * in code.
 *
 * @module
 */

import { dirname } from "@std/path";
import { encodePng } from "../../lib/data/image.ts";
import { writeMat } from "../../lib/io/mat_write.ts";
import {
  type CropConvention,
  PLAIN_CROP,
  type PoseDataset,
  type PoseSample,
  type RgbImage,
  SampleLoadError,
} from "../../lib/data/types.ts";
import { NUM_JOINTS } from "../../lib/skeleton/mpii.ts";
import type { Keypoint } from "../../lib/skeleton/remap.ts";

/** A solid-colour RGB image. */
export function solidImage(width: number, height: number, rgb = [40, 80, 120]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

/** Writes an image as PNG, creating folders. */
export async function writePng(path: string, image: RgbImage): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeFile(path, encodePng(image));
}

/** 16 distinct keypoints on a grid inside `[margin, size - margin]`, all visible. */
export function gridKeypoints(size: number, margin = 8): Keypoint[] {
  const step = (size - 2 * margin) / 4;
  return Array.from({ length: NUM_JOINTS }, (_, j): Keypoint => [
    margin + (j % 4) * step + 0.25 * (j % 3),
    margin + Math.floor(j / 4) * step + 0.5 * (j % 2),
    2,
  ]);
}

/** A sample around `image` with the given keypoints, centred, with a crop box of `box` px. */
export function sampleOf(
  id: string,
  image: RgbImage,
  keypoints: Keypoint[],
  box: number,
): PoseSample {
  return {
    id,
    image,
    keypoints,
    center: [(image.width - 1) / 2, (image.height - 1) / 2],
    scale: box / 200,
    headBox: [0, 0, 10, 10],
  };
}

/** An image of seeded random pixels (structure for flip and crop comparisons). */
export function noiseImage(width: number, height: number, seed = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, data };
}

/** A dataset of given samples (built in code, no files). */
export class ArrayDataset implements PoseDataset {
  readonly length: number;
  constructor(
    readonly name: string,
    readonly samples: readonly PoseSample[],
    readonly fail: ReadonlySet<number> = new Set(),
    readonly crop: CropConvention = PLAIN_CROP,
  ) {
    this.length = samples.length;
  }

  get(index: number): Promise<PoseSample> {
    if (this.fail.has(index)) {
      const path = `fixture/${index}.png`;
      return Promise.reject(new SampleLoadError(`${path}: image not found`, index, path));
    }
    return Promise.resolve(this.samples[index]!);
  }
}

/**
 * Writes a MATLAB v5 file holding one double array `name` with MATLAB dimensions `dims`;
 * `at(...index)` gives the value at a (0-based) MATLAB index.
 */
export async function writeMatArray(
  path: string,
  name: string,
  dims: readonly number[],
  at: (...index: number[]) => number,
): Promise<void> {
  const count = dims.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  // NdArray is row-major in MATLAB's index order: the last index varies fastest.
  for (let k = 0; k < count; k++) {
    const idx = new Array<number>(dims.length);
    let r = k;
    for (let d = dims.length - 1; d >= 0; d--) {
      idx[d] = r % dims[d]!;
      r = Math.floor(r / dims[d]!);
    }
    data[k] = at(...idx);
  }
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeMat(path, { [name]: { shape: dims, data } });
}
