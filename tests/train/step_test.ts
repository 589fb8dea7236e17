import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { encodePyramid } from "../../lib/heatmap/mod.ts";
import { lossDefaults, paperLoss } from "../../lib/losses/mod.ts";
import {
  buildModel,
  type PoseModel,
  resolveModelConfig,
  setTrainable,
} from "../../lib/models/mod.ts";
import { Random } from "../../lib/random/mod.ts";
import { type Keypoint, NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { type TrainBatch, trainStep } from "../../lib/train/step.ts";

await useTestBackend();

/**
 * A fixed batch of 16x16 images with random keypoints on the 4x4 maps (one joint missing).
 * Training steps stay this small because the cpu backend's Conv2DBackpropFilter takes seconds
 * for the stem's 64-channel convolutions at 32x32 (20 s for one of them at batch 2).
 */
function fixedBatch(size: number, seed: number): TrainBatch {
  const rng = new Random(seed);
  const levels = Array.from({ length: size }, () => {
    const kps = Array.from(
      { length: NUM_JOINTS },
      (_, j): Keypoint => [rng.uniform(0, 3), rng.uniform(0, 3), j === 3 ? 0 : 2],
    );
    return encodePyramid(kps, { width: 4, height: 4, sigma: 1 }, [1, 2]);
  });
  const targets = [0, 1].map((k) => {
    const s = 4 >> k;
    return tf.tensor4d(
      Float32Array.from(levels.flatMap((l) => Array.from(l[k]!.heatmaps))),
      [size, s, s, NUM_JOINTS],
    );
  });
  const weights = tf.tensor2d(
    Float32Array.from(levels.flatMap((l) => Array.from(l[0]!.weights))),
    [size, NUM_JOINTS],
  );
  const images = tf.randomUniform([size, 16, 16, 3], 0, 1, "float32", seed) as tf.Tensor4D;
  return { images, targets, weights };
}

const tiny = (override: Record<string, unknown>) =>
  resolveModelConfig({ inputSize: 16, depth: 2, stacks: 1, features: 8, ...override });

async function snapshot(net: PoseModel, match: RegExp): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const w of net.graph.weights) {
    if (match.test(w.name)) out.set(w.name, (await w.read().data()) as Float32Array);
  }
  return out;
}

Deno.test("a few steps on a fixed batch lower the loss", async () => {
  const net = buildModel(tiny({ kind: "mss", factors: [1, 2] }), { seed: 1 });
  const batch = fixedBatch(1, 1);
  const opt = tf.train.adam(5e-3);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await trainStep(net, opt, batch, lossDefaults)).loss);
  assert(losses.at(-1)! < 0.8 * losses[0]!, `losses ${losses.map((l) => l.toFixed(3))}`);
  tf.dispose(batch);
  opt.dispose();
});

Deno.test("a step reports its terms per stack and factor, summing to the loss", async () => {
  const net = buildModel(tiny({ kind: "mssh", stacks: 2, scales: 2 }), { seed: 2 });
  const batch = fixedBatch(1, 2);
  const opt = tf.train.rmsprop(2.5e-4);
  const r = await trainStep(net, opt, batch, paperLoss("mssh"));
  assertEquals(r.parts.map((p) => [p.stack, p.factor]), [[0, 1], [1, 1]]);
  assertAlmostEquals(r.parts.reduce((n, p) => n + p.loss, 0), r.loss, 1e-4 * r.loss);
  assertEquals(r.keypointWeights.length, 2);
  assert(r.keypointWeights[0]!.every((w) => Math.abs(w - 1 / NUM_JOINTS) < 1e-7));
  assertAlmostEquals(r.keypointWeights[1]!.reduce((a, b) => a + b, 0), 1, 1e-5);
  tf.dispose(batch);
  opt.dispose();
});

Deno.test("with the MSS-net frozen a step changes only the MSR-net", async () => {
  const net = buildModel(
    tiny({ kind: "mss-msr", factors: [1, 2], msr: { features: 8, depth: 2, factors: [1, 2] } }),
    { seed: 3 },
  );
  setTrainable(net, "msr-only");
  const batch = fixedBatch(2, 3);
  const opt = tf.train.adam(1e-2);
  const mssBefore = await snapshot(net, /^(stem|stacks)\./);
  const msrBefore = await snapshot(net, /^msr\./);
  await trainStep(net, opt, batch, paperLoss("mss-msr"));
  const mssAfter = await snapshot(net, /^(stem|stacks)\./);
  const msrAfter = await snapshot(net, /^msr\./);
  for (const [name, before] of mssBefore) {
    assertEquals(mssAfter.get(name), before, `${name} changed while frozen`);
  }
  const moved = new Set(
    [...msrBefore].filter(([name, v]) => v.some((x, i) => x !== msrAfter.get(name)![i]))
      .map(([name]) => name),
  );
  // Every MSR kernel and moving statistic moves. (A bias right before a BatchNorm in training
  // mode gets an exactly zero gradient at 1x1 resolution, so biases are not checked.)
  const expected = [...msrBefore.keys()].filter((n) => /kernel|moving_/.test(n));
  assertEquals(expected.filter((n) => !moved.has(n)), []);
  tf.dispose(batch);
  opt.dispose();
});

Deno.test("a training step leaks no tensor", async () => {
  const net = buildModel(
    tiny({ kind: "mss-msr", factors: [1, 2], msr: { features: 8, depth: 2, factors: [1] } }),
    { seed: 4 },
  );
  const batch = fixedBatch(1, 4);
  const opt = tf.train.rmsprop(2.5e-4);
  const cfg = { ...paperLoss("mss-msr"), adaptive: true };
  // The first step creates the optimiser's slots, which live on.
  await trainStep(net, opt, batch, cfg);
  await assertNoLeaks(async () => {
    await trainStep(net, opt, batch, cfg);
  }, "trainStep");
  tf.dispose(batch);
  opt.dispose();
});
