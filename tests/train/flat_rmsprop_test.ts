import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { FlatRMSPropOptimizer } from "../../lib/train/flat_rmsprop.ts";
import { makeOptimizer, optimizerDefaults } from "../../lib/train/optimizer.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

/** Three weights of different shapes, trained 3 steps on a fixed loss; their values and the state. */
async function train(opt: tf.Optimizer, skipGradient = false) {
  const ws = [
    tf.variable(tf.randomNormal([3, 2], 0, 1, "float32", 1)),
    tf.variable(tf.randomNormal([4], 0, 1, "float32", 2)),
    tf.variable(tf.randomNormal([2, 1, 2], 0, 1, "float32", 3)),
  ];
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() =>
      tf.addN(ws.map((w, i) => tf.sum(tf.mul(tf.square(w), i + 1 + step)))) as tf.Scalar
    );
    if (skipGradient) delete grads[ws[1]!.name];
    opt.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const weights = await Promise.all(ws.map((w) => w.data()));
  const named = await opt.getWeights();
  const state = await Promise.all(
    named.map(async (n) => [n.name, Array.from(await n.tensor.data())]),
  );
  tf.dispose(ws);
  return { weights: weights.map((w) => Array.from(w)), state: state.map(([, v]) => v) };
}

for (const momentum of [0, 0.9]) {
  Deno.test(`flat RMSprop gives exactly tfjs's weights and state (momentum ${momentum})`, async () => {
    const ours = await train(new FlatRMSPropOptimizer(0.01, 0.99, momentum, 1e-8));
    const theirs = await train(tf.train.rmsprop(0.01, 0.99, momentum, 1e-8));
    assertEquals(ours, theirs);
  });
}

Deno.test("flat RMSprop leaves a weight without a gradient alone, like tfjs", async () => {
  const ours = await train(new FlatRMSPropOptimizer(0.01, 0.9, 0, 1e-7), true);
  const theirs = await train(tf.train.rmsprop(0.01, 0.9, 0, 1e-7), true);
  assertEquals(ours, theirs);
});

Deno.test("the config's rmsprop is the flat one, saved under tfjs's class name", () => {
  const opt = makeOptimizer(optimizerDefaults);
  // Not instanceof: tfjs makes every optimiser an instance of every optimiser class.
  assertEquals(opt.constructor, FlatRMSPropOptimizer);
  assertEquals(opt.getClassName(), "RMSProp");
  opt.dispose();
});

Deno.test("a flat RMSprop step leaks no tensors once its state exists", async () => {
  const w = tf.variable(tf.ones([5]));
  const opt = new FlatRMSPropOptimizer(0.1);
  const step = () => void opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
  step(); // creates the state
  await assertNoLeaks(step, "flat RMSprop step");
  opt.dispose();
  w.dispose();
});
