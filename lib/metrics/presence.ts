/**
 * Joint presence from heatmaps (Newell et al. Fig. 11 right): how well thresholding a heatmap's
 * max or mean activation tells whether the joint is annotated at all (truncated limbs are not).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** How a heatmap is reduced to one presence score. */
export type PresenceReduce = "max" | "mean";

/** The closed choices of {@link PresenceReduce}. */
export const PRESENCE_REDUCES: readonly PresenceReduce[] = ["max", "mean"];

/**
 * Presence score of every joint: the max or mean of its heatmap. Heatmaps are channels-last
 * `[B, H, W, J]`; the result is `[B, J]`.
 *
 * @example
 * ```ts
 * presenceScores(heatmaps, [2, 64, 64, 16], "mean"); // Float64Array [2 * 16]
 * ```
 */
export function presenceScores(
  heatmaps: ArrayLike<number>,
  shape: readonly [number, number, number, number],
  reduce: PresenceReduce,
): Float64Array {
  const [b, h, w, nj] = shape;
  if (heatmaps.length !== b * h * w * nj) {
    throw new Error(
      `heatmaps have ${heatmaps.length} values, shape [${shape}] needs ${b * h * w * nj}`,
    );
  }
  const out = new Float64Array(b * nj).fill(reduce === "max" ? -Infinity : 0);
  for (let i = 0; i < b; i++) {
    for (let p = 0; p < h * w; p++) {
      const base = (i * h * w + p) * nj;
      for (let j = 0; j < nj; j++) {
        const v = heatmaps[base + j]!;
        const k = i * nj + j;
        out[k] = reduce === "max" ? Math.max(out[k]!, v) : out[k]! + v;
      }
    }
  }
  if (reduce === "mean") { for (let k = 0; k < out.length; k++) out[k]! /= h * w; }
  return out;
}

/**
 * {@link presenceScores} on the backend: `[B, H, W, J]` heatmaps to `[B, J]` scores.
 *
 * @example
 * ```ts
 * const scores = presenceScoresTensor(heatmaps, "max"); // tf.Tensor2D [B, J]
 * ```
 */
export function presenceScoresTensor(heatmaps: tf.Tensor4D, reduce: PresenceReduce): tf.Tensor2D {
  return reduce === "max" ? tf.max(heatmaps, [1, 2]) : tf.mean(heatmaps, [1, 2]);
}

/** A precision/recall curve of presence detection, thresholds descending. */
export interface PresenceCurve {
  readonly thresholds: readonly number[];
  /** Percent of joints scored above the threshold that are annotated. */
  readonly precision: readonly number[];
  /** Percent of annotated joints scored above the threshold. */
  readonly recall: readonly number[];
  /** Area under the precision/recall curve (trapezoids in recall from recall 0), percent. */
  readonly auc: number | null;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Precision and recall of "joint present" when thresholding `scores` (`[N, J]`), at every
 * distinct score, pooled over `joints` (e.g. both knees). `present` (`[N, J]`) is nonzero where the
 * joint is annotated. A joint counts as detected when its score is `>=` the threshold.
 *
 * @example
 * ```ts
 * const c = presenceCurve(scores, present, 16, [J.l_knee, J.r_knee]);
 * c.auc; // Newell: 92.1 for knees with the mean activation
 * ```
 */
export function presenceCurve(
  scores: ArrayLike<number>,
  present: ArrayLike<number | boolean>,
  numJoints: number,
  joints?: readonly number[],
): PresenceCurve {
  if (scores.length !== present.length || scores.length % numJoints !== 0) {
    throw new Error(
      `presence: ${scores.length} scores and ${present.length} labels for ${numJoints} joints`,
    );
  }
  const use = new Set(joints ?? Array.from({ length: numJoints }, (_, j) => j));
  const items: [number, boolean][] = [];
  for (let k = 0; k < scores.length; k++) {
    if (!use.has(k % numJoints)) continue;
    const s = scores[k]!;
    if (Number.isNaN(s)) throw new Error(`presence score ${k} is NaN`);
    items.push([s, Boolean(present[k])]);
  }
  items.sort((a, b) => b[0] - a[0]);
  const positives = items.filter(([, p]) => p).length;
  const negatives = items.length - positives;
  const thresholds: number[] = [], precision: number[] = [], recall: number[] = [];
  let tp = 0, fp = 0;
  for (let i = 0; i < items.length; i++) {
    if (items[i]![1]) tp++;
    else fp++;
    // Tied scores fall on the same side of any threshold: emit one point per distinct score.
    if (i + 1 < items.length && items[i + 1]![0] === items[i]![0]) continue;
    thresholds.push(items[i]![0]);
    precision.push((100 * tp) / (tp + fp));
    recall.push(positives > 0 ? (100 * tp) / positives : 0);
  }
  let auc: number | null = null;
  if (positives > 0 && thresholds.length > 0) {
    let area = 0, prevR = 0, prevP = precision[0]!;
    for (let i = 0; i < recall.length; i++) {
      area += ((recall[i]! - prevR) * (precision[i]! + prevP)) / 2;
      prevR = recall[i]!;
      prevP = precision[i]!;
    }
    auc = area / 100;
  }
  return { thresholds, precision, recall, auc, positives, negatives };
}
