/**
 * Conditional testing over a validation set (Ke et al. §IV-A.2): fits τc and τs on the first
 * people with the pure fits of `conditional_fit.ts` (whose module notes give the kit's reading of
 * the paper) and scores the rest with and without conditional testing.
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
  perturb,
  type Trial,
} from "./conditional.ts";
import { type FitSample, fitTauC, fitTauS, jointCorrect } from "./conditional_fit.ts";
import { estimatePoses } from "./infer.ts";
import type { CropRequest, InferenceOptions, PredictFn } from "./types.ts";

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
