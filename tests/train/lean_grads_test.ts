import { assert, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { lossDefaults } from "../../lib/losses/mod.ts";
import { multiScaleLoss } from "../../lib/losses/multiscale.ts";
import { buildModel, forward, resolveModelConfig } from "../../lib/models/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { leanVariableGrads } from "../../lib/train/lean_grads.ts";
import { trainableVariables } from "../../lib/train/step.ts";

await useTestBackend();

Deno.test("the lean backward pass gives tfjs's gradients bit for bit on a training step", async () => {
  const net = buildModel(
    resolveModelConfig({ inputSize: 16, depth: 2, stacks: 1, features: 8 }),
    { seed: 3 },
  );
  const images = tf.randomUniform([2, 16, 16, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const targets = [tf.randomUniform([2, 4, 4, 16], 0, 1, "float32", 5) as tf.Tensor4D];
  const weights = tf.ones([2, 16]) as tf.Tensor2D;
  const vars = trainableVariables(net);
  const loss = () =>
    multiScaleLoss(forward(net, images, true), targets, weights, lossDefaults).total as tf.Scalar;
  // BatchNorm's moving statistics change with each training-mode pass; gradients do not.
  const ref = tf.variableGrads(loss, vars);
  const before = tf.memory().numTensors;
  const lean = leanVariableGrads(loss, vars);
  // Nothing but the value and the gradients survives (BatchNorm's moving statistics are
  // replaced, not added).
  assertEquals(tf.memory().numTensors, before + 1 + Object.keys(lean.grads).length);
  assertEquals(await lean.value.data(), await ref.value.data());
  assertEquals(Object.keys(lean.grads).sort(), Object.keys(ref.grads).sort());
  for (const [name, g] of Object.entries(ref.grads)) {
    assertEquals(await lean.grads[name]!.data(), await g.data(), name);
  }
  tf.dispose([ref.value, lean.value, ...Object.values(ref.grads), ...Object.values(lean.grads)]);
  tf.dispose([images, ...targets, weights]);
  net.graph.dispose();
});

Deno.test("the lean backward pass frees each activation once its gradient is taken", async () => {
  const w = tf.variable(tf.fill([64, 64], 0.01));
  const x = tf.randomNormal([256, 64], 0, 1, "float32", 1);
  // A chain of 12 layers: tfjs keeps all 12 activations and gradients to the end.
  const f = () => {
    let h: tf.Tensor = x;
    // Each layer in its own scope, as tf.layers runs them: only what the tape saved survives.
    for (let i = 0; i < 12; i++) h = tf.tidy(() => tf.relu(tf.matMul(h, w)));
    return tf.sum(h) as tf.Scalar;
  };
  const peak = async (grads: typeof tf.variableGrads) => {
    const info = await tf.profile(() => {
      const { value, grads: g } = grads(f, [w]);
      tf.dispose([value, ...Object.values(g)]);
    });
    return info.peakBytes;
  };
  const tfjs = await peak(tf.variableGrads), lean = await peak(leanVariableGrads);
  assertLess(lean, tfjs * 0.75, `lean ${lean} bytes, tfjs ${tfjs}`);
  // Nested gradients run tfjs's own pass.
  const second = tf.grad((a: tf.Tensor) =>
    tf.grad((b: tf.Tensor) => tf.sum(tf.mul(b, b.square())))(a).sum()
  )(
    tf.tensor1d([1, 2]),
  );
  assertEquals(Array.from(await second.data()), [6, 12]);
  assert(tf.memory().numTensors > 0);
  tf.dispose([w, x, second]);
});
