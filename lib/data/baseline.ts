/**
 * The mean-pose baseline: predict every person as the training set's average pose, placed by
 * the person's own centre and scale. It uses no pixels at all, so its PCKh says how much a
 * dataset gives away through centring and scale alone; a dataset on which it scores high is too
 * easy to tell models apart.
 *
 * It is scored with the kit's PCKh (lib/metrics, eval_PCKh.py's rules), like every model.
 *
 * @module
 */

import type { PoseGroundTruth } from "../metrics/errors.ts";
import { pckh as metricPckh } from "../metrics/pckh.ts";
import { NUM_JOINTS, type Part, PARTS } from "../skeleton/mpii.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import { FileDataset } from "./readers/common.ts";
import { SynthPose } from "./synth/dataset.ts";
import { headSize, type PoseDataset, type PoseSample } from "./types.ts";

/** The annotation fields the baseline needs. */
export type PoseAnnotation = Pick<
  PoseSample,
  "keypoints" | "center" | "scale" | "headBox" | "normalize" | "normalizeKind"
>;

/** PCKh@0.5 of a baseline: per joint, per table part, and the mean (all in %). */
export interface BaselineResult {
  /** Average pose, in units of the person box (`200 * scale` px) around the centre. */
  readonly meanPose: readonly (readonly [number, number])[];
  readonly perJoint: readonly number[];
  readonly parts: Readonly<Record<Part, number>>;
  readonly mean: number;
  /** Evaluated people (with a head size). */
  readonly people: number;
}

/**
 * Annotations of the first `n` samples, without decoding images where the dataset allows it
 * (SynthPose annotation-only scenes, file datasets' parsed annotations).
 *
 * @example
 * ```ts
 * const anns = await annotationsOf(dataset, 1000);
 * ```
 */
export async function annotationsOf(ds: PoseDataset, n: number): Promise<PoseAnnotation[]> {
  const count = Math.min(n, ds.length);
  const out: PoseAnnotation[] = [];
  for (let i = 0; i < count; i++) {
    if (ds instanceof SynthPose) out.push(ds.render(i, { pixels: false }));
    else if (ds instanceof FileDataset) out.push(ds.annotation(i));
    else out.push(await ds.get(i));
  }
  return out;
}

function meanPose(train: readonly PoseAnnotation[]): [number, number][] {
  const sum = Array.from({ length: NUM_JOINTS }, () => [0, 0, 0]);
  for (const a of train) {
    const box = 200 * a.scale;
    a.keypoints.forEach(([x, y, v], j) => {
      if (v === 0) return;
      const s = sum[j]!;
      s[0]! += (x - a.center[0]) / box;
      s[1]! += (y - a.center[1]) / box;
      s[2]! += 1;
    });
  }
  return sum.map(([x, y, n]) => (n! > 0 ? [x! / n!, y! / n!] : [0, 0]));
}

/** Scores predictions with the kit's PCKh (eval_PCKh.py's rules), people without a head size left out. */
function score(
  preds: readonly (readonly [number, number])[][],
  truth: readonly PoseAnnotation[],
): Omit<BaselineResult, "meanPose"> {
  const usable = truth.map((a, i) => ({ a, i, head: headSize(a) }))
    .filter((t) => t.head !== null && t.head > 0);
  const gt: PoseGroundTruth = {
    count: usable.length,
    numJoints: NUM_JOINTS,
    coords: usable.flatMap(({ a }) => a.keypoints.flatMap(([x, y]: Keypoint) => [x, y])),
    visibility: usable.flatMap(({ a }) => a.keypoints.map(([, , v]: Keypoint) => v)),
  };
  const flat = usable.flatMap(({ i }) => preds[i]!.flatMap(([x, y]) => [x, y]));
  const r = metricPckh(gt, flat, usable.map(({ head }) => head!), { alpha: 0.5 });
  const nan = (v: number | null) => v ?? NaN;
  return {
    perJoint: r.perJoint.map(nan),
    parts: Object.fromEntries(PARTS.map((p) => [p, nan(r.parts[p])])) as Record<Part, number>,
    mean: nan(r.mean),
    people: usable.length,
  };
}

/**
 * PCKh@0.5 of the mean pose learned on `train` and evaluated on `val`.
 *
 * @example
 * ```ts
 * const r = meanPoseBaseline(await annotationsOf(train, 5000), await annotationsOf(val, 1000));
 * r.mean; // e.g. 30 (%)
 * ```
 */
export function meanPoseBaseline(
  train: readonly PoseAnnotation[],
  val: readonly PoseAnnotation[],
): BaselineResult {
  const mean = meanPose(train);
  const preds = val.map((a) =>
    mean.map(([mx, my]) =>
      [a.center[0] + 200 * a.scale * mx, a.center[1] + 200 * a.scale * my] as const
    )
  );
  return { meanPose: mean, ...score(preds, val) };
}
