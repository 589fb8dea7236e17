/**
 * Left/right confusion: how much of a model's PCK error is joints put on the wrong side of the
 * body. A network that cannot tell which way a person faces places the left wrist where the right
 * one is; per person, the better of the predictions as they are and with every left/right pair
 * swapped bounds what resolving sides alone could gain. (A symmetric person scores the same either
 * way, so the bound counts a person once, never both ways.)
 *
 * @module
 */

import { normalizedErrors, type PoseGroundTruth } from "./errors.ts";

/** Fractions of annotated joints within the threshold. */
export interface SideConfusion {
  /** With the predictions as they are (the ordinary PCK over all annotated joints). */
  readonly asIs: number;
  /** Per person, the better of as-is and sides swapped. */
  readonly bestSide: number;
  /** People whose swapped predictions score strictly more joints than their own. */
  readonly swappedPeople: number;
  /** Annotated joints counted (people with a usable normaliser). */
  readonly joints: number;
}

/**
 * PCK with and without left/right confusion, at `alpha` times each person's normaliser (head
 * size for PCKh). `flipIndex[j]` is joint j's mirror (itself for head, neck, pelvis, thorax).
 * People whose normaliser is not usable are left out.
 *
 * @example
 * ```ts
 * // One person, two joints that mirror each other, predicted on the wrong sides:
 * const gt = { count: 1, numJoints: 2, coords: [0, 0, 10, 0], visibility: [2, 2] };
 * sideConfusion(gt, [10, 0, 0, 0], [4], [1, 0], 0.5); // { asIs: 0, bestSide: 1, swappedPeople: 1, joints: 2 }
 * ```
 */
export function sideConfusion(
  gt: PoseGroundTruth,
  pred: ArrayLike<number>,
  normalizers: ArrayLike<number>,
  flipIndex: readonly number[],
  alpha: number,
): SideConfusion {
  const { count: n, numJoints: nj } = gt;
  // [N, J, 2] -> the same array with each joint's coordinates taken from its mirror joint.
  const swapped = new Float64Array(n * nj * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nj; j++) {
      const from = (i * nj + flipIndex[j]!) * 2, to = (i * nj + j) * 2;
      swapped[to] = pred[from]!;
      swapped[to + 1] = pred[from + 1]!;
    }
  }
  const opts = { zeroNorm: "exclude" as const };
  const a = normalizedErrors(gt, pred, normalizers, opts).errors;
  const b = normalizedErrors(gt, swapped, normalizers, opts).errors;
  let joints = 0, hitsAsIs = 0, hitsBest = 0, swappedPeople = 0;
  for (let i = 0; i < n; i++) {
    let ha = 0, hb = 0, t = 0;
    for (let j = 0; j < nj; j++) {
      const k = i * nj + j;
      if (Number.isNaN(a[k]!)) continue; // not annotated, or the person is left out
      t++;
      if (a[k]! <= alpha) ha++;
      if (b[k]! <= alpha) hb++;
    }
    joints += t;
    hitsAsIs += ha;
    hitsBest += Math.max(ha, hb);
    if (hb > ha) swappedPeople++;
  }
  return {
    asIs: joints ? hitsAsIs / joints : NaN,
    bestSide: joints ? hitsBest / joints : NaN,
    swappedPeople,
    joints,
  };
}
