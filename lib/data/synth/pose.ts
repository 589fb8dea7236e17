/**
 * SynthPose's poses: real poses from the MPII-derived bank, perturbed (mirror, body proportions,
 * bone-angle jitter), and poses from a 3D kinematic model with joint-angle limits seen from any
 * direction. Both come out in the same frame: box units (1 = the MPII person box, `200 * scale`
 * px), origin at the person centre (`objpos`), y down, with a depth per joint (positive = nearer
 * the camera) for drawing order. The kinematic model itself is in `kinematic.ts`.
 *
 * @module
 */

import bankJson from "../../../data/synth_pose_bank.json" with { type: "json" };
import type { Random } from "../../random/random.ts";
import { FLIP_INDEX, J, NUM_JOINTS } from "../../skeleton/mpii.ts";
import { kinematicPose } from "./kinematic.ts";

/** A 2D pose with depth, in box units around the person centre. */
export interface SynthPoseShape {
  /** `[x0, y0, x1, y1, ...]` for the 16 MPII joints. */
  readonly xy: Float64Array;
  /** Depth of each joint, larger = nearer the camera. */
  readonly depth: Float64Array;
}

interface Bank {
  readonly quant: number;
  readonly train: readonly (readonly number[])[];
  readonly val: readonly (readonly number[])[];
}

const BANK = bankJson as unknown as Bank;

/** Number of bank poses per split. */
export const BANK_SIZES = { train: BANK.train.length, val: BANK.val.length } as const;

/**
 * Each joint's parent in the kinematic tree rooted at the pelvis (-1 for the root). Children
 * come after parents in {@link TREE_ORDER}.
 */
export const PARENT: readonly number[] = (() => {
  const p = new Array<number>(NUM_JOINTS).fill(-1);
  p[J.r_hip] = J.pelvis;
  p[J.l_hip] = J.pelvis;
  p[J.r_knee] = J.r_hip;
  p[J.l_knee] = J.l_hip;
  p[J.r_ankle] = J.r_knee;
  p[J.l_ankle] = J.l_knee;
  p[J.thorax] = J.pelvis;
  p[J.upper_neck] = J.thorax;
  p[J.head_top] = J.upper_neck;
  p[J.r_shoulder] = J.thorax;
  p[J.l_shoulder] = J.thorax;
  p[J.r_elbow] = J.r_shoulder;
  p[J.l_elbow] = J.l_shoulder;
  p[J.r_wrist] = J.r_elbow;
  p[J.l_wrist] = J.l_elbow;
  return p;
})();

/** Joints in an order where every parent precedes its children. */
export const TREE_ORDER: readonly number[] = [
  J.pelvis,
  J.r_hip,
  J.l_hip,
  J.thorax,
  J.r_knee,
  J.l_knee,
  J.upper_neck,
  J.r_shoulder,
  J.l_shoulder,
  J.r_ankle,
  J.l_ankle,
  J.head_top,
  J.r_elbow,
  J.l_elbow,
  J.r_wrist,
  J.l_wrist,
];

/** Body segments whose lengths vary together from person to person. */
type Segment = "torso" | "head" | "arm" | "leg";

const SEGMENT: readonly Segment[] = (() => {
  const s = new Array<Segment>(NUM_JOINTS).fill("torso");
  for (const j of [J.r_knee, J.l_knee, J.r_ankle, J.l_ankle]) s[j] = "leg";
  for (const j of [J.r_elbow, J.l_elbow, J.r_wrist, J.l_wrist]) s[j] = "arm";
  for (const j of [J.upper_neck, J.head_top]) s[j] = "head";
  return s;
})();

/**
 * A bank pose by index, in box units: `[x0, y0, ...]`.
 *
 * @example
 * ```ts
 * bankPose("train", 0).length; // 32
 * ```
 */
export function bankPose(split: "train" | "val", index: number): Float64Array {
  const poses = split === "train" ? BANK.train : BANK.val;
  const p = poses[index % poses.length]!;
  return Float64Array.from(p, (v) => v / BANK.quant);
}

/**
 * Mirrors a pose left-right, swapping left and right joints so the labels stay person-centric.
 *
 * @example
 * ```ts
 * mirrorPose(mirrorPose(pose)); // equals pose
 * ```
 */
export function mirrorPose(xy: Float64Array): Float64Array {
  const out = new Float64Array(xy.length);
  for (let j = 0; j < NUM_JOINTS; j++) {
    const src = FLIP_INDEX[j]!;
    out[2 * j] = -xy[2 * src]!;
    out[2 * j + 1] = xy[2 * src + 1]!;
  }
  return out;
}

/**
 * Rebuilds a pose along the kinematic tree with each bone scaled by its segment's factor and
 * turned by a random angle (`jitterDeg` standard deviation; half that for the torso's own
 * bones, which real bodies bend less). The person centre keeps its place relative to the pelvis.
 *
 * @example
 * ```ts
 * const varied = perturbPose(bankPose("train", 3), rng, { jitterDeg: 8, proportions: 0.1 });
 * ```
 */
export function perturbPose(
  xy: Float64Array,
  rng: Random,
  opts: { jitterDeg: number; proportions: number },
): Float64Array {
  const factor: Record<Segment, number> = {
    torso: Math.exp(rng.normal(0, opts.proportions)),
    head: Math.exp(rng.normal(0, opts.proportions / 2)),
    arm: Math.exp(rng.normal(0, opts.proportions)),
    leg: Math.exp(rng.normal(0, opts.proportions)),
  };
  const out = new Float64Array(xy.length);
  out[2 * J.pelvis] = xy[2 * J.pelvis]!;
  out[2 * J.pelvis + 1] = xy[2 * J.pelvis + 1]!;
  const jitter = (opts.jitterDeg * Math.PI) / 180;
  for (const j of TREE_ORDER) {
    const p = PARENT[j]!;
    if (p < 0) continue;
    const dx = xy[2 * j]! - xy[2 * p]!, dy = xy[2 * j + 1]! - xy[2 * p + 1]!;
    const k = factor[SEGMENT[j]!] * Math.exp(rng.normal(0, opts.proportions / 3));
    const a = rng.normal(0, SEGMENT[j] === "torso" ? jitter / 2 : jitter);
    const c = Math.cos(a), s = Math.sin(a);
    out[2 * j] = out[2 * p]! + k * (c * dx - s * dy);
    out[2 * j + 1] = out[2 * p + 1]! + k * (s * dx + c * dy);
  }
  return out;
}

/**
 * Depths for a bank pose, which has none: each limb in front of or behind the torso at random,
 * the head just in front, so that limbs cross the body in both orders.
 *
 * @example
 * ```ts
 * bankDepth(rng)[J.head_top]; // 0.02
 * ```
 */
export function bankDepth(rng: Random): Float64Array {
  const d = new Float64Array(NUM_JOINTS);
  const limbs = [
    [J.r_shoulder, J.r_elbow, J.r_wrist],
    [J.l_shoulder, J.l_elbow, J.l_wrist],
    [J.r_hip, J.r_knee, J.r_ankle],
    [J.l_hip, J.l_knee, J.l_ankle],
  ];
  for (const chain of limbs) {
    const z = rng.uniform(-0.1, 0.1);
    chain.forEach((j, k) => (d[j] = k === 0 ? z / 3 : z));
  }
  d[J.head_top] = 0.02;
  d[J.upper_neck] = 0.01;
  return d;
}

/**
 * A pose for one person of a split: from the bank (mirrored half the time, then perturbed) or
 * from the kinematic model, per `source`.
 *
 * @example
 * ```ts
 * const pose = samplePose(rng, "train", { source: "mixed", kinematicFraction: 0.25, jitterDeg: 8, proportions: 0.1 });
 * ```
 */
export function samplePose(
  rng: Random,
  split: "train" | "val",
  opts: {
    source: "bank" | "kinematic" | "mixed";
    kinematicFraction: number;
    jitterDeg: number;
    proportions: number;
  },
): SynthPoseShape {
  const kinematic = opts.source === "kinematic" ||
    (opts.source === "mixed" && rng.chance(opts.kinematicFraction));
  if (kinematic) return kinematicPose(rng, opts.proportions);
  const n = split === "train" ? BANK_SIZES.train : BANK_SIZES.val;
  let xy = bankPose(split, rng.int(0, n - 1));
  if (rng.chance(0.5)) xy = mirrorPose(xy);
  xy = perturbPose(xy, rng, opts);
  return { xy, depth: bankDepth(rng) };
}
