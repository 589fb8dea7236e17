/**
 * The mean-pose baseline: predict every person as the training set's average pose, placed by
 * the person's own centre and scale. It uses no pixels at all, so its PCKh says how much a
 * dataset gives away through centring and scale alone; a dataset on which it scores high is too
 * easy to tell models apart.
 *
 * PCKh here is a small local helper following `eval_PCKh.py` (bearpaw/pytorch-pose): a joint is
 * correct when its distance over the head size is <= 0.5, only annotated joints count, each part
 * averages left and right, and the mean is the unweighted mean of the joints without pelvis and
 * thorax. The kit's metrics live in lib/metrics; this exists only to report the baseline.
 *
 * @module
 */

import { MEAN_EXCLUDED, NUM_JOINTS, type Part, PART_JOINTS, PARTS } from "../skeleton/mpii.ts";
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

function pckh(
  preds: readonly (readonly [number, number])[][],
  truth: readonly PoseAnnotation[],
): Omit<BaselineResult, "meanPose"> {
  const hit = new Array<number>(NUM_JOINTS).fill(0);
  const seen = new Array<number>(NUM_JOINTS).fill(0);
  let people = 0;
  truth.forEach((a, i) => {
    const head = headSize(a);
    if (!head || !(head > 0)) return;
    people++;
    a.keypoints.forEach(([x, y, v]: Keypoint, j) => {
      if (v === 0) return;
      const [px, py] = preds[i]![j]!;
      seen[j]!++;
      if (Math.hypot(px - x, py - y) / head <= 0.5) hit[j]!++;
    });
  });
  const perJoint = hit.map((h, j) => (seen[j]! > 0 ? (100 * h) / seen[j]! : NaN));
  const avg = (js: readonly number[]) => {
    const vals = js.map((j) => perJoint[j]!).filter((v) => !Number.isNaN(v));
    return vals.length ? vals.reduce((s, v) => s + v, 0) / vals.length : NaN;
  };
  const parts = Object.fromEntries(PARTS.map((p) => [p, avg(PART_JOINTS[p])])) as Record<
    Part,
    number
  >;
  const meanJoints = Array.from({ length: NUM_JOINTS }, (_, j) => j)
    .filter((j) => !MEAN_EXCLUDED.includes(j));
  return { perJoint, parts, mean: avg(meanJoints), people };
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
  return { meanPose: mean, ...pckh(preds, val) };
}
