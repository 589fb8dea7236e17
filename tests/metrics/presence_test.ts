import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { presenceCurve, presenceScores, presenceScoresTensor } from "../../lib/metrics/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

// Two samples of 2x2 maps with 2 joints, channels last.
const maps = Float32Array.of(
  // sample 0: joint 0 = [1, 0, 0, 0], joint 1 = [0.2, 0.2, 0.2, 0.2]
  1,
  0.2,
  0,
  0.2,
  0,
  0.2,
  0,
  0.2,
  // sample 1: joint 0 = [0.4, 0.4, 0, 0], joint 1 = all 0
  0.4,
  0,
  0.4,
  0,
  0,
  0,
  0,
  0,
);

Deno.test("presence scores are each heatmap's max or mean", () => {
  const max = presenceScores(maps, [2, 2, 2, 2], "max");
  const mean = presenceScores(maps, [2, 2, 2, 2], "mean");
  [1, 0.2, 0.4, 0].forEach((v, k) => assertAlmostEquals(max[k]!, v, 1e-6));
  [0.25, 0.2, 0.2, 0].forEach((v, k) => assertAlmostEquals(mean[k]!, v, 1e-6));
});

Deno.test("presence scores on the backend match the array version and leak nothing", async () => {
  const t = tf.tensor4d(maps, [2, 2, 2, 2]);
  for (const reduce of ["max", "mean"] as const) {
    const s = presenceScoresTensor(t, reduce);
    const want = presenceScores(maps, [2, 2, 2, 2], reduce);
    Array.from(await s.data()).forEach((v, k) => assertAlmostEquals(v, want[k]!, 1e-6));
    s.dispose();
    await assertNoLeaks(() => presenceScoresTensor(t, reduce), `presence ${reduce}`);
  }
  t.dispose();
});

Deno.test("precision and recall of presence are worked out by hand", () => {
  // Scores 0.9 (present), 0.8 (absent), 0.5 (present), 0.1 (absent); one joint.
  const c = presenceCurve([0.9, 0.8, 0.5, 0.1], [1, 0, 1, 0], 1);
  assertEquals(c.thresholds, [0.9, 0.8, 0.5, 0.1]);
  assertEquals(c.precision, [100, 50, (100 * 2) / 3, 50]);
  assertEquals(c.recall, [50, 50, 100, 100]);
  assertEquals([c.positives, c.negatives], [2, 2]);
  // Area: 0..50 at 100, 50..50 nothing, 50..100 from 50 to 66.7, flat at the end.
  assertAlmostEquals(c.auc!, (50 * 100 + 50 * (50 + 200 / 3) / 2) / 100, 1e-9);
});

Deno.test("tied scores give one point and joints outside the selection are ignored", () => {
  // Two joints; only joint 1 is used. Its scores tie at 0.5.
  const c = presenceCurve([9, 0.5, 9, 0.5], [0, 1, 0, 0], 2, [1]);
  assertEquals(c.thresholds, [0.5]);
  assertEquals([c.precision[0], c.recall[0]], [50, 100]);
  assertEquals(presenceCurve([0.3], [0], 1).auc, null);
});
