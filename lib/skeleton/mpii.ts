/**
 * The MPII 16-joint skeleton, in the order of the MPII evaluation files
 * (`detections_our_format.mat`, pose-hg-train `valid.h5`, bearpaw `mpii_annotations.json`).
 *
 * Every other joint set in the kit (LSP, FLIC) is mapped onto this order, so heatmap channel `j`
 * always means `MPII_JOINTS[j]`.
 *
 * @module
 */

/** Joint names in channel order. */
export const MPII_JOINTS = [
  "r_ankle",
  "r_knee",
  "r_hip",
  "l_hip",
  "l_knee",
  "l_ankle",
  "pelvis",
  "thorax",
  "upper_neck",
  "head_top",
  "r_wrist",
  "r_elbow",
  "r_shoulder",
  "l_shoulder",
  "l_elbow",
  "l_wrist",
] as const;

/** A joint name of the MPII skeleton. */
export type JointName = typeof MPII_JOINTS[number];

/** Number of joints (heatmap channels) in the kit's canonical skeleton. */
export const NUM_JOINTS = MPII_JOINTS.length;

/**
 * Channel index of every joint by name, so code says `J.l_wrist` instead of `15`.
 *
 * @example
 * ```ts
 * import { J } from "./mpii.ts";
 * J.head_top; // 9
 * ```
 */
export const J: { readonly [K in JointName]: number } = Object.freeze(
  Object.fromEntries(MPII_JOINTS.map((name, i) => [name, i])) as { [K in JointName]: number },
);

/** Human-readable labels for tables and figures, in channel order. */
export const JOINT_LABELS: readonly string[] = MPII_JOINTS.map((n) =>
  n.replace(/^r_/, "right ").replace(/^l_/, "left ").replace("_", " ")
);

/** A pair of joints given as channel indices. */
export type JointPair = readonly [number, number];

/**
 * Left/right pairs swapped by a horizontal flip (image flip and heatmap flip alike).
 * Written as `[right, left]`.
 */
export const FLIP_PAIRS: readonly JointPair[] = [
  [J.r_ankle, J.l_ankle],
  [J.r_knee, J.l_knee],
  [J.r_hip, J.l_hip],
  [J.r_wrist, J.l_wrist],
  [J.r_elbow, J.l_elbow],
  [J.r_shoulder, J.l_shoulder],
];

/**
 * The permutation a horizontal flip applies to the channels: `FLIP_INDEX[j]` is the joint that
 * channel `j` becomes after flipping.
 *
 * @example
 * ```ts
 * import { FLIP_INDEX, J } from "./mpii.ts";
 * FLIP_INDEX[J.r_wrist] === J.l_wrist; // true
 * FLIP_INDEX[J.pelvis] === J.pelvis; // true
 * ```
 */
export const FLIP_INDEX: readonly number[] = flipIndex(NUM_JOINTS, FLIP_PAIRS);

/**
 * Builds the flip permutation for `numJoints` channels from left/right pairs.
 *
 * @example
 * ```ts
 * flipIndex(3, [[0, 2]]); // [2, 1, 0]
 * ```
 */
export function flipIndex(numJoints: number, pairs: readonly JointPair[]): number[] {
  const index = Array.from({ length: numJoints }, (_, i) => i);
  for (const [a, b] of pairs) {
    index[a] = b;
    index[b] = a;
  }
  return index;
}

/** Which side of the body a joint or limb is on, for colouring figures. */
export type Side = "right" | "left" | "centre";

/** A skeletal edge: two joints and the body side it belongs to. */
export interface Edge {
  readonly from: number;
  readonly to: number;
  readonly side: Side;
}

/** The bones of the skeletal graph S (Ke et al. Fig. 3c), a tree rooted at the pelvis. */
export const EDGES: readonly Edge[] = [
  { from: J.r_ankle, to: J.r_knee, side: "right" },
  { from: J.r_knee, to: J.r_hip, side: "right" },
  { from: J.r_hip, to: J.pelvis, side: "right" },
  { from: J.l_hip, to: J.pelvis, side: "left" },
  { from: J.l_knee, to: J.l_hip, side: "left" },
  { from: J.l_ankle, to: J.l_knee, side: "left" },
  { from: J.pelvis, to: J.thorax, side: "centre" },
  { from: J.thorax, to: J.upper_neck, side: "centre" },
  { from: J.upper_neck, to: J.head_top, side: "centre" },
  { from: J.r_wrist, to: J.r_elbow, side: "right" },
  { from: J.r_elbow, to: J.r_shoulder, side: "right" },
  { from: J.r_shoulder, to: J.thorax, side: "right" },
  { from: J.l_shoulder, to: J.thorax, side: "left" },
  { from: J.l_elbow, to: J.l_shoulder, side: "left" },
  { from: J.l_wrist, to: J.l_elbow, side: "left" },
];

/** Body side of every joint, in channel order. */
export const JOINT_SIDES: readonly Side[] = MPII_JOINTS.map((n) =>
  n.startsWith("r_") ? "right" : n.startsWith("l_") ? "left" : "centre"
);

/** The parts of the papers' PCKh tables. */
export const PARTS = ["Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle"] as const;

/** A part name of the papers' PCKh tables. */
export type Part = typeof PARTS[number];

/**
 * Joints averaged into each table column, following bearpaw/pytorch-pose `eval_PCKh.py`
 * (Head is the head top only there; the `official` MPII convention uses neck and head top).
 */
export const PART_JOINTS: { readonly [P in Part]: readonly number[] } = {
  Head: [J.head_top],
  Shoulder: [J.r_shoulder, J.l_shoulder],
  Elbow: [J.r_elbow, J.l_elbow],
  Wrist: [J.r_wrist, J.l_wrist],
  Hip: [J.r_hip, J.l_hip],
  Knee: [J.r_knee, J.l_knee],
  Ankle: [J.r_ankle, J.l_ankle],
};

/** Joints left out of the MPII mean (eval_PCKh.py drops pelvis and thorax). */
export const MEAN_EXCLUDED: readonly number[] = [J.pelvis, J.thorax];
