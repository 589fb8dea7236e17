/**
 * Normalised distances between predicted and ground-truth joints, the quantity every PCK variant
 * thresholds.
 *
 * Rules, shared by PCKh and PCK:
 * - a joint that is not annotated (visibility 0) is left out (its error is NaN);
 * - a NaN or infinite prediction of an annotated joint is a miss (its error is +Infinity), as
 *   eval_PCKh.py's `NaN < threshold` is false; the count is reported;
 * - a person whose normaliser (head size, torso size) is zero, negative or not finite while some of
 *   its joints are annotated has no defined normalised distance: by default a KitError naming the
 *   person; with `zeroNorm: "exclude"` the person is left out and listed in `excludedPeople`.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";

/** Ground truth of `count` people with `numJoints` joints each, as flat row-major arrays. */
export interface PoseGroundTruth {
  readonly count: number;
  readonly numJoints: number;
  /** `[N, J, 2]` image coordinates. */
  readonly coords: ArrayLike<number>;
  /** `[N, J]`: 0 = not annotated, 1 = annotated but occluded, 2 = annotated and visible. */
  readonly visibility: ArrayLike<number>;
}

/** What to do with a person whose normaliser is zero or not finite. */
export type ZeroNormRule = "error" | "exclude";

/** The closed choices of {@link ZeroNormRule}. */
export const ZERO_NORM_RULES: readonly ZeroNormRule[] = ["error", "exclude"];

/** Per-joint distances divided by the person's normaliser. */
export interface NormalizedErrors {
  readonly count: number;
  readonly numJoints: number;
  /** `[N, J]`: NaN = left out (not annotated, or person excluded); +Infinity = NaN prediction. */
  readonly errors: Float64Array;
  /** `[N, J]`: visibility of each joint (copied from the ground truth). */
  readonly visibility: Uint8Array;
  /** People left out because their normaliser was zero or not finite (`zeroNorm: "exclude"`). */
  readonly excludedPeople: readonly number[];
  /** Annotated joints whose prediction was NaN or infinite (each counted as a miss). */
  readonly nonFinitePredictions: number;
}

/** Options of {@link normalizedErrors}. */
export interface NormalizedErrorOptions {
  readonly zeroNorm?: ZeroNormRule;
  /** Name of the normaliser in messages, e.g. "head size". */
  readonly normName?: string;
}

/**
 * Checks that a ground truth's arrays have the sizes its `count` and `numJoints` promise.
 *
 * @example
 * ```ts
 * checkGroundTruth({ count: 1, numJoints: 1, coords: [3, 4], visibility: [2] }); // ok
 * ```
 */
export function checkGroundTruth(gt: PoseGroundTruth): void {
  const { count: n, numJoints: j } = gt;
  if (gt.coords.length !== n * j * 2) {
    throw new KitError(
      `ground truth: ${gt.coords.length} coordinates for ${n} people x ${j} joints x 2`,
    );
  }
  if (gt.visibility.length !== n * j) {
    throw new KitError(`ground truth: ${gt.visibility.length} visibilities for ${n} x ${j} joints`);
  }
}

/**
 * Divides each annotated joint's prediction error (Euclidean, in image pixels) by its person's
 * normaliser. See the module notes for missing joints, NaN predictions and zero normalisers.
 *
 * @example
 * ```ts
 * const gt = { count: 1, numJoints: 2, coords: [0, 0, 10, 0], visibility: [2, 0] };
 * normalizedErrors(gt, [3, 4, 99, 99], [10]).errors; // Float64Array [0.5, NaN]
 * ```
 */
export function normalizedErrors(
  gt: PoseGroundTruth,
  pred: ArrayLike<number>,
  normalizers: ArrayLike<number>,
  options: NormalizedErrorOptions = {},
): NormalizedErrors {
  checkGroundTruth(gt);
  const { count: n, numJoints: nj } = gt;
  const normName = options.normName ?? "normaliser";
  if (pred.length !== n * nj * 2) {
    throw new KitError(
      `predictions: ${pred.length} coordinates, expected ${n} people x ${nj} joints x 2`,
    );
  }
  if (normalizers.length !== n) {
    throw new KitError(`${normName}: ${normalizers.length} values for ${n} people`);
  }
  const errors = new Float64Array(n * nj).fill(NaN);
  const visibility = new Uint8Array(n * nj);
  const excludedPeople: number[] = [];
  let nonFinitePredictions = 0;
  for (let i = 0; i < n; i++) {
    const norm = normalizers[i]!;
    let annotated = 0;
    for (let j = 0; j < nj; j++) {
      const v = gt.visibility[i * nj + j]!;
      visibility[i * nj + j] = v;
      if (v > 0) annotated++;
    }
    if (annotated === 0) continue;
    if (!(norm > 0) || !Number.isFinite(norm)) {
      if (options.zeroNorm === "exclude") {
        excludedPeople.push(i);
        continue;
      }
      throw new KitError(
        `person ${i}: ${normName} is ${norm} but ${annotated} joint(s) are annotated, so ` +
          `normalised distances are undefined (fix the ground truth, or exclude such people)`,
      );
    }
    for (let j = 0; j < nj; j++) {
      const k = i * nj + j;
      if (visibility[k] === 0) continue;
      const gx = gt.coords[2 * k]!, gy = gt.coords[2 * k + 1]!;
      if (!Number.isFinite(gx) || !Number.isFinite(gy)) {
        throw new KitError(
          `person ${i}, joint ${j}: annotated but its ground truth is (${gx}, ${gy})`,
        );
      }
      const px = pred[2 * k]!, py = pred[2 * k + 1]!;
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        nonFinitePredictions++;
        errors[k] = Infinity;
        continue;
      }
      errors[k] = Math.hypot(px - gx, py - gy) / norm;
    }
  }
  return { count: n, numJoints: nj, errors, visibility, excludedPeople, nonFinitePredictions };
}
