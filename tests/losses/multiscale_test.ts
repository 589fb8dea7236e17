import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { KitError } from "../../lib/io/errors.ts";
import { type HeatmapOutputs, lossDefaults, multiScaleLoss } from "../../lib/losses/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

// Most fixtures below give the coarser levels their own targets ("redraw"); the down-sampled
// ground truth (Ke's reading, the default) has its own tests at the end.
const redrawDefaults = { ...lossDefaults, pyramid: "redraw" as const };

/** `[1, s, s, J]` zero maps with `value` at pixel 0 of channel `j`. */
function spike(s: number, joints: number, j: number, value: number): tf.Tensor4D {
  const data = new Float32Array(s * s * joints);
  if (j >= 0) data[j] = value;
  return tf.tensor4d(data, [1, s, s, joints]);
}

// Targets at factors 1 and 2: joint 0 peaks at 1 on the 2x2 map, joint 1 at .5 on the 1x1 map.
const targets = [spike(2, 2, 0, 1), spike(1, 2, 1, 0.5)];
const zeros = [spike(2, 2, -1, 0), spike(1, 2, -1, 0)];
// Stack 1 predicts nothing (errors: factor 1 [1, 0], factor 2 [0, .25]); stack 2 is perfect.
const twoStacks: HeatmapOutputs = {
  stacks: [zeros, targets],
  factors: [1, 2],
  msrFactors: [],
};
const both = tf.tensor2d([[1, 1]]);

const read = async (t: tf.Tensor) => (await t.data())[0]!;

Deno.test("the loss sums Eq. 1 over scales and stacks with a breakdown per term", async () => {
  const { total, parts } = multiScaleLoss(twoStacks, targets, both, redrawDefaults);
  assertAlmostEquals(await read(total), 0.5 + 0.125, 1e-7);
  assertEquals(parts.map((p) => [p.stack, p.factor]), [[0, 1], [0, 2], [1, 1], [1, 2]]);
  const each = await Promise.all(parts.map((p) => read(p.loss)));
  assertEquals(each, [0.5, 0.125, 0, 0]);
});

Deno.test("per-scale weights scale each factor's terms", async () => {
  const cfg = { ...redrawDefaults, scaleWeights: [1, 2, 1, 1] };
  const { total } = multiScaleLoss(twoStacks, targets, both, cfg);
  assertAlmostEquals(await read(total), 0.5 + 0.25, 1e-7);
});

Deno.test("missing joints are ignored unless configured to train towards zero", async () => {
  // Joint 0 missing: its (large) error no longer counts.
  const missing = tf.tensor2d([[0, 1]]);
  const ignored = multiScaleLoss(twoStacks, targets, missing, redrawDefaults).total;
  assertAlmostEquals(await read(ignored), 0.125, 1e-7);
  const zeroed = multiScaleLoss(twoStacks, targets, missing, {
    ...redrawDefaults,
    missing: "zero",
  });
  assertAlmostEquals(await read(zeroed.total), 0.625, 1e-7);
});

Deno.test("MSR-net's terms use the structure-aware loss when configured", async () => {
  // One stack (perfect), MSR-net at factor 1 predicts nothing. Groups {0, 1} and {1, 0}.
  const out: HeatmapOutputs = {
    stacks: [targets],
    msr: [zeros[0]!],
    factors: [1, 2],
    msrFactors: [1],
  };
  const groups = [[0, 1], [1, 0]];
  const plain = multiScaleLoss(
    out,
    targets,
    both,
    { ...redrawDefaults, structure: "none" },
    groups,
  );
  assertEquals(plain.parts.at(-1)!.stack, "msr");
  assertAlmostEquals(await read(plain.total), 0.5, 1e-7);
  // Eq. 2: own [1, 0] + α · combined [1, 1] -> mean (1 + .5 + .5) / 2 = 1 with α = .5; x msrWeight 2.
  const cfg = { ...redrawDefaults, structure: "msr-outputs" as const, alpha: 0.5, msrWeight: 2 };
  const structural = multiScaleLoss(out, targets, both, cfg, groups);
  assertAlmostEquals(await read(structural.total), 2, 1e-6);
});

Deno.test("adaptive weights weigh stack 2's keypoints by stack 1's factor-1 losses", async () => {
  // Four joints: stack 1 misses joint 0 (losses [1, 0, 0, 0]) -> stack 2 weights [.5, 1/6, 1/6, 1/6];
  // stack 2 misses joint 1 by 1.
  const t = [spike(1, 4, 0, 1)];
  const out: HeatmapOutputs = {
    stacks: [[spike(1, 4, -1, 0)], [tf.tensor4d([1, 1, 0, 0], [1, 1, 1, 4])]],
    factors: [1],
    msrFactors: [],
  };
  const w = tf.ones([1, 4]) as tf.Tensor2D;
  const plain = multiScaleLoss(out, t, w, redrawDefaults);
  assertAlmostEquals(await read(plain.total), 0.25 + 0.25, 1e-6);
  const adaptive = multiScaleLoss(out, t, w, { ...redrawDefaults, adaptive: true });
  assertAlmostEquals(await read(adaptive.total), 0.25 + 1 / 6, 1e-6);
  const kw = await adaptive.keypointWeights.array();
  kw[1]!.forEach((v, i) => assertAlmostEquals(v, [0.5, 1 / 6, 1 / 6, 1 / 6][i]!, 1e-6));
});

Deno.test("targets that do not match the heatmaps are named", () => {
  assertThrows(
    () => multiScaleLoss(twoStacks, [targets[0]!], both, redrawDefaults),
    KitError,
    "stack 1's factor-2 heatmaps needs targets[1] (factor 2); the batch has 1 target level(s)",
  );
  assertThrows(
    () => multiScaleLoss(twoStacks, [targets[0]!, targets[0]!], both, redrawDefaults),
    KitError,
    "targets[1] (factor 2) is [1,2,2,2] but stack 1's factor-2 heatmaps is [1,1,1,2]",
  );
  assertThrows(
    () => multiScaleLoss(twoStacks, targets, tf.ones([1, 3]) as tf.Tensor2D, redrawDefaults),
    KitError,
    "target weights are [1,3]; expected [batch, joints] = [1, 2]",
  );
  assertThrows(
    () => multiScaleLoss(twoStacks, targets, both, { ...redrawDefaults, structure: "all" }),
    KitError,
    "16 groups for 2 joints",
  );
});

Deno.test("the multi-scale loss leaks nothing", async () => {
  for (const adaptive of [false, true]) {
    await assertNoLeaks(
      () => multiScaleLoss(twoStacks, targets, both, { ...redrawDefaults, adaptive }),
      "multiScaleLoss",
    );
  }
});

Deno.test("by default the coarser targets are the full-resolution target down-sampled (Ke §III-A)", async () => {
  // targets[0]: joint 0 peaks at 1 in one pixel of its 2x2 map -> down-sampled by 2: 0.25 on the
  // 1x1 map (the batch's own factor-2 level, joint 1 at .5, is not used). Stack 1 predicts zeros:
  // factor-1 term (1 + 0)/2 = .5, factor-2 term (.25² + 0)/2 = .03125; stack 2 predicts the
  // batch's levels: 0 at factor 1, (.25² + .5²)/2 = .15625 at factor 2.
  const { total, parts } = multiScaleLoss(twoStacks, targets, both, lossDefaults);
  assertEquals(lossDefaults.pyramid, "downsample");
  const each = await Promise.all(parts.map((p) => read(p.loss)));
  [0.5, 0.03125, 0, 0.15625].forEach((v, i) => assertAlmostEquals(each[i]!, v, 1e-7));
  assertAlmostEquals(await read(total), 0.6875, 1e-7);
});

Deno.test("Eq. 2 as printed sums the structural term over keypoints", async () => {
  // MSR-net at factor 1 predicts nothing; groups {0, 1}, {1, 0}; own errors [1, 0], combined
  // errors [1, 1]. Paper form: (1/N) Σ own + α Σ combined = .5 + .5 · 2 = 1.5 (mean form: 1).
  const out: HeatmapOutputs = {
    stacks: [targets],
    msr: [zeros[0]!],
    factors: [1, 2],
    msrFactors: [1],
  };
  const cfg = {
    ...redrawDefaults,
    structure: "msr-outputs" as const,
    alpha: 0.5,
    structureReduce: "sum" as const,
  };
  assertAlmostEquals(
    await read(multiScaleLoss(out, targets, both, cfg, [[0, 1], [1, 0]]).total),
    1.5,
    1e-6,
  );
});

Deno.test("MSSH stacks fed coarser features are supervised with that scale's ground truth", async () => {
  // GT (4x4) peaks at pixel (0, 0); GT/2 (2x2) at its pixel (0, 0). Stack 1 is fed S/8 features
  // (target factor 2): its target is GT/2 resampled to 4x4 with half-pixel centres, rows and
  // columns [1, .75, .25, 0], so predicting zeros costs (1 + .75² + .25²)² = 2.640625. Stack 2
  // keeps GT: 1.
  const gt = spike(4, 1, 0, 1);
  const half = spike(2, 1, 0, 1);
  const zero = spike(4, 1, -1, 0);
  const out: HeatmapOutputs = {
    stacks: [[zero], [zero]],
    factors: [1],
    msrFactors: [],
    stackTargetFactors: [2, 1],
  };
  const w = tf.ones([1, 1]) as tf.Tensor2D;
  const each = (cfg: typeof lossDefaults) =>
    Promise.all(multiScaleLoss(out, [gt, half], w, cfg).parts.map((p) => read(p.loss)));
  const dispatched = await each({ ...lossDefaults, stackTargets: "dispatched" });
  assertAlmostEquals(dispatched[0]!, 2.640625, 1e-5);
  assertAlmostEquals(dispatched[1]!, 1, 1e-6);
  assertEquals(await each(lossDefaults), [1, 1]); // "shared", the default
  assertThrows(
    () => multiScaleLoss(out, [gt], w, { ...lossDefaults, stackTargets: "dispatched" }),
    KitError,
    "add 2 to data.pyramidFactors",
  );
});
