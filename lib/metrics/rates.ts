/**
 * Per-joint correct counts at a threshold, and the ways tables combine them: the mean of per-joint
 * rates (eval_PCKh.py's Mean) or pooling the counts (the official Total, HRNet's weighted mean).
 *
 * @module
 */

import type { NormalizedErrors } from "./errors.ts";

/** How a normalised error is compared with the threshold alpha. */
export type Comparison = "<" | "<=";

/** Correct and annotated counts per joint, and the rate in percent (null: nothing annotated). */
export interface JointRates {
  readonly correct: readonly number[];
  readonly counts: readonly number[];
  readonly rates: readonly (number | null)[];
}

/**
 * Counts, per joint, the joints whose normalised error is below `alpha` among those not left out.
 * `include` (`[N, J]`, nonzero = keep) narrows the set further, e.g. to visible joints only.
 *
 * @example
 * ```ts
 * jointRates(errors, 0.5, "<").rates; // [95.6, ...] percent per joint
 * ```
 */
export function jointRates(
  e: NormalizedErrors,
  alpha: number,
  comparison: Comparison,
  include?: ArrayLike<number | boolean>,
): JointRates {
  const { count: n, numJoints: nj, errors } = e;
  if (include && include.length !== n * nj) {
    throw new Error(`include mask has ${include.length} entries, expected ${n * nj}`);
  }
  const correct = new Array<number>(nj).fill(0);
  const counts = new Array<number>(nj).fill(0);
  for (let k = 0; k < n * nj; k++) {
    const err = errors[k]!;
    if (Number.isNaN(err) || (include && !include[k])) continue;
    const j = k % nj;
    counts[j]!++;
    if (comparison === "<" ? err < alpha : err <= alpha) correct[j]!++;
  }
  const rates = counts.map((c, j) => (c > 0 ? (100 * correct[j]!) / c : null));
  return { correct, counts, rates };
}

/**
 * The unweighted mean of the per-joint rates of `joints` that have annotations (null if none).
 *
 * @example
 * ```ts
 * meanRate({ correct: [1, 1], counts: [1, 4], rates: [100, 25] }, [0, 1]); // 62.5
 * ```
 */
export function meanRate(r: JointRates, joints: readonly number[]): number | null {
  const values = joints.map((j) => r.rates[j]).filter((v): v is number => v != null);
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/**
 * The rate over the pooled counts of `joints`: each annotated joint weighs the same.
 *
 * @example
 * ```ts
 * pooledRate({ correct: [1, 1], counts: [1, 4], rates: [100, 25] }, [0, 1]); // 40
 * ```
 */
export function pooledRate(r: JointRates, joints: readonly number[]): number | null {
  let correct = 0, count = 0;
  for (const j of joints) {
    correct += r.correct[j] ?? 0;
    count += r.counts[j] ?? 0;
  }
  return count > 0 ? (100 * correct) / count : null;
}

/**
 * The area under a curve by the trapezoid rule, divided by the width of the x range, so a curve
 * at 100% everywhere has area 100 (the MPII toolkit's `area_under_curve` on a linear
 * interpolation). Null when fewer than two points or any y is null.
 *
 * @example
 * ```ts
 * areaUnderCurve([0, 0.25, 0.5], [0, 50, 100]); // 50
 * ```
 */
export function areaUnderCurve(
  xs: readonly number[],
  ys: readonly (number | null)[],
): number | null {
  if (xs.length < 2 || xs.length !== ys.length || ys.some((y) => y == null)) return null;
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    area += ((xs[i]! - xs[i - 1]!) * (ys[i]! + ys[i - 1]!)) / 2;
  }
  const width = xs[xs.length - 1]! - xs[0]!;
  return width > 0 ? area / width : null;
}

/**
 * Thresholds `0, step, 2 step, ..., max` computed as `i * step` to avoid drift (`0.07` stays
 * `0.07`, not `0.07000000000000001`).
 *
 * @example
 * ```ts
 * thresholdRange(0.5, 0.1); // [0, 0.1, 0.2, 0.3, 0.4, 0.5]
 * ```
 */
export function thresholdRange(max: number, step: number): number[] {
  const n = Math.round(max / step);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toFixed(10)));
}
