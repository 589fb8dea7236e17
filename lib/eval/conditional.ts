/**
 * Ke et al.'s conditional multi-trial testing (§IV-A.2): estimate the pose at the given person box
 * first; where keypoint confidences fall below their thresholds τc, no pose was found, so perturb
 * the box (centre and scale), estimate again, and fuse the trials whose score exceeds τs.
 *
 * The paper leaves the details open; the kit's choices, all options:
 * - a sample is retried when at least `minLowJoints` (default 1) joints have confidence below τc
 *   (one value, or one per joint);
 * - a trial's score is the mean confidence of its joints;
 * - every trial of a retried sample, the first one included, enters the fusion when its score is
 *   above τs; each joint is the confidence-weighted mean of the selected trials' positions, and its
 *   confidence the mean of theirs;
 * - when no trial passes τs the best-scoring trial is kept as it is;
 * - the location is perturbed repeatedly ("We then perturb the putative person location, and
 *   repeat the pose finding, to see if a refined pose can be found"): round r moves the box by r
 *   times each perturbation's shift and its scale to the r-th power, and a sample goes on to the
 *   next round while its fused pose still has joints below τc, up to `rounds` (default 2).
 *
 * τc and τs "are empirically determined using the validation set": `conditional_fit.ts` fits them
 * on a held-out part of validation and scores the rest (`deno task eval --conditional`).
 *
 * @module
 */

import type { PoseEstimates } from "./infer.ts";
import { estimatePoses } from "./infer.ts";
import type { CropRequest, InferenceOptions, PredictFn } from "./types.ts";

/** One perturbation of the person box: centre shift in box sides, scale factor. */
export interface BoxPerturbation {
  /** Centre shift along x, as a fraction of the box side `200 * scale`. */
  readonly dx: number;
  /** Centre shift along y, as a fraction of the box side. */
  readonly dy: number;
  /** Factor on the scale. */
  readonly scale: number;
}

/** Default perturbations: the box 15% smaller or larger, or shifted by 10% of its side. */
export const DEFAULT_PERTURBATIONS: readonly BoxPerturbation[] = [
  { dx: 0, dy: 0, scale: 0.85 },
  { dx: 0, dy: 0, scale: 1.15 },
  { dx: -0.1, dy: 0, scale: 1 },
  { dx: 0.1, dy: 0, scale: 1 },
  { dx: 0, dy: -0.1, scale: 1 },
  { dx: 0, dy: 0.1, scale: 1 },
];

/** Options of {@link conditionalEstimate}. */
export interface ConditionalOptions extends InferenceOptions {
  /** τc: confidence below which a joint counts as not found; one value or one per joint. */
  readonly tauC: number | readonly number[];
  /** τs: minimum trial score (mean joint confidence) to enter the fusion. */
  readonly tauS: number;
  /** Joints below τc needed to retry a sample (default 1). */
  readonly minLowJoints?: number;
  readonly perturbations?: readonly BoxPerturbation[];
  /** Rounds of perturbation for samples still below τc after fusing (default 2). */
  readonly rounds?: number;
}

/** Estimates after conditional testing, and which samples were retried. */
export interface ConditionalEstimates extends PoseEstimates {
  /** Per sample: whether its first estimate fell below τc and it was retried. */
  readonly retried: readonly boolean[];
  /** Per sample: how many trials entered the fusion (1 for samples not retried). */
  readonly trialsFused: readonly number[];
  /** Per sample: rounds of perturbation taken (0 for samples not retried). */
  readonly rounds: readonly number[];
  /** The first, single-trial estimates (what evaluation without conditional testing gives). */
  readonly single: { readonly coords: Float64Array; readonly confidence: Float64Array };
}

/**
 * The perturbation of round `round` (1-based): the shift times `round`, the scale to the power
 * `round`, so each round looks further from the given box.
 *
 * @example
 * ```ts
 * roundPerturbation({ dx: 0.1, dy: 0, scale: 0.85 }, 2); // { dx: 0.2, dy: 0, scale: 0.7225 }
 * ```
 */
export function roundPerturbation(p: BoxPerturbation, round: number): BoxPerturbation {
  return { dx: p.dx * round, dy: p.dy * round, scale: p.scale ** round };
}

/**
 * Moves a request's box by a perturbation.
 *
 * @example
 * ```ts
 * perturb({ image, center: [100, 100], scale: 1 }, { dx: 0.1, dy: 0, scale: 1.2 });
 * // centre [120, 100], scale 1.2
 * ```
 */
export function perturb(request: CropRequest, p: BoxPerturbation): CropRequest {
  const side = 200 * request.scale;
  return {
    image: request.image,
    center: [request.center[0] + p.dx * side, request.center[1] + p.dy * side],
    scale: request.scale * p.scale,
  };
}

/**
 * Which samples to retry: those with at least `minLow` joints below their τc.
 *
 * @example
 * ```ts
 * needsRetry(Float64Array.of(0.9, 0.1, 0.8, 0.7), 2, 0.5); // [true, false]
 * ```
 */
export function needsRetry(
  confidence: ArrayLike<number>,
  numJoints: number,
  tauC: number | readonly number[],
  minLow = 1,
): boolean[] {
  const tau = (j: number) => (typeof tauC === "number" ? tauC : tauC[j]!);
  if (typeof tauC !== "number" && tauC.length !== numJoints) {
    throw new Error(`tauC has ${tauC.length} values for ${numJoints} joints`);
  }
  const out: boolean[] = [];
  for (let i = 0; i < confidence.length / numJoints; i++) {
    let low = 0;
    for (let j = 0; j < numJoints; j++) {
      const c = confidence[i * numJoints + j]!;
      if (!(c >= tau(j))) low++; // NaN counts as low
    }
    out.push(low >= minLow);
  }
  return out;
}

/** One trial of one sample: `[J, 2]` positions and `[J]` confidences. */
export interface Trial {
  readonly coords: ArrayLike<number>;
  readonly confidence: ArrayLike<number>;
}

/**
 * Fuses the trials of one sample scoring above `tauS` (see the module notes). Returns the fused
 * `[J, 2]` positions, `[J]` confidences and the number of trials used.
 *
 * @example
 * ```ts
 * fuseTrials([{ coords: [0, 0], confidence: [0.9] }, { coords: [10, 0], confidence: [0.3] }], 0.5);
 * // only the first passes τs: coords [0, 0]
 * ```
 */
export function fuseTrials(
  trials: readonly Trial[],
  tauS: number,
): { coords: Float64Array; confidence: Float64Array; used: number } {
  if (trials.length === 0) throw new Error("fuseTrials: no trials");
  const nj = trials[0]!.confidence.length;
  const score = (t: Trial) => {
    let s = 0;
    for (let j = 0; j < nj; j++) s += Number.isFinite(t.confidence[j]!) ? t.confidence[j]! : 0;
    return s / nj;
  };
  const scores = trials.map(score);
  let selected = trials.filter((_, k) => scores[k]! > tauS);
  if (selected.length === 0) {
    const best = scores.indexOf(Math.max(...scores));
    selected = [trials[best]!];
  }
  const coords = new Float64Array(nj * 2);
  const confidence = new Float64Array(nj);
  for (let j = 0; j < nj; j++) {
    let wsum = 0, x = 0, y = 0, csum = 0;
    for (const t of selected) {
      const c = t.confidence[j]!;
      const w = Number.isFinite(c) && c > 0 ? c : 0;
      wsum += w;
      x += w * t.coords[2 * j]!;
      y += w * t.coords[2 * j + 1]!;
      csum += Number.isFinite(c) ? c : 0;
    }
    if (wsum > 0) {
      coords[2 * j] = x / wsum;
      coords[2 * j + 1] = y / wsum;
    } else {
      // No trial is confident about this joint: keep the first selected trial's guess.
      coords[2 * j] = selected[0]!.coords[2 * j]!;
      coords[2 * j + 1] = selected[0]!.coords[2 * j + 1]!;
    }
    confidence[j] = csum / selected.length;
  }
  return { coords, confidence, used: selected.length };
}

/**
 * Pose estimation with conditional multi-trial testing: one pass for every sample, and for the
 * samples whose confidences fall below τc one more pass per perturbation, fused per sample.
 *
 * @example
 * ```ts
 * const est = await conditionalEstimate(predict, samples, { tauC: 0.2, tauS: 0.3, flip: true });
 * est.retried.filter(Boolean).length; // how many samples needed more trials
 * ```
 */
export async function conditionalEstimate(
  predict: PredictFn,
  requests: readonly CropRequest[],
  options: ConditionalOptions,
): Promise<ConditionalEstimates> {
  const first = await estimatePoses(predict, requests, options);
  const nj = first.numJoints;
  const minLow = options.minLowJoints ?? 1;
  const retried = needsRetry(first.confidence, nj, options.tauC, minLow);
  const perturbations = options.perturbations ?? DEFAULT_PERTURBATIONS;
  const maxRounds = options.rounds ?? 2;
  const coords = Float64Array.from(first.coords);
  const confidence = Float64Array.from(first.confidence);
  const single = { coords: Float64Array.from(first.coords), confidence: first.confidence };
  const trialsFused = new Array<number>(requests.length).fill(1);
  const rounds = new Array<number>(requests.length).fill(0);
  // Every trial of a sample so far, the first one included.
  const trials = new Map<number, Trial[]>();
  let pending = retried.flatMap((r, i) => (r ? [i] : []));
  for (let round = 1; round <= maxRounds && pending.length > 0; round++) {
    if (perturbations.length === 0) break;
    const moves = perturbations.map((p) => roundPerturbation(p, round));
    // All perturbed boxes of all pending samples go through in one run, batch after batch.
    const extra = pending.flatMap((i) => moves.map((p) => perturb(requests[i]!, p)));
    const more = await estimatePoses(predict, extra, options);
    pending.forEach((i, r) => {
      const mine = trials.get(i) ?? [{
        coords: first.coords.subarray(i * nj * 2, (i + 1) * nj * 2),
        confidence: first.confidence.subarray(i * nj, (i + 1) * nj),
      }];
      for (let p = 0; p < moves.length; p++) {
        const k = r * moves.length + p;
        mine.push({
          coords: more.coords.subarray(k * nj * 2, (k + 1) * nj * 2),
          confidence: more.confidence.subarray(k * nj, (k + 1) * nj),
        });
      }
      trials.set(i, mine);
      const fused = fuseTrials(mine, options.tauS);
      coords.set(fused.coords, i * nj * 2);
      confidence.set(fused.confidence, i * nj);
      trialsFused[i] = fused.used;
      rounds[i] = round;
    });
    // Samples whose fused pose is still below τc look further in the next round.
    const still = needsRetry(confidence, nj, options.tauC, minLow);
    pending = pending.filter((i) => still[i]);
  }
  return { ...first, coords, confidence, retried, trialsFused, rounds, single };
}
