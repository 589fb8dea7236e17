import { assertAlmostEquals, assertEquals } from "@std/assert";
import { meanPoseBaseline, type PoseAnnotation } from "../../lib/data/baseline.ts";
import { J, NUM_JOINTS } from "../../lib/skeleton/mpii.ts";
import type { Keypoint } from "../../lib/skeleton/remap.ts";

/** A person at `center` whose joint j sits at `offset(j)` box units from it. */
function person(
  center: [number, number],
  scale: number,
  offset: (j: number) => [number, number],
): PoseAnnotation {
  const box = 200 * scale;
  const keypoints = Array.from({ length: NUM_JOINTS }, (_, j): Keypoint => {
    const [dx, dy] = offset(j);
    return [center[0] + dx * box, center[1] + dy * box, 2];
  });
  // Head size 0.1 box: 0.6 x the diagonal of a square of side 0.1 / (0.6 sqrt 2).
  const side = (0.1 * box) / (0.6 * Math.SQRT2);
  return { keypoints, center, scale, headBox: [0, 0, side, side] };
}

const pose = (j: number): [number, number] => [0.02 * j - 0.15, 0.03 * j - 0.2];

Deno.test("the mean pose of identical people scores 100% wherever they stand", () => {
  const train = [person([100, 100], 1, pose), person([300, 50], 2, pose)];
  const val = [person([40, 70], 0.5, pose)];
  const r = meanPoseBaseline(train, val);
  assertAlmostEquals(r.mean, 100, 1e-9);
  assertAlmostEquals(r.parts.Wrist, 100, 1e-9);
  assertEquals(r.people, 1);
  assertAlmostEquals(r.meanPose[5]![0], pose(5)[0], 1e-12);
});

Deno.test("a joint off by more than half a head is wrong; missing joints and headless people are left out", () => {
  const train = [person([0, 0], 1, pose)];
  // Wrists 0.06 box away (0.6 head sizes): wrong; everything else right.
  const moved = (j: number): [number, number] => {
    const [x, y] = pose(j);
    return j === J.l_wrist || j === J.r_wrist ? [x + 0.06, y] : [x, y];
  };
  const full = person([0, 0], 1, moved);
  const val = {
    ...full,
    keypoints: full.keypoints.map((k, j): Keypoint => (j === J.l_ankle ? [0, 0, 0] : k)),
  };
  const headless = { ...person([0, 0], 1, moved), headBox: null };
  const r = meanPoseBaseline(train, [val, headless]);
  assertEquals(r.people, 1);
  assertEquals(r.parts.Wrist, 0);
  assertEquals(r.parts.Ankle, 100); // the right ankle only
  assertEquals(Number.isNaN(r.perJoint[J.l_ankle]!), true);
  assertAlmostEquals(r.mean, (100 * 11) / 13, 1e-9); // 13 annotated joints without pelvis and thorax
});
