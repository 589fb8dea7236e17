import { assert, assertAlmostEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { measureStepMemory } from "../../bench/memory.ts";
import { paperLoss } from "../../lib/losses/config.ts";
import { buildModel, resolveModelConfig } from "../../lib/models/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { makeOptimizer, optimizerDefaults } from "../../lib/train/optimizer.ts";

await useTestBackend();

Deno.test("the step's memory accounting says what was alive at its peak, adding up to the peak", async () => {
  const net = buildModel(
    resolveModelConfig({ inputSize: 16, depth: 2, stacks: 1, features: 8 }),
    { seed: 2 },
  );
  const batch = tf.tidy(() => ({
    images: tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D,
    targets: [tf.randomUniform([2, 4, 4, 16], 0, 1, "float32", 2) as tf.Tensor4D],
    weights: tf.ones([2, 16]) as tf.Tensor2D,
  }));
  const optimizer = makeOptimizer(optimizerDefaults);
  const m = await measureStepMemory(net, optimizer, batch, paperLoss("hourglass"));
  const atPeak = Object.values(m.atPeak).reduce((a, b) => a + b, 0);
  // The snapshot is taken each time the peak grows by 1% or more.
  const peak = m.mallocPeak ?? m.peakTensorBytes;
  assertAlmostEquals(atPeak, peak, peak * 0.011, JSON.stringify(m.atPeak));
  // The forward pass's saved activations are the largest part of the step: the convolutions'
  // and the activated inputs they read, made by the ReLU layers, or by the BatchNorm layers where
  // the native path runs BatchNorm and ReLU as one kernel (wasm + oneDNN: no ReLU layer runs).
  const saved = (kind: string) => m.byKind[kind]?.savedBytes ?? 0;
  assert(saved("convolution") > 0, JSON.stringify(m.byKind));
  assert(saved("relu") + saved("batch norm") > 0, JSON.stringify(m.byKind));
  assert(m.forwardEndBytes <= m.peakTensorBytes);
  tf.dispose(batch);
  optimizer.dispose();
  net.graph.dispose();
});
