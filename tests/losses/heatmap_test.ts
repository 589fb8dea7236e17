import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { heatmapLoss, jointLosses } from "../../lib/losses/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

/** `[1, 2, 2, J]` from one row-major 2x2 map per channel. */
const maps = (...channels: number[][]) =>
  tf.tidy(() =>
    tf.stack(channels.map((c) => tf.tensor2d(c, [2, 2])), 2).expandDims(0)
  ) as tf.Tensor4D;

// Joint 0: prediction 1 on one pixel, target all 0 -> Σ = 1.
// Joint 1: prediction [.5, .5, 0, 0], target [1, 0, 0, 0] -> .25 + .25 = .5.
const pred = maps([1, 0, 0, 0], [0.5, 0.5, 0, 0]);
const target = maps([0, 0, 0, 0], [1, 0, 0, 0]);

const values = async (t: tf.Tensor) => Array.from(await t.data());

Deno.test("Eq. 1 sums squared errors over pixels and averages over keypoints", async () => {
  const w = tf.tensor2d([[1, 1]]);
  assertEquals(await values(jointLosses(pred, target, w)), [1, 0.5]);
  assertAlmostEquals((await values(heatmapLoss(pred, target, w)))[0]!, 0.75, 1e-7);
});

Deno.test("the mean reduction divides each map's sum by its pixel count", async () => {
  const w = tf.tensor2d([[1, 1]]);
  assertEquals(await values(jointLosses(pred, target, w, { pixels: "mean" })), [0.25, 0.125]);
});

Deno.test("a missing joint adds nothing but still counts in the average over keypoints", async () => {
  const w = tf.tensor2d([[1, 0]]);
  assertEquals(await values(jointLosses(pred, target, w)), [1, 0]);
  assertAlmostEquals((await values(heatmapLoss(pred, target, w)))[0]!, 0.5, 1e-7);
});

Deno.test("the batch is averaged, each sample with its own joint weights", async () => {
  // Sample 2 is perfect on joint 0 and has joint 1 missing.
  const p = tf.concat([pred, target]) as tf.Tensor4D;
  const t = tf.concat([target, target]) as tf.Tensor4D;
  const w = tf.tensor2d([[1, 1], [1, 0]]);
  assertEquals(await values(jointLosses(p, t, w)), [0.5, 0.25]);
});

Deno.test("the heatmap losses leak nothing", async () => {
  const w = tf.tensor2d([[1, 1]]);
  await assertNoLeaks(() => heatmapLoss(pred, target, w), "heatmapLoss");
  await assertNoLeaks(() => jointLosses(pred, target, w, { pixels: "mean" }), "jointLosses");
  w.dispose();
});
