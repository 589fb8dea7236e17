/**
 * PCKh: a joint is correct when its distance to the ground truth, divided by the person's head
 * size (0.6 x the head box diagonal), is below alpha (0.5 in the papers' tables).
 *
 * Two conventions, as closed choices:
 * - `bearpaw` (default) follows bearpaw/pytorch-pose `evaluation/eval_PCKh.py`, the script the
 *   papers' numbers come from: `distance / head size < alpha`; Head = head top; each other part
 *   the mean of left and right; Mean = unweighted mean of the 16 per-joint rates without pelvis
 *   and thorax.
 * - `official` follows the MPII toolkit (`evaluatePCKh.m`): `<=`; Head = mean of upper neck and
 *   head top; Mean = the pooled Total over the same 14 joints.
 *
 * Both report the count-weighted mean (pooled over the 14 joints with the convention's
 * comparison), UBody, and the AUC of the Mean curve over alpha in [0, 0.5] in steps of 0.01.
 *
 * @module
 */

import { J, NUM_JOINTS } from "../skeleton/mod.ts";
import {
  checkGroundTruth,
  normalizedErrors,
  type PoseGroundTruth,
  type ZeroNormRule,
} from "./errors.ts";
import { thresholdRange } from "./rates.ts";
import { defaultMeanJoints, type PckResult, summarize, type TableRules } from "./summary.ts";

/** The PCKh table conventions. */
export type PckhConvention = "bearpaw" | "official";

/** The closed choices of {@link PckhConvention}. */
export const PCKH_CONVENTIONS: readonly PckhConvention[] = ["bearpaw", "official"];

/** The MPII head size is this fraction of the head box diagonal (`SC_BIAS`). */
export const HEAD_SIZE_FACTOR = 0.6;

/** Thresholds of the PCKh curve and its AUC: 0, 0.01, ..., 0.5. */
export const PCKH_CURVE_ALPHAS: readonly number[] = thresholdRange(0.5, 0.01);

/** The table rules of each convention, for the MPII 16-joint skeleton. */
export const PCKH_RULES: { readonly [C in PckhConvention]: TableRules } = {
  bearpaw: {
    comparison: "<",
    headJoints: [J.head_top],
    mean: "joints",
    meanJoints: defaultMeanJoints(NUM_JOINTS),
  },
  official: {
    comparison: "<=",
    headJoints: [J.upper_neck, J.head_top],
    mean: "pooled",
    meanJoints: defaultMeanJoints(NUM_JOINTS),
  },
};

/** A head box: its two corners `[x1, y1, x2, y2]` in image pixels. */
export type HeadBox = readonly [number, number, number, number];

/**
 * The MPII head size of a head box: 0.6 x its diagonal.
 *
 * @example
 * ```ts
 * headSize([0, 0, 30, 40]); // 30 (0.6 x 50)
 * ```
 */
export function headSize(box: HeadBox): number {
  return HEAD_SIZE_FACTOR * Math.hypot(box[2] - box[0], box[3] - box[1]);
}

/** Options of {@link pckh}. */
export interface PckhOptions {
  /** Threshold as a fraction of the head size; default 0.5. */
  readonly alpha?: number;
  readonly convention?: PckhConvention;
  /** People with zero head size and annotated joints: KitError (default) or left out. */
  readonly zeroHeadSize?: ZeroNormRule;
  /** `[N, J]` nonzero = count this joint (e.g. visible joints only). */
  readonly include?: ArrayLike<number | boolean>;
  /** Thresholds of the curve and AUC; default {@link PCKH_CURVE_ALPHAS}. */
  readonly curveAlphas?: readonly number[];
}

/**
 * PCKh of predictions `[N, J, 2]` against ground truth with per-person head sizes `[N]`.
 * Missing joints are left out, a NaN prediction is a miss (see `errors.ts`).
 *
 * @example
 * ```ts
 * const gt = { count: N, numJoints: 16, coords, visibility };
 * const r = pckh(gt, preds, headSizes); // bearpaw rules, alpha 0.5
 * r.parts.Head; r.mean; r.weightedMean; r.auc;
 * ```
 */
export function pckh(
  gt: PoseGroundTruth,
  pred: ArrayLike<number>,
  headSizes: ArrayLike<number>,
  options: PckhOptions = {},
): PckResult {
  checkGroundTruth(gt);
  const convention = options.convention ?? "bearpaw";
  const rules = PCKH_RULES[convention];
  if (!rules) {
    throw new Error(`unknown PCKh convention "${convention}" (${PCKH_CONVENTIONS.join(", ")})`);
  }
  const errors = normalizedErrors(gt, pred, headSizes, {
    zeroNorm: options.zeroHeadSize,
    normName: "head size",
  });
  return summarize(
    errors,
    options.alpha ?? 0.5,
    rules,
    options.curveAlphas ?? PCKH_CURVE_ALPHAS,
    options.include,
  );
}

/** PCKh over all annotated joints and split into visible and occluded ones. */
export interface VisibilitySplit {
  readonly all: PckResult;
  /** Joints with visibility 2. */
  readonly visible: PckResult;
  /** Joints with visibility 1 (annotated but occluded). */
  readonly occluded: PckResult;
}

/**
 * PCKh split by the ground truth's visibility flag (Newell Fig. 11 left): all annotated joints,
 * visible ones (v = 2) and occluded ones (v = 1).
 *
 * @example
 * ```ts
 * const { visible, occluded } = pckhByVisibility(gt, preds, headSizes);
 * visible.parts.Wrist; occluded.parts.Wrist;
 * ```
 */
export function pckhByVisibility(
  gt: PoseGroundTruth,
  pred: ArrayLike<number>,
  headSizes: ArrayLike<number>,
  options: Omit<PckhOptions, "include"> = {},
): VisibilitySplit {
  const vis = Array.from(gt.visibility);
  return {
    all: pckh(gt, pred, headSizes, options),
    visible: pckh(gt, pred, headSizes, { ...options, include: vis.map((v) => v === 2) }),
    occluded: pckh(gt, pred, headSizes, { ...options, include: vis.map((v) => v === 1) }),
  };
}
