/**
 * Hand-made ground truth for the metric tests: people whose joints sit on a line, and predictions
 * displaced by chosen distances.
 */

import { NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import type { PoseGroundTruth } from "../../lib/metrics/mod.ts";

/** `n` people of 16 joints, joint `j` of person `i` at (10 j, 100 i), all visible. */
export function lineGroundTruth(n: number, numJoints = NUM_JOINTS): PoseGroundTruth & {
  coords: Float64Array;
  visibility: Uint8Array;
} {
  const coords = new Float64Array(n * numJoints * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < numJoints; j++) {
      coords[(i * numJoints + j) * 2] = 10 * j;
      coords[(i * numJoints + j) * 2 + 1] = 100 * i;
    }
  }
  return { count: n, numJoints, coords, visibility: new Uint8Array(n * numJoints).fill(2) };
}

/** Predictions displaced from the ground truth by `dx(i, j)` pixels along x. */
export function shifted(
  gt: PoseGroundTruth,
  dx: (i: number, j: number) => number,
): Float64Array {
  const out = Float64Array.from(gt.coords);
  for (let i = 0; i < gt.count; i++) {
    for (let j = 0; j < gt.numJoints; j++) out[(i * gt.numJoints + j) * 2]! += dx(i, j);
  }
  return out;
}
