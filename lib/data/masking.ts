/**
 * Keypoint masking (Ke et al. §III-D, Fig. 5): (a) a background patch pasted over a joint, which
 * the network must then infer from the limbs around it (simulated occlusion), and (b) a joint's
 * patch pasted onto nearby background, which the network must reject by structure (simulated
 * duplicate joint, the multi-person confusion).
 *
 * Patches are planned on the CPU from the crop's keypoints (`planMasking`) and pasted on the
 * backend into the whole batch of crops at once (`pastePatches`): one gather and one scatter per
 * patch kind, no per-pixel JavaScript.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Random } from "../random/random.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import type { MaskingConfig } from "./config.ts";

/** Patch kinds, in the order they are pasted (each kind is one slot). */
export const PATCH_KINDS = ["background", "duplicate"] as const;

/** A square patch copied within a crop: source and destination top-left corners, in crop px. */
export interface Patch {
  readonly kind: typeof PATCH_KINDS[number];
  /** The joint covered (background) or copied (duplicate). */
  readonly joint: number;
  readonly size: number;
  /** Destination top-left corner. */
  readonly x0: number;
  readonly y0: number;
  /** Source top-left corner. */
  readonly sx0: number;
  readonly sy0: number;
}

const TRIES = 30;

/**
 * Plans the patches of one crop of side `size`: with probability `background` a joint-free patch
 * pasted over a joint (joints under it become occluded, v = 1, and keep their targets: positive,
 * or negative with `data.occludedTarget: "negative"`, as for any occluded joint), with
 * probability `duplicate` a joint's patch pasted 1-2.5 patch sides away onto a joint-free spot.
 * A patch that finds no joint-free place in 30 tries is left out.
 *
 * @example
 * ```ts
 * const { patches, keypoints } = planMasking(cropKps, 256, { enabled: true, background: 1, duplicate: 1, patchSize: 0.15 }, rng);
 * ```
 */
export function planMasking(
  keypoints: readonly Keypoint[],
  size: number,
  cfg: MaskingConfig,
  rng: Random,
): { patches: Patch[]; keypoints: Keypoint[] } {
  const P = Math.max(2, Math.round(cfg.patchSize * size));
  const out = keypoints.map((k): Keypoint => [k[0], k[1], k[2]]);
  const inCrop = (k: Keypoint) =>
    k[2] > 0 && k[0] >= 0 && k[0] <= size - 1 && k[1] >= 0 && k[1] <= size - 1;
  const annotated = keypoints.map((k, j) => (inCrop(k) ? j : -1)).filter((j) => j >= 0);
  const patches: Patch[] = [];
  // Draw both decisions first so enabling one kind does not change the other's stream.
  const wantBackground = rng.chance(cfg.background);
  const wantDuplicate = rng.chance(cfg.duplicate);
  if (annotated.length === 0) return { patches, keypoints: out };
  const clampCorner = (c: number) => Math.max(0, Math.min(size - P, Math.round(c - P / 2)));
  // A rectangle is "background" when no annotated joint lies within half a patch of it.
  const jointFree = (x0: number, y0: number) =>
    annotated.every((j) => {
      const [x, y] = keypoints[j]!;
      return x < x0 - P / 2 || x > x0 + P * 1.5 || y < y0 - P / 2 || y > y0 + P * 1.5;
    });
  const pickJoint = () => {
    const visible = annotated.filter((j) => keypoints[j]![2] === 2);
    return rng.pick(visible.length > 0 ? visible : annotated);
  };

  if (wantBackground) {
    const j = pickJoint();
    const [x, y] = keypoints[j]!;
    const x0 = clampCorner(x), y0 = clampCorner(y);
    for (let t = 0; t < TRIES; t++) {
      const sx0 = rng.int(0, size - P), sy0 = rng.int(0, size - P);
      if (!jointFree(sx0, sy0)) continue;
      patches.push({ kind: "background", joint: j, size: P, x0, y0, sx0, sy0 });
      annotated.forEach((k) => {
        const [kx, ky, v] = out[k]!;
        if (kx >= x0 - 0.5 && kx < x0 + P - 0.5 && ky >= y0 - 0.5 && ky < y0 + P - 0.5) {
          out[k] = [kx, ky, v > 0 ? 1 : 0];
        }
      });
      break;
    }
  }
  if (wantDuplicate) {
    const j = pickJoint();
    const [x, y] = keypoints[j]!;
    const sx0 = clampCorner(x), sy0 = clampCorner(y);
    for (let t = 0; t < TRIES; t++) {
      const angle = rng.uniform(0, 2 * Math.PI), d = P * rng.uniform(1, 2.5);
      const cx = x + d * Math.cos(angle), cy = y + d * Math.sin(angle);
      const x0 = Math.round(cx - P / 2), y0 = Math.round(cy - P / 2);
      if (x0 < 0 || y0 < 0 || x0 > size - P || y0 > size - P || !jointFree(x0, y0)) continue;
      patches.push({ kind: "duplicate", joint: j, size: P, x0, y0, sx0, sy0 });
      break;
    }
  }
  return { patches, keypoints: out };
}

/**
 * Pastes each sample's patches into a batch of crops `[B, S, S, C]`: for every patch kind, the
 * source squares of all samples are gathered in one op and scattered onto their destinations in
 * another, with indices built by tensor ops (no per-pixel JavaScript). Every source square is
 * read from the unmasked crop, so a later patch never copies an earlier one's paste. Pixels are
 * copied exactly; pixels outside the patches are returned unchanged. A sample without a patch of that
 * kind copies a square onto itself.
 *
 * @example
 * ```ts
 * const masked = pastePatches(crops, batchPatches); // batchPatches[i] = patches of sample i
 * ```
 */
export function pastePatches(
  crops: tf.Tensor4D,
  patches: readonly (readonly Patch[])[],
): tf.Tensor4D {
  const [b] = crops.shape;
  if (patches.length !== b) throw new Error(`pastePatches: ${b} crops but ${patches.length} plans`);
  return tf.tidy(() => {
    // Sources come from the unmasked crops: a duplicate whose source square the background
    // patch has just covered would otherwise copy background, not the joint (Ke Fig. 5(d)).
    // All sources are gathered before the first paste, and the pastes go into a copy: tfjs's
    // cpu TensorScatterUpdate writes into its input's buffer (measured with tfjs 4.22), so
    // pasting into `crops` itself would change the caller's tensor and later gathers.
    const plans: { index: tf.Tensor; values: tf.Tensor }[] = [];
    for (const kind of PATCH_KINDS) {
      const slot = patches.map((ps) => ps.find((p) => p.kind === kind));
      const first = slot.find((p) => p !== undefined);
      if (!first) continue;
      const P = first.size;
      if (slot.some((p) => p !== undefined && p.size !== P)) {
        throw new Error(`pastePatches: ${kind} patches of one batch differ in size`);
      }
      // [B, P, P, 3] (batch, y, x) indices of each sample's P x P square with top-left (x0, y0).
      const square = (x0: (p: Patch) => number, y0: (p: Patch) => number) => {
        const col = (f: (p: Patch) => number) =>
          tf.tensor1d(slot.map((p) => (p ? f(p) : 0)), "int32").reshape([b, 1, 1]);
        const r = tf.range(0, P, 1, "int32");
        const bIdx = tf.range(0, b, 1, "int32").reshape([b, 1, 1]).tile([1, P, P]);
        const yIdx = col(y0).add(r.reshape([1, P, 1])).tile([1, 1, P]);
        const xIdx = col(x0).add(r.reshape([1, 1, P])).tile([1, P, 1]);
        return tf.stack([bIdx, yIdx, xIdx], 3); // [B, P, P, 3]
      };
      plans.push({
        values: tf.gatherND(crops, square((p) => p.sx0, (p) => p.sy0)), // [B, P, P, C]
        index: square((p) => p.x0, (p) => p.y0),
      });
    }
    if (plans.length === 0) return crops.clone();
    let out = tf.add(crops, tf.scalar(0, crops.dtype)) as tf.Tensor4D; // a buffer of our own
    for (const { index, values } of plans) out = tf.tensorScatterUpdate(out, index, values);
    return out;
  });
}
