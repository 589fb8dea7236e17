/**
 * The FLIC upper-body 11-joint set (pose-hg-train `flic/annot/*.h5` order) and its mapping onto
 * the MPII order.
 *
 * @module
 */

import { J } from "./mpii.ts";

/** FLIC joint names in the order of pose-hg-train's FLIC `part` arrays. */
export const FLIC_JOINTS = [
  "l_shoulder",
  "l_elbow",
  "l_wrist",
  "r_shoulder",
  "r_elbow",
  "r_wrist",
  "l_hip",
  "r_hip",
  "l_eye",
  "r_eye",
  "nose",
] as const;

/**
 * `FLIC_TO_MPII[i]` is the MPII channel of FLIC joint `i`, or -1 where MPII has no such joint
 * (eyes and nose). FLIC's own evaluation (Newell Table 1) uses elbows and wrists only, which all
 * map.
 */
export const FLIC_TO_MPII: readonly number[] = [
  J.l_shoulder,
  J.l_elbow,
  J.l_wrist,
  J.r_shoulder,
  J.r_elbow,
  J.r_wrist,
  J.l_hip,
  J.r_hip,
  -1,
  -1,
  -1,
];

/** FLIC torso for PCK@0.2 (`normalize` in the h5 files): right shoulder to left hip. */
export const FLIC_TORSO: readonly [number, number] = [J.r_shoulder, J.l_hip];
