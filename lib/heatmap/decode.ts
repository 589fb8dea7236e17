/**
 * Decoding heatmaps into joint positions: the argmax of each channel, moved a quarter pixel
 * towards its higher neighbour (Newell et al. §3; pose-hg-train and pytorch-pose do the same),
 * with the channel's maximum as the joint's confidence; then from map coordinates back to the
 * crop (`fromMapCoord`) and to the source image (the inverse of the crop transform).
 *
 * Heatmaps are channels-last `[B, H, W, J]`. Coordinates follow `coords.ts`: map pixel `i` is
 * centred at `i`, so an encoded joint decodes back to within a quarter of a map pixel.
 *
 * Signed decoding (`signed: true`) reads maps trained with MSSH's signed targets (occluded
 * joints peak at -1): every rule above applies to `|h|`, and a joint whose peak is negative is
 * reported as predicted occluded.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Affine, applyAffine, invert } from "../geometry/affine.ts";
import { fromMapCoord } from "./coords.ts";

/** Joints decoded from a batch of heatmaps. */
export interface DecodedJoints {
  readonly batch: number;
  readonly numJoints: number;
  /** `[B, J, 2]` positions (map coordinates, or image coordinates after {@link mapToImage}). */
  readonly coords: Float64Array;
  /** `[B, J]` the heatmap maximum (of `|h|` when signed); NaN where the heatmap holds a NaN. */
  readonly confidence: Float64Array;
  /** `[B, J]`, signed decoding only: 1 where the peak is negative (predicted occluded), else 0. */
  readonly occluded?: Uint8Array;
}

/** Options of the decoders. */
export interface DecodeOptions {
  /** Move the argmax a quarter pixel towards the higher neighbour (default true). */
  readonly subpixel?: boolean;
  /**
   * Decode signed maps (MSSH's targets, `data.occludedTarget: "negative"`): argmax, quarter-pixel
   * rule and confidence on `|h|`, and `occluded` set where the peak is negative (default false).
   */
  readonly signed?: boolean;
}

/**
 * Writes one decoded joint. The shift applies only when the peak has neighbours on all four
 * sides, as in pose-hg-train and pytorch-pose (a peak on the border stays on its pixel).
 */
function place(
  out: DecodedJoints,
  k: number,
  index: number,
  max: number,
  width: number,
  height: number,
  dx: number,
  dy: number,
  subpixel: boolean,
): void {
  if (Number.isNaN(max)) {
    out.coords[2 * k] = out.coords[2 * k + 1] = out.confidence[k] = NaN;
    return;
  }
  const px = index % width;
  const py = Math.floor(index / width);
  const interior = px >= 1 && px <= width - 2 && py >= 1 && py <= height - 2;
  const shift = subpixel && interior;
  out.coords[2 * k] = px + (shift ? 0.25 * Math.sign(dx) : 0);
  out.coords[2 * k + 1] = py + (shift ? 0.25 * Math.sign(dy) : 0);
  out.confidence[k] = max;
}

function emptyDecoded(batch: number, numJoints: number, signed: boolean): DecodedJoints {
  const out = {
    batch,
    numJoints,
    coords: new Float64Array(batch * numJoints * 2),
    confidence: new Float64Array(batch * numJoints),
  };
  // Unsigned results keep their old shape (no `occluded` key), so saved outputs do not change.
  return signed ? { ...out, occluded: new Uint8Array(batch * numJoints) } : out;
}

/**
 * Decodes heatmaps held in an array (`[B, H, W, J]`, channels last) into map coordinates and
 * confidences. A channel holding a NaN decodes to NaN (scored as a miss by the metrics). Ties
 * keep the first maximum in row-major order. With `signed`, see {@link DecodeOptions.signed}.
 *
 * @example
 * ```ts
 * const { heatmaps } = encodeHeatmaps([[10.3, 20, 2]], { width: 64, height: 64, sigma: 1 });
 * decodeHeatmaps(heatmaps, [1, 64, 64, 1]).coords; // Float64Array [10.25, 20]
 * const spec = { width: 64, height: 64, sigma: 1 };
 * const neg = encodeHeatmaps([[10.3, 20, 1]], spec, undefined, [-1]).heatmaps; // peak -1
 * decodeHeatmaps(neg, [1, 64, 64, 1], { signed: true }).occluded; // Uint8Array [1]
 * ```
 */
export function decodeHeatmaps(
  heatmaps: ArrayLike<number>,
  shape: readonly [number, number, number, number],
  options: DecodeOptions = {},
): DecodedJoints {
  const [b, h, w, nj] = shape;
  if (heatmaps.length !== b * h * w * nj) {
    throw new Error(
      `heatmaps have ${heatmaps.length} values, shape [${shape}] needs ${b * h * w * nj}`,
    );
  }
  const signed = options.signed ?? false;
  const out = emptyDecoded(b, nj, signed);
  // Signed maps are ranked by magnitude: a -1 peak is as confident as a +1 one.
  const mag = signed ? Math.abs : (v: number) => v;
  const at = (i: number, y: number, x: number, j: number) =>
    mag(heatmaps[((i * h + y) * w + x) * nj + j]!);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < nj; j++) {
      let best = 0, max = -Infinity, nan = false;
      for (let p = 0; p < h * w; p++) {
        const v = mag(heatmaps[(i * h * w + p) * nj + j]!);
        if (Number.isNaN(v)) nan = true;
        else if (v > max) {
          max = v;
          best = p;
        }
      }
      const px = best % w, py = Math.floor(best / w);
      const dx = px >= 1 && px <= w - 2 ? at(i, py, px + 1, j) - at(i, py, px - 1, j) : 0;
      const dy = py >= 1 && py <= h - 2 ? at(i, py + 1, px, j) - at(i, py - 1, px, j) : 0;
      place(out, i * nj + j, best, nan ? NaN : max, w, h, dx, dy, options.subpixel ?? true);
      if (out.occluded && !nan) {
        out.occluded[i * nj + j] = heatmaps[(i * h * w + best) * nj + j]! < 0 ? 1 : 0;
      }
    }
  }
  return out;
}

/**
 * Decodes a heatmap tensor `[B, H, W, J]`: argmax, max and the neighbour differences are taken on
 * the backend, and only `[B, J]`-sized results are downloaded (with `await data()`, which works on
 * WebGPU). Same result as {@link decodeHeatmaps}, signed decoding included.
 *
 * @example
 * ```ts
 * const decoded = await decodeHeatmapsTensor(heatmaps); // heatmaps: tf.Tensor4D [B, 64, 64, 16]
 * const joints = mapToImage(decoded, 4, cropTransforms); // image coordinates
 * const mssh = await decodeHeatmapsTensor(heatmaps, { signed: true }); // mssh.occluded [B, J]
 * ```
 */
export async function decodeHeatmapsTensor(
  heatmaps: tf.Tensor4D,
  options: DecodeOptions = {},
): Promise<DecodedJoints> {
  const [b, h, w, nj] = heatmaps.shape;
  const signed = options.signed ?? false;
  const parts = tf.tidy(() => {
    // [B, J, H * W]: one row per joint map.
    const rows = (x: tf.Tensor4D) => x.transpose([0, 3, 1, 2]).reshape([b * nj, h * w]);
    // Signed maps are ranked by magnitude; unsigned ones take exactly the old ops.
    const source = signed ? tf.abs(heatmaps) : heatmaps;
    const flat = rows(source);
    const index = tf.argMax(flat, 1); // [B * J]
    const max = tf.max(flat, 1);
    const nan = tf.any(tf.isNaN(flat), 1);
    // Neighbour differences after - before along x and y, zero-padded at the border (where no
    // shift is applied anyway); read at the argmax only.
    const padX = tf.pad(source, [[0, 0], [0, 0], [1, 1], [0, 0]]);
    const dx = tf.sub(
      padX.slice([0, 0, 2, 0], [b, h, w, nj]),
      padX.slice([0, 0, 0, 0], [b, h, w, nj]),
    );
    const padY = tf.pad(source, [[0, 0], [1, 1], [0, 0], [0, 0]]);
    const dy = tf.sub(
      padY.slice([0, 2, 0, 0], [b, h, w, nj]),
      padY.slice([0, 0, 0, 0], [b, h, w, nj]),
    );
    // Read each row at its argmax through a one-hot mask: tfjs-backend-wasm's Gather with
    // batchDims crashes (memory access out of bounds), and this costs only [B * J, H * W].
    // The mask is made as int32 and cast: wasm's OneHot ignores a float32 dtype and writes
    // integer bits into the float buffer.
    const mask = tf.cast(tf.oneHot(index, h * w), "float32");
    const pick = (d: tf.Tensor4D) => tf.sum(tf.mul(rows(d), mask), 1);
    const out = [index, max, nan, pick(dx as tf.Tensor4D), pick(dy as tf.Tensor4D)];
    // The signed value at the peak: its sign says whether the joint is predicted occluded.
    return signed ? [...out, pick(heatmaps)] : out;
  });
  const [index, max, nan, dx, dy, peak] = await Promise.all(parts.map((t) => t.data()));
  tf.dispose(parts);
  const out = emptyDecoded(b, nj, signed);
  for (let k = 0; k < b * nj; k++) {
    const m = nan![k] ? NaN : max![k]!;
    place(out, k, index![k]!, m, w, h, dx![k]!, dy![k]!, options.subpixel ?? true);
    if (out.occluded && !nan![k]) out.occluded[k] = peak![k]! < 0 ? 1 : 0;
  }
  return out;
}

/**
 * Moves decoded map coordinates to source-image coordinates: map to crop with `stride`
 * (`fromMapCoord`), then through the inverse of each sample's image-to-crop transform (from
 * `cropTransform`). Returns a copy; NaN stays NaN.
 *
 * @example
 * ```ts
 * const m = cropTransform({ center: [500, 300], scale: 2, size: [256, 256] });
 * mapToImage(decoded, 4, [m]).coords; // [B, J, 2] in image pixels
 * ```
 */
export function mapToImage(
  decoded: DecodedJoints,
  stride: number,
  imageToCrop: readonly Affine[],
): DecodedJoints {
  const { batch, numJoints } = decoded;
  if (imageToCrop.length !== batch) {
    throw new Error(`mapToImage: ${batch} samples but ${imageToCrop.length} transforms`);
  }
  const coords = new Float64Array(decoded.coords.length);
  for (let i = 0; i < batch; i++) {
    const back = invert(imageToCrop[i]!);
    for (let j = 0; j < numJoints; j++) {
      const k = i * numJoints + j;
      const cx = fromMapCoord(decoded.coords[2 * k]!, stride);
      const cy = fromMapCoord(decoded.coords[2 * k + 1]!, stride);
      [coords[2 * k], coords[2 * k + 1]] = applyAffine(back, cx, cy);
    }
  }
  return { ...decoded, coords };
}
