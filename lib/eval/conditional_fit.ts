/**
 * Ke et al.'s conditional multi-trial testing end to end (§IV-A.2): "The keypoint confidence
 * thresholds τc can be keypoint-dependent, and are empirically determined using the validation
 * set. [...] only the results with scores higher than a threshold τs are selected for the fusion
 * of the pose output. The value of τs is also empirically determined from the validation set."
 *
 * The paper does not say how; the kit's reading, all pure functions tested on worked fixtures:
 * - the validation people are split in two: the first `fitFraction` fit the thresholds, the rest
 *   are scored (so the reported gain is not measured on the people the thresholds were fitted on);
 * - τc of joint j is the confidence that best separates the fit part's wrong first-pass
 *   predictions (farther than α head sizes) from the right ones: the threshold t maximising
 *   Youden's J = P(conf < t | wrong) - P(conf < t | right); 0 (never retry for it) when no t
 *   gives J > 0;
 * - τs and the number of joints below τc that trigger a retrial (`minLowJoints`: 1, 2, 4, 8, 16,
 *   or never) are the pair whose fused poses score the highest PCKh on the fit part, with its
 *   first-round trials (τs from the quantiles of their scores). "Never" is a candidate, so the
 *   fitted thresholds never score below single-trial testing on the fit part (the paper warns
 *   that "this testing refinement may reduce the testing performance");
 * - the scored part runs `conditionalEstimate` with those thresholds (rounds included) and
 *   reports PCKh without (its first, single-trial estimates) and with conditional testing, and
 *   the fraction of people that triggered a retrial.
 *
 * This file holds the pure fits; `conditional_eval.ts` runs them over a dataset.
 *
 * @module
 */

import { pckh, type PoseGroundTruth } from "../metrics/mod.ts";
import { fuseTrials, needsRetry, type Trial } from "./conditional.ts";

/**
 * Per-joint τc by Youden's J (see the module notes). `correct[k]` is 1 (right), 0 (wrong) or
 * NaN (joint not annotated: left out) for the `[N, J]` first-pass `confidence`.
 *
 * @example
 * ```ts
 * // Joint 0: right at .9 and .8, wrong at .2 and .1 -> τc = .8 (conf < .8 catches both wrong).
 * fitTauC([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], 1); // [0.8]
 * ```
 */
export function fitTauC(
  confidence: ArrayLike<number>,
  correct: ArrayLike<number>,
  numJoints: number,
): number[] {
  if (confidence.length !== correct.length || confidence.length % numJoints !== 0) {
    throw new Error(`fitTauC: ${confidence.length} confidences, ${correct.length} labels`);
  }
  const tau: number[] = [];
  for (let j = 0; j < numJoints; j++) {
    const items: [number, boolean][] = [];
    for (let k = j; k < confidence.length; k += numJoints) {
      const c = correct[k]!;
      if (Number.isNaN(c) || !Number.isFinite(confidence[k]!)) continue;
      items.push([confidence[k]!, c > 0]);
    }
    const wrong = items.filter(([, ok]) => !ok).length;
    const right = items.length - wrong;
    let best = 0, bestJ = 0;
    if (wrong > 0 && right > 0) {
      // Candidate t: every distinct confidence; "not found" is conf < t.
      for (const t of [...new Set(items.map(([c]) => c))].sort((a, b) => a - b)) {
        let w = 0, r = 0;
        for (const [c, ok] of items) if (c < t) ok ? r++ : w++;
        const youden = w / wrong - r / right;
        if (youden > bestJ + 1e-12) {
          bestJ = youden;
          best = t;
        }
      }
    }
    tau.push(best);
  }
  return tau;
}

/** A fit-part sample: its first-round trials (the first, unperturbed, one first). */
export interface FitSample {
  readonly trials: readonly Trial[];
}

/**
 * τs: among `candidates`, the one whose fused poses (samples below τc fuse their trials, the
 * others keep their first) score the highest PCKh on the fit part; the lowest such candidate on
 * ties.
 *
 * @example
 * ```ts
 * fitTauS(samples, gt, heads, { tauC: [0.5], alpha: 0.5, candidates: [0, 0.3, 0.6] }); // { tauS, mean }
 * ```
 */
export function fitTauS(
  samples: readonly FitSample[],
  gt: PoseGroundTruth,
  heads: ArrayLike<number>,
  o: {
    tauC: readonly number[];
    alpha: number;
    candidates: readonly number[];
    minLowJoints?: number;
  },
): { tauS: number; mean: number } {
  const nj = gt.numJoints;
  const firstConf = samples.flatMap((s) => Array.from(s.trials[0]!.confidence));
  const retry = needsRetry(firstConf, nj, o.tauC, o.minLowJoints ?? 1);
  let best = { tauS: o.candidates[0] ?? 0, mean: -Infinity };
  for (const tauS of [...o.candidates].sort((a, b) => a - b)) {
    const preds = new Float64Array(samples.length * nj * 2);
    samples.forEach((s, i) => {
      const pose = retry[i] ? fuseTrials(s.trials, tauS).coords : s.trials[0]!.coords;
      preds.set(pose, i * nj * 2);
    });
    const mean = pckh(gt, preds, heads, { alpha: o.alpha, zeroHeadSize: "exclude" }).mean ?? 0;
    if (mean > best.mean + 1e-12) best = { tauS, mean };
  }
  return best;
}

/**
 * `[N, J]` 1 where a prediction is within `alpha` head sizes of an annotated joint, 0 where it
 * is farther, NaN where the joint is not annotated or the person has no head size.
 *
 * @example
 * ```ts
 * jointCorrect(gt, preds, heads, 0.5);
 * ```
 */
export function jointCorrect(
  gt: PoseGroundTruth,
  preds: ArrayLike<number>,
  heads: ArrayLike<number>,
  alpha: number,
): Float64Array {
  const nj = gt.numJoints;
  const out = new Float64Array(gt.count * nj);
  for (let i = 0; i < gt.count; i++) {
    for (let j = 0; j < nj; j++) {
      const k = i * nj + j;
      const h = heads[i]!;
      if (!(gt.visibility[k]! > 0) || !(h > 0)) {
        out[k] = NaN;
        continue;
      }
      const d = Math.hypot(
        preds[2 * k]! - gt.coords[2 * k]!,
        preds[2 * k + 1]! - gt.coords[2 * k + 1]!,
      );
      out[k] = d <= alpha * h ? 1 : 0;
    }
  }
  return out;
}
