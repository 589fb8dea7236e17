import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  combineGroups,
  groupWeights,
  structureAwareLoss,
  structureJointLosses,
} from "../../lib/losses/mod.ts";
import { NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

// Three keypoints in a chain 0 - 1 - 2: S_0 = {0, 1}, S_1 = {1, 0, 2}, S_2 = {2, 1}.
const groups = [[0, 1], [1, 0, 2], [2, 1]];
// 1x1 maps, so "summed over pixels" is the value itself.
const pred = tf.tensor4d([0.5, 0.2, 0.1], [1, 1, 1, 3]);
const target = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);

const values = async (t: tf.Tensor) => Array.from(await t.data());
const close = (actual: number[], expected: number[]) =>
  actual.forEach((a, i) => assertAlmostEquals(a, expected[i]!, 1e-6));

Deno.test("sum combines a group's maps by adding them", async () => {
  close(await values(combineGroups(pred, groups, "sum")), [0.7, 0.8, 0.3]);
});

Deno.test("max combines a group's maps pixel by pixel", async () => {
  const two = tf.tensor4d([0.5, 0.2, 0.1, 0, 0.9, 0.3], [1, 1, 2, 3]);
  close(await values(combineGroups(two, groups, "max")), [0.5, 0.5, 0.2, 0.9, 0.9, 0.9]);
});

Deno.test("a group counts only where all its keypoints are present", async () => {
  assertEquals(await values(groupWeights(tf.tensor2d([[1, 1, 0]]), groups)), [1, 0, 0]);
  assertEquals(await values(groupWeights(tf.tensor2d([[1, 1, 1], [0, 1, 1]]), groups)), [
    1,
    1,
    1,
    0,
    0,
    1,
  ]);
});

Deno.test("Eq. 2 with sum adds alpha times the combined maps' error to each keypoint's", async () => {
  // Own errors: .25, .04, .01. Combined: P = [.7, .8, .3], G = [1, 1, 0] -> .09, .04, .09.
  const w = tf.ones([1, 3]) as tf.Tensor2D;
  const opts = { alpha: 0.5, combine: "sum" as const, groups };
  close(await values(structureJointLosses(pred, target, w, opts)), [0.295, 0.06, 0.055]);
  close(await values(structureAwareLoss(pred, target, w, opts)), [0.41 / 3]);
});

Deno.test("Eq. 2 as printed does not divide the structural term by N", async () => {
  // (1/3)(.25 + .04 + .01) + .5 (.09 + .04 + .09) = .1 + .11.
  const w = tf.ones([1, 3]) as tf.Tensor2D;
  const opts = { alpha: 0.5, combine: "sum" as const, groups, structureReduce: "sum" as const };
  close(await values(structureJointLosses(pred, target, w, opts)), [0.385, 0.1, 0.145]);
  close(await values(structureAwareLoss(pred, target, w, opts)), [0.21]);
});

Deno.test("Eq. 2 with max compares the groups' strongest responses", async () => {
  // Combined: P = [.5, .5, .2], G = [1, 1, 0] -> .25, .25, .04.
  const w = tf.ones([1, 3]) as tf.Tensor2D;
  const opts = { alpha: 0.5, combine: "max" as const, groups };
  close(await values(structureJointLosses(pred, target, w, opts)), [0.375, 0.165, 0.03]);
  close(await values(structureAwareLoss(pred, target, w, opts)), [0.19]);
});

Deno.test("a missing keypoint drops its own term and every group it belongs to", async () => {
  const w = tf.tensor2d([[1, 1, 0]]);
  const opts = { alpha: 0.5, combine: "sum" as const, groups };
  close(await values(structureJointLosses(pred, target, w, opts)), [0.295, 0.04, 0]);
});

Deno.test("alpha 0 gives Eq. 1 and a perfect prediction gives 0 on the MPII groups", async () => {
  const w = tf.ones([1, 3]) as tf.Tensor2D;
  close(
    await values(structureJointLosses(pred, target, w, { alpha: 0, combine: "sum", groups })),
    [0.25, 0.04, 0.01],
  );
  const g = tf.randomUniform([2, 4, 4, NUM_JOINTS], 0, 1, "float32", 3) as tf.Tensor4D;
  const ones = tf.ones([2, NUM_JOINTS]) as tf.Tensor2D;
  for (const combine of ["sum", "max"] as const) {
    assertEquals(await values(structureAwareLoss(g, g, ones, { alpha: 1, combine })), [0]);
  }
});

Deno.test("the structure-aware loss leaks nothing", async () => {
  const w = tf.ones([1, 3]) as tf.Tensor2D;
  for (const combine of ["sum", "max"] as const) {
    await assertNoLeaks(
      () => structureAwareLoss(pred, target, w, { alpha: 1, combine, groups }),
      `structureAwareLoss ${combine}`,
    );
  }
  w.dispose();
});
