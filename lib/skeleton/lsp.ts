/**
 * The LSP (Leeds Sports Pose) 14-joint set and its mapping onto the MPII order.
 *
 * @module
 */

import { J } from "./mpii.ts";

/** LSP joint names in the order of the dataset's `joints.mat`. */
export const LSP_JOINTS = [
  "r_ankle",
  "r_knee",
  "r_hip",
  "l_hip",
  "l_knee",
  "l_ankle",
  "r_wrist",
  "r_elbow",
  "r_shoulder",
  "l_shoulder",
  "l_elbow",
  "l_wrist",
  "neck",
  "head_top",
] as const;

/**
 * `LSP_TO_MPII[i]` is the MPII channel of LSP joint `i`. LSP has no pelvis or thorax: those MPII
 * channels stay missing for LSP samples. LSP's "neck" is MPII's upper neck.
 */
export const LSP_TO_MPII: readonly number[] = [
  J.r_ankle,
  J.r_knee,
  J.r_hip,
  J.l_hip,
  J.l_knee,
  J.l_ankle,
  J.r_wrist,
  J.r_elbow,
  J.r_shoulder,
  J.l_shoulder,
  J.l_elbow,
  J.l_wrist,
  J.upper_neck,
  J.head_top,
];

/**
 * LSP torso for PCK@0.2: left shoulder to right hip, as the community LSP evaluation
 * (`eval_pck.m`: `norm(gt(:,10) - gt(:,3))` in LSP order) measures it. FLIC's torso is the other
 * diagonal (see `FLIC_TORSO`).
 */
export const LSP_TORSO: readonly [number, number] = [J.l_shoulder, J.r_hip];
