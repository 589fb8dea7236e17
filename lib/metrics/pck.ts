/**
 * PCK with torso normalisation (LSP, FLIC): a joint is correct when its distance to the ground
 * truth is at most alpha (0.2 in the papers) times the person's torso size, the distance between
 * two ground-truth torso joints. Rules follow the LSP/FLIC evaluation scripts: `<=`, the Mean
 * pooled over the evaluated joints; Head averages upper neck and head top.
 *
 * @module
 */

import { J, type JointPair, NUM_JOINTS } from "../skeleton/mod.ts";
import {
  checkGroundTruth,
  normalizedErrors,
  type PoseGroundTruth,
  type ZeroNormRule,
} from "./errors.ts";
import { thresholdRange } from "./rates.ts";
import { defaultMeanJoints, type PckResult, summarize, type TableRules } from "./summary.ts";

/** Thresholds of the PCK curve and its AUC: 0, 0.01, ..., 0.2 (the LSP/FLIC scripts' range). */
export const PCK_CURVE_ALPHAS: readonly number[] = thresholdRange(0.2, 0.01);

/**
 * Torso size of every person: the distance between ground-truth joints `torso[0]` and
 * `torso[1]`, NaN where either is not annotated.
 *
 * @example
 * ```ts
 * torsoSizes(gt, LSP_TORSO); // Float64Array [N]
 * ```
 */
export function torsoSizes(gt: PoseGroundTruth, torso: JointPair): Float64Array {
  checkGroundTruth(gt);
  const { count: n, numJoints: nj, coords, visibility } = gt;
  const [a, b] = torso;
  if (a < 0 || a >= nj || b < 0 || b >= nj) {
    throw new Error(`torso joints [${torso}] outside 0..${nj - 1}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ka = i * nj + a, kb = i * nj + b;
    out[i] = visibility[ka]! > 0 && visibility[kb]! > 0
      ? Math.hypot(coords[2 * ka]! - coords[2 * kb]!, coords[2 * ka + 1]! - coords[2 * kb + 1]!)
      : NaN;
  }
  return out;
}

/** Options of {@link pck}. */
export interface PckOptions {
  /** The two joints whose distance is the torso size (e.g. `LSP_TORSO`, `FLIC_TORSO`). */
  readonly torso: JointPair;
  /** Threshold as a fraction of the torso size; default 0.2. */
  readonly alpha?: number;
  /** Joints pooled into the Mean; default all but pelvis and thorax (FLIC: elbows and wrists). */
  readonly joints?: readonly number[];
  /** People whose torso size is zero or undefined: KitError (default) or left out. */
  readonly zeroTorso?: ZeroNormRule;
  readonly include?: ArrayLike<number | boolean>;
  /** Thresholds of the curve and AUC; default {@link PCK_CURVE_ALPHAS}. */
  readonly curveAlphas?: readonly number[];
}

/**
 * PCK@alpha normalised by torso size, for datasets mapped onto the MPII channel order.
 *
 * @example
 * ```ts
 * const r = pck(gt, preds, { torso: FLIC_TORSO, joints: [J.l_elbow, J.r_elbow, J.l_wrist, J.r_wrist] });
 * r.parts.Elbow; r.parts.Wrist; r.mean;
 * ```
 */
export function pck(gt: PoseGroundTruth, pred: ArrayLike<number>, options: PckOptions): PckResult {
  const rules: TableRules = {
    comparison: "<=",
    headJoints: [J.upper_neck, J.head_top],
    mean: "pooled",
    meanJoints: options.joints ?? defaultMeanJoints(gt.numJoints ?? NUM_JOINTS),
  };
  const errors = normalizedErrors(gt, pred, torsoSizes(gt, options.torso), {
    zeroNorm: options.zeroTorso,
    normName: "torso size",
  });
  return summarize(
    errors,
    options.alpha ?? 0.2,
    rules,
    options.curveAlphas ?? PCK_CURVE_ALPHAS,
    options.include,
  );
}
