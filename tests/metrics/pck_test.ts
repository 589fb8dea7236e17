import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/mod.ts";
import { pck, torsoSizes } from "../../lib/metrics/mod.ts";
import { FLIC_TORSO, J, LSP_TORSO } from "../../lib/skeleton/mod.ts";
import { lineGroundTruth, shifted } from "./fixtures.ts";

Deno.test("the torso size is the distance between the two ground-truth torso joints", () => {
  const gt = lineGroundTruth(2);
  // Joints j sit at x = 10 j on one row: r_shoulder (12) to l_hip (3) is 90 px.
  assertEquals(Array.from(torsoSizes(gt, FLIC_TORSO)), [90, 90]);
  assertEquals(
    Array.from(torsoSizes(gt, LSP_TORSO)),
    [10 * Math.abs(LSP_TORSO[0] - LSP_TORSO[1]), 10 * Math.abs(LSP_TORSO[0] - LSP_TORSO[1])],
  );
  gt.visibility[16 + J.l_hip] = 0;
  assertEquals(Number.isNaN(torsoSizes(gt, FLIC_TORSO)[1]!), true);
});

Deno.test("PCK@0.2 counts a joint exactly at 0.2 torso sizes as correct (<=) and beyond as wrong", () => {
  const gt = lineGroundTruth(2);
  // Torso 90 px: 0.2 x 90 = 18 px. Person 0 exactly at 18 px, person 1 at 19 px.
  const pred = shifted(gt, (i) => (i === 0 ? 18 : 19));
  const r = pck(gt, pred, { torso: FLIC_TORSO });
  assertEquals(r.perJoint[J.l_wrist], 50);
  assertEquals(r.mean, 50);
  assertEquals(pck(gt, gt.coords, { torso: FLIC_TORSO }).mean, 100);
});

Deno.test("FLIC's mean pools only the joints asked for (elbows and wrists)", () => {
  const gt = lineGroundTruth(1);
  const pred = shifted(gt, (_, j) => ([J.l_elbow, J.r_elbow].includes(j) ? 0 : 100));
  const joints = [J.l_elbow, J.r_elbow, J.l_wrist, J.r_wrist];
  const r = pck(gt, pred, { torso: FLIC_TORSO, joints });
  assertEquals([r.parts.Elbow, r.parts.Wrist, r.mean], [100, 0, 50]);
});

Deno.test("a person without a torso is a KitError, or excluded when asked", () => {
  const gt = lineGroundTruth(2);
  gt.visibility[16 + J.r_shoulder] = 0;
  assertThrows(() => pck(gt, gt.coords, { torso: FLIC_TORSO }), KitError, "person 1: torso size");
  const r = pck(gt, gt.coords, { torso: FLIC_TORSO, zeroTorso: "exclude" });
  assertEquals(r.excludedPeople, [1]);
  assertAlmostEquals(r.mean!, 100, 1e-12);
});
