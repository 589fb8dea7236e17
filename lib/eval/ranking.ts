/**
 * Ranking evaluated people from best to worst prediction, to look at both ends (the figures of
 * the best and worst predictions), and one person's keypoints for drawing.
 *
 * @module
 */

import { normalizedErrors } from "../metrics/errors.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import type { SplitEvaluation } from "./dataset.ts";

/** How well one person was predicted. */
export interface PersonScore {
  /** Position in the evaluation (row of `preds`). */
  readonly position: number;
  /** Index of the person's sample in its dataset. */
  readonly index: number;
  readonly id: string;
  /** Annotated joints within `alpha` normalised distance. */
  readonly correct: number;
  readonly annotated: number;
  /** Mean normalised distance over the annotated joints (Infinity with a NaN prediction). */
  readonly meanError: number;
}

/**
 * Scores every person with annotated joints and a usable normaliser and sorts them best first:
 * by the fraction of joints within `alpha` (PCKh at 0.5 by default), ties broken by the mean
 * normalised distance.
 *
 * @example
 * ```ts
 * const ranked = rankPeople(ev);
 * const best = ranked.slice(0, 4), worst = ranked.slice(-4).reverse();
 * ```
 */
export function rankPeople(
  ev: Pick<SplitEvaluation, "gt" | "preds" | "norms" | "ids" | "indices">,
  alpha = 0.5,
): PersonScore[] {
  const e = normalizedErrors(ev.gt, ev.preds, ev.norms, { zeroNorm: "exclude" });
  const nj = e.numJoints;
  const out: PersonScore[] = [];
  for (let i = 0; i < e.count; i++) {
    let correct = 0, annotated = 0, sum = 0;
    for (let j = 0; j < nj; j++) {
      const d = e.errors[i * nj + j]!;
      if (Number.isNaN(d)) continue;
      annotated++;
      sum += d;
      if (d < alpha) correct++;
    }
    if (annotated === 0) continue;
    out.push({
      position: i,
      index: ev.indices[i]!,
      id: ev.ids[i]!,
      correct,
      annotated,
      meanError: sum / annotated,
    });
  }
  return out.sort((a, b) =>
    b.correct / b.annotated - a.correct / a.annotated || a.meanError - b.meanError
  );
}

/**
 * One evaluated person's predicted and ground-truth keypoints in image pixels, for drawing:
 * predictions of annotated joints as visible (v = 2), joints without ground truth left out
 * (v = 0), ground truth with its own visibility.
 *
 * @example
 * ```ts
 * const { prediction, groundTruth } = personKeypoints(ev, ranked[0].position);
 * ```
 */
export function personKeypoints(
  ev: Pick<SplitEvaluation, "gt" | "preds">,
  position: number,
): { prediction: Keypoint[]; groundTruth: Keypoint[] } {
  const nj = ev.gt.numJoints;
  if (!(position >= 0 && position < ev.gt.count)) {
    throw new RangeError(`personKeypoints: person ${position} of ${ev.gt.count}`);
  }
  const prediction: Keypoint[] = [], groundTruth: Keypoint[] = [];
  for (let j = 0; j < nj; j++) {
    const k = position * nj + j;
    const v = ev.gt.visibility[k]!;
    const annotated = v > 0;
    prediction.push(annotated ? [ev.preds[2 * k]!, ev.preds[2 * k + 1]!, 2] : [0, 0, 0]);
    groundTruth.push(
      annotated ? [ev.gt.coords[2 * k]!, ev.gt.coords[2 * k + 1]!, v === 1 ? 1 : 2] : [0, 0, 0],
    );
  }
  return { prediction, groundTruth };
}
