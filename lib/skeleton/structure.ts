/**
 * Neighbour groups of the structure-aware loss (Ke et al. 2018, §III-C, Eq. 2).
 *
 * `S_n` is keypoint `n` together with its connected keypoints in the skeletal graph. The paper
 * names the pairs head-thorax, shoulder-elbow, wrist-elbow, hip-knee, hip-hip and knee-ankle, and
 * makes elbows and knees three-way (shoulder-elbow-wrist, hip-knee-ankle). Joints the paper does
 * not name (pelvis, upper neck) are paired with their parent along the spine so that every
 * channel has a group.
 *
 * @module
 */

import { J, NUM_JOINTS } from "./mpii.ts";

/** `STRUCTURE_GROUPS[n]` lists the channels combined into `S_n`, starting with `n` itself. */
export const STRUCTURE_GROUPS: readonly (readonly number[])[] = [
  /* r_ankle    */ [J.r_ankle, J.r_knee],
  /* r_knee     */ [J.r_knee, J.r_hip, J.r_ankle],
  /* r_hip      */ [J.r_hip, J.l_hip],
  /* l_hip      */ [J.l_hip, J.r_hip],
  /* l_knee     */ [J.l_knee, J.l_hip, J.l_ankle],
  /* l_ankle    */ [J.l_ankle, J.l_knee],
  /* pelvis     */ [J.pelvis, J.thorax],
  /* thorax     */ [J.thorax, J.upper_neck],
  /* upper_neck */ [J.upper_neck, J.thorax],
  /* head_top   */ [J.head_top, J.thorax],
  /* r_wrist    */ [J.r_wrist, J.r_elbow],
  /* r_elbow    */ [J.r_elbow, J.r_shoulder, J.r_wrist],
  /* r_shoulder */ [J.r_shoulder, J.r_elbow],
  /* l_shoulder */ [J.l_shoulder, J.l_elbow],
  /* l_elbow    */ [J.l_elbow, J.l_shoulder, J.l_wrist],
  /* l_wrist    */ [J.l_wrist, J.l_elbow],
];

/**
 * Checks that neighbour groups are well formed for `numJoints` channels: one group per
 * channel, each starting with its own channel, indices in range and not repeated.
 * Throws an Error naming the bad group otherwise.
 *
 * @example
 * ```ts
 * validateGroups(STRUCTURE_GROUPS, 16); // ok
 * validateGroups([[1, 0], [0]], 2); // throws: group 0 must start with joint 0
 * ```
 */
export function validateGroups(groups: readonly (readonly number[])[], numJoints: number): void {
  if (groups.length !== numJoints) {
    throw new Error(`expected ${numJoints} neighbour groups, got ${groups.length}`);
  }
  groups.forEach((g, n) => {
    if (g[0] !== n) throw new Error(`group ${n} must start with joint ${n}, got [${g}]`);
    if (new Set(g).size !== g.length) throw new Error(`group ${n} repeats a joint: [${g}]`);
    for (const k of g) {
      if (!Number.isInteger(k) || k < 0 || k >= numJoints) {
        throw new Error(`group ${n} names joint ${k}, outside 0..${numJoints - 1}`);
      }
    }
  });
}

validateGroups(STRUCTURE_GROUPS, NUM_JOINTS);
