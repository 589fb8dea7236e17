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
 * @module
 */

import type { PoseDataset } from "../data/types.ts";
import { headSize } from "../data/types.ts";
import { pckh, type PoseGroundTruth } from "../metrics/mod.ts";
import type { PckResult } from "../metrics/summary.ts";
import {
  type BoxPerturbation,
  conditionalEstimate,
  DEFAULT_PERTURBATIONS,
  fuseTrials,
  needsRetry,
  perturb,
  type Trial,
} from "./conditional.ts";
import { estimatePoses } from "./infer.ts";
import type { CropRequest, InferenceOptions, PredictFn } from "./types.ts";

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

/** The quantiles `0, 1/(n-1), ..., 1` of `values` (sorted, distinct). */
function quantiles(values: readonly number[], n: number): number[] {
  const v = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [0];
  const out = new Set<number>();
  for (let q = 0; q < n; q++) out.add(v[Math.round((q / (n - 1)) * (v.length - 1))]!);
  return [...out];
}

/** What `conditionalEvaluation` reports. */
export interface ConditionalReport {
  readonly tauC: readonly number[];
  readonly tauS: number;
  /** Joints below τc that trigger a retrial (numJoints + 1: never). */
  readonly minLowJoints: number;
  /** People used to fit the thresholds, and people scored. */
  readonly fitPeople: number;
  readonly scoredPeople: number;
  /** PCKh of the scored part without conditional testing (single trial) and with it. */
  readonly without: PckResult;
  readonly with: PckResult;
  /** People of the scored part that triggered a retrial, and their fraction. */
  readonly retried: number;
  readonly retrialFraction: number;
}

/** Options of {@link conditionalEvaluation}. */
export interface ConditionalEvaluationOptions extends InferenceOptions {
  /** Fraction of the people (the first ones) that fit τc and τs (default 0.5). */
  readonly fitFraction?: number;
  /** PCKh threshold (default 0.5). */
  readonly alpha?: number;
  readonly perturbations?: readonly BoxPerturbation[];
  readonly rounds?: number;
  /** People loaded at a time (default 32): only their images are in memory. */
  readonly chunk?: number;
  /** Called with the number of people finished (fit and scored parts together). */
  readonly onPeople?: (people: number) => void;
}

interface Loaded {
  readonly requests: CropRequest[];
  readonly gt: PoseGroundTruth;
  readonly heads: Float64Array;
}

async function load(dataset: PoseDataset, from: number, to: number): Promise<Loaded> {
  const samples = await Promise.all(
    Array.from({ length: to - from }, (_, i) => dataset.get(from + i)),
  );
  const nj = samples[0]?.keypoints.length ?? 0;
  return {
    requests: samples.map((s) => ({ image: s.image, center: s.center, scale: s.scale })),
    gt: {
      count: samples.length,
      numJoints: nj,
      coords: samples.flatMap((s) => s.keypoints.flatMap((k) => [k[0], k[1]])),
      visibility: samples.flatMap((s) => s.keypoints.map((k) => k[2])),
    },
    heads: Float64Array.from(samples.map((s) => headSize(s) ?? NaN)),
  };
}

function concatGt(parts: readonly PoseGroundTruth[]): PoseGroundTruth {
  return {
    count: parts.reduce((n, p) => n + p.count, 0),
    numJoints: parts[0]?.numJoints ?? 0,
    coords: parts.flatMap((p) => Array.from(p.coords)),
    visibility: parts.flatMap((p) => Array.from(p.visibility)),
  };
}

/**
 * Fits τc and τs on the first `fitFraction` of `dataset`'s people and scores the rest with and
 * without conditional testing (see the module notes). Images are loaded `chunk` people at a time.
 *
 * @example
 * ```ts
 * const r = await conditionalEvaluation(predict, await openDataset(cfg.data, "val"), { size: 256, stride: 4 });
 * r.without.mean; r.with.mean; r.retrialFraction;
 * ```
 */
export async function conditionalEvaluation(
  predict: PredictFn,
  dataset: PoseDataset,
  options: ConditionalEvaluationOptions = {},
): Promise<ConditionalReport> {
  const alpha = options.alpha ?? 0.5;
  const fraction = options.fitFraction ?? 0.5;
  const chunk = options.chunk ?? 32;
  const perturbations = options.perturbations ?? DEFAULT_PERTURBATIONS;
  const nFit = Math.round(dataset.length * fraction);
  if (nFit < 1 || nFit >= dataset.length) {
    throw new Error(
      `conditional testing needs people to fit on and people to score: ${dataset.length} ` +
        `people with a fit fraction of ${fraction}`,
    );
  }
  // Fit part: the first trial and one round of every perturbation, for every person.
  const fitSamples: FitSample[] = [];
  const fitGt: PoseGroundTruth[] = [];
  const fitHeads: number[] = [];
  for (let from = 0; from < nFit; from += chunk) {
    const part = await load(dataset, from, Math.min(nFit, from + chunk));
    const first = await estimatePoses(predict, part.requests, options);
    const moved = part.requests.flatMap((r) => perturbations.map((p) => perturb(r, p)));
    const more = await estimatePoses(predict, moved, options);
    const nj = first.numJoints;
    const slice = (e: typeof first, k: number): Trial => ({
      coords: e.coords.slice(k * nj * 2, (k + 1) * nj * 2),
      confidence: e.confidence.slice(k * nj, (k + 1) * nj),
    });
    part.requests.forEach((_, i) => {
      const trials = [slice(first, i)];
      for (let p = 0; p < perturbations.length; p++) {
        trials.push(slice(more, i * perturbations.length + p));
      }
      fitSamples.push({ trials });
    });
    fitGt.push(part.gt);
    fitHeads.push(...part.heads);
    options.onPeople?.(part.requests.length);
  }
  const gt = concatGt(fitGt);
  const firstPreds = fitSamples.flatMap((s) => Array.from(s.trials[0]!.coords));
  const firstConf = fitSamples.flatMap((s) => Array.from(s.trials[0]!.confidence));
  const tauC = fitTauC(firstConf, jointCorrect(gt, firstPreds, fitHeads, alpha), gt.numJoints);
  const scores = fitSamples.flatMap((s) =>
    s.trials.map((t) => Array.from(t.confidence).reduce((a, b) => a + b, 0) / t.confidence.length)
  );
  const nj = gt.numJoints;
  let fitted = { tauS: 0, mean: -Infinity, minLowJoints: nj + 1 };
  // Fewest retrials first, so a tie keeps the cheaper rule; nj + 1 never retries.
  for (const minLowJoints of [nj + 1, 16, 8, 4, 2, 1].filter((m) => m <= nj + 1)) {
    const f = fitTauS(fitSamples, gt, fitHeads, {
      tauC,
      alpha,
      candidates: quantiles(scores, 21),
      minLowJoints,
    });
    if (f.mean > fitted.mean + 1e-9) fitted = { ...f, minLowJoints };
  }
  const { tauS, minLowJoints } = fitted;

  // Scored part.
  const scoredGt: PoseGroundTruth[] = [];
  const heads: number[] = [];
  const single: number[] = [], fused: number[] = [];
  let retried = 0;
  for (let from = nFit; from < dataset.length; from += chunk) {
    const part = await load(dataset, from, Math.min(dataset.length, from + chunk));
    const est = await conditionalEstimate(predict, part.requests, {
      ...options,
      tauC,
      tauS,
      minLowJoints,
      perturbations,
    });
    single.push(...est.single.coords);
    fused.push(...est.coords);
    retried += est.retried.filter(Boolean).length;
    scoredGt.push(part.gt);
    heads.push(...part.heads);
    options.onPeople?.(part.requests.length);
  }
  const scored = concatGt(scoredGt);
  const score = (preds: number[]) => pckh(scored, preds, heads, { alpha, zeroHeadSize: "exclude" });
  return {
    tauC,
    tauS,
    minLowJoints,
    fitPeople: nFit,
    scoredPeople: scored.count,
    without: score(single),
    with: score(fused),
    retried,
    retrialFraction: retried / Math.max(1, scored.count),
  };
}
