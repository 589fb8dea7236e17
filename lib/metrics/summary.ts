/**
 * From normalised errors to the papers' table: per-joint rates, the parts (Head, Shoulder, ...),
 * the Mean under a given rule, the curve over thresholds and its area.
 *
 * @module
 */

import { MEAN_EXCLUDED, type Part, PART_JOINTS, PARTS } from "../skeleton/mod.ts";
import type { NormalizedErrors } from "./errors.ts";
import {
  areaUnderCurve,
  type Comparison,
  type JointRates,
  jointRates,
  meanRate,
  pooledRate,
} from "./rates.ts";

/** How a table is assembled from per-joint rates. */
export interface TableRules {
  readonly comparison: Comparison;
  /** Joints averaged into the Head column. */
  readonly headJoints: readonly number[];
  /** Mean = unweighted mean of per-joint rates ("joints") or pooled counts ("pooled"). */
  readonly mean: "joints" | "pooled";
  /** Joints that enter the Mean (and the weighted mean). */
  readonly meanJoints: readonly number[];
}

/** The rate (percent) at each threshold: the Mean and every joint (lib/viz draws it as curves). */
export interface PckCurve {
  readonly alphas: readonly number[];
  readonly mean: readonly (number | null)[];
  /** `perJoint[a][j]`: rate of joint `j` at `alphas[a]`. */
  readonly perJoint: readonly (readonly (number | null)[])[];
}

/** One evaluation: the table at `alpha`, the curve, and what was counted or left out. */
export interface PckResult {
  readonly alpha: number;
  readonly rules: TableRules;
  /** Percent correct per joint, in channel order (null where no joint is annotated). */
  readonly perJoint: readonly (number | null)[];
  readonly correct: readonly number[];
  readonly counts: readonly number[];
  /** The table's columns: each the mean of its joints' rates (left and right, or neck and top). */
  readonly parts: { readonly [P in Part]: number | null };
  /** The table's Mean under `rules.mean`. */
  readonly mean: number | null;
  /** Pooled over `rules.meanJoints`: every annotated joint weighs the same (HRNet/MMPose Mean). */
  readonly weightedMean: number | null;
  /** Pooled over shoulders, elbows and wrists (the official table's UBody). */
  readonly upperBody: number | null;
  readonly curve: PckCurve;
  /** Area under the Mean curve over `curve.alphas`, in percent (100 = perfect). */
  readonly auc: number | null;
  readonly people: number;
  readonly excludedPeople: readonly number[];
  readonly nonFinitePredictions: number;
}

/**
 * Joints entering the Mean by default: all but pelvis and thorax (eval_PCKh.py).
 *
 * @example
 * ```ts
 * defaultMeanJoints(16); // [0, 1, 2, 3, 4, 5, 8, 9, ..., 15]
 * ```
 */
export function defaultMeanJoints(numJoints: number): number[] {
  return Array.from({ length: numJoints }, (_, j) => j).filter((j) => !MEAN_EXCLUDED.includes(j));
}

const UPPER_BODY: readonly number[] = [
  ...PART_JOINTS.Shoulder,
  ...PART_JOINTS.Elbow,
  ...PART_JOINTS.Wrist,
];

function partsOf(r: JointRates, rules: TableRules): { [P in Part]: number | null } {
  const out = {} as { [P in Part]: number | null };
  for (const part of PARTS) {
    out[part] = meanRate(r, part === "Head" ? rules.headJoints : PART_JOINTS[part]);
  }
  return out;
}

function tableMean(r: JointRates, rules: TableRules): number | null {
  return rules.mean === "pooled" ? pooledRate(r, rules.meanJoints) : meanRate(r, rules.meanJoints);
}

/**
 * Assembles the table and curve from normalised errors. `include` (`[N, J]`) narrows the joints
 * counted, e.g. to the visible ones.
 *
 * @example
 * ```ts
 * const r = summarize(errors, 0.5, PCKH_RULES.bearpaw, thresholdRange(0.5, 0.01));
 * r.parts.Wrist; // 76.74
 * ```
 */
export function summarize(
  e: NormalizedErrors,
  alpha: number,
  rules: TableRules,
  curveAlphas: readonly number[],
  include?: ArrayLike<number | boolean>,
): PckResult {
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new Error(`alpha must be >= 0, got ${alpha}`);
  const r = jointRates(e, alpha, rules.comparison, include);
  const perAlpha = curveAlphas.map((a) => jointRates(e, a, rules.comparison, include));
  const curveMean = perAlpha.map((ra) => tableMean(ra, rules));
  return {
    alpha,
    rules,
    perJoint: r.rates,
    correct: r.correct,
    counts: r.counts,
    parts: partsOf(r, rules),
    mean: tableMean(r, rules),
    weightedMean: pooledRate(r, rules.meanJoints),
    upperBody: pooledRate(r, UPPER_BODY),
    curve: { alphas: curveAlphas, mean: curveMean, perJoint: perAlpha.map((ra) => ra.rates) },
    auc: areaUnderCurve(curveAlphas, curveMean),
    people: e.count,
    excludedPeople: e.excludedPeople,
    nonFinitePredictions: e.nonFinitePredictions,
  };
}
