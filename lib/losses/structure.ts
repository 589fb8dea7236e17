/**
 * The structure-aware loss, Eq. 2 of Ke et al. (§III-C).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { STRUCTURE_GROUPS } from "../skeleton/structure.ts";
import type { GroupCombine, StructureReduction } from "./config.ts";
import { jointLosses, type PixelOptions } from "./heatmap.ts";

/** Options of the structure-aware loss. */
export interface StructureOptions extends PixelOptions {
  /** Weight of the structural term. */
  readonly alpha: number;
  /** How a group's maps combine. */
  readonly combine: GroupCombine;
  /**
   * `mean` (default): the structural term averaged over keypoints like the first; `sum`: Eq. 2
   * as printed, the structural term summed over the N keypoints (not divided by N).
   */
  readonly structureReduce?: StructureReduction;
  /** `groups[n]` = S_n, starting with n; defaults to the MPII skeleton's groups. */
  readonly groups?: readonly (readonly number[])[];
}

/** Group members padded to one length by repeating the group's own keypoint (min ignores it). */
function paddedIndices(groups: readonly (readonly number[])[]): number[][] {
  const size = Math.max(...groups.map((g) => g.length));
  return groups.map((g) => Array.from({ length: size }, (_, i) => g[i] ?? g[0]!));
}

/**
 * Combines each keypoint's heatmap with its neighbours': `[B, H, W, J]` -> `[B, H, W, N]`
 * with channel n = `Σ_{k ∈ S_n} P_k` (`sum`) or `max_{k ∈ S_n} P_k` (`max`).
 *
 * `sum` (the default) makes the structural term penalise errors that neighbours make together,
 * is smooth, and spreads its gradient over the whole group; `max` compares the union of the
 * group's blobs and sends each pixel's gradient only to the strongest member.
 *
 * With MSSH's signed targets (`data.occludedTarget: "negative"`) only `sum` is meaningful: it is
 * linear, so an occluded neighbour's -1 blob counts with its sign, whereas `max` would replace it
 * by the group's zero background. The experiment config rejects `max` with signed targets.
 *
 * @example
 * ```ts
 * combineGroups(maps, [[0, 1], [1, 0]], "sum"); // both channels = maps[..., 0] + maps[..., 1]
 * ```
 */
export function combineGroups(
  maps: tf.Tensor4D,
  groups: readonly (readonly number[])[],
  combine: GroupCombine,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, j] = maps.shape;
    if (combine === "sum") {
      const member = new Float32Array(j * groups.length);
      groups.forEach((g, n) => g.forEach((k) => (member[k * groups.length + n] = 1)));
      // [B*H*W, J] x [J, N] -> [B, H, W, N]
      const flat = tf.reshape(maps, [b * h * w, j]);
      const sums = tf.matMul(flat, tf.tensor2d(member, [j, groups.length]));
      return tf.reshape(sums, [b, h, w, groups.length]);
    }
    // Pad short groups with a channel that never wins the max: repeating a member instead would
    // double its gradient (tf.max sends the gradient to every element equal to the maximum).
    const size = Math.max(...groups.map((g) => g.length));
    const idx = groups.flatMap((g) => Array.from({ length: size }, (_, i) => g[i] ?? j));
    const padded = tf.concat([maps, tf.fill([b, h, w, 1], -1e30)], 3);
    // [B, H, W, N*G] -> [B, H, W, N, G] -> max over G
    const gathered = tf.gather(padded, tf.tensor1d(idx, "int32"), 3);
    return tf.max(tf.reshape(gathered, [b, h, w, groups.length, size]), 4);
  });
}

/**
 * The weight of each group: the smallest weight of its members `[B, J]` -> `[B, N]`. With 0/1
 * target weights a group counts only where all its keypoints are present, so a missing joint
 * never pulls its neighbours' combined map towards a map without it.
 *
 * @example
 * ```ts
 * groupWeights(tf.tensor2d([[1, 0, 1]]), [[0, 1], [1, 0], [2]]); // [[0, 0, 1]]
 * ```
 */
export function groupWeights(
  weights: tf.Tensor2D,
  groups: readonly (readonly number[])[],
): tf.Tensor2D {
  return tf.tidy(() => {
    const idx = paddedIndices(groups);
    const [b] = weights.shape;
    const gathered = tf.gather(weights, tf.tensor1d(idx.flat(), "int32"), 1);
    return tf.min(tf.reshape(gathered, [b, groups.length, idx[0]!.length]), 2) as tf.Tensor2D;
  });
}

/**
 * Eq. 2 per keypoint `[J]`: `ℓ_n = w_n Σ_xy (P_n - G_n)² + α g_n Σ_xy (P_Sn - G_Sn)²`,
 * batch-averaged, with `P_Sn`, `G_Sn` from `combineGroups` and `g_n` from `groupWeights`.
 * Ke et al.'s Eq. 2 reads `L_SA = (1/N) Σ_n ||P_n - G_n||² + α Σ_n ||P_Sn - G_Sn||²`: the first
 * term is averaged over the N keypoints, the structural one is not. With
 * `structureReduce: "sum"` the structural term here is multiplied by N, so the mean over
 * keypoints of these values is exactly that form; with `"mean"` (the default) the structural
 * term is averaged too and α weighs the two terms per keypoint.
 *
 * @example
 * ```ts
 * structureJointLosses(pred, target, weights, { alpha: 1, combine: "sum" }); // [16]
 * ```
 */
export function structureJointLosses(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  weights: tf.Tensor2D,
  opts: StructureOptions,
): tf.Tensor1D {
  return tf.tidy(() => {
    const groups = opts.groups ?? STRUCTURE_GROUPS;
    const own = jointLosses(pred, target, weights, opts);
    const structural = jointLosses(
      combineGroups(pred, groups, opts.combine),
      combineGroups(target, groups, opts.combine),
      groupWeights(weights, groups),
      opts,
    );
    const n = opts.structureReduce === "sum" ? groups.length : 1;
    return tf.add(own, tf.mul(structural, opts.alpha * n));
  });
}

/**
 * Eq. 2: the mean over keypoints of `structureJointLosses`.
 *
 * @example
 * ```ts
 * const loss = structureAwareLoss(pred, target, weights, { alpha: 1, combine: "max" });
 * ```
 */
export function structureAwareLoss(
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  weights: tf.Tensor2D,
  opts: StructureOptions,
): tf.Scalar {
  return tf.tidy(() => tf.mean(structureJointLosses(pred, target, weights, opts)));
}
