import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining, withClosedFormTraining } from "../../lib/models/batchnorm.ts";
import { BN_EPSILON, BN_MOMENTUM } from "../../lib/models/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

/** max |a - b| / max |b|. */
async function relativeError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [diff, scale] = await Promise.all([
    tf.max(tf.abs(tf.sub(a, b))).data(),
    tf.max(tf.abs(b)).data(),
  ]);
  return diff[0]! / Math.max(scale[0]!, 1e-30);
}

// A batch with channels of very different means and spreads.
const x = tf.tidy(() =>
  tf.add(
    tf.mul(tf.randomNormal([3, 5, 4, 6], 0, 1, "float32", 1), tf.tensor1d([1, 2, 0.1, 5, 1, 3])),
    tf.tensor1d([0, -1, 4, 0.5, 10, 0]),
  )
);
const gamma = tf.tensor1d([1, 0.5, -2, 1.5, 0.1, 3]);
const beta = tf.tensor1d([0, 1, -1, 0.2, 0.3, 2]);
const dy = tf.randomNormal([3, 5, 4, 6], 0, 1, "float32", 2);

/** tfjs's own training-mode BatchNorm (tf.moments + tf.batchNorm), the reference. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON);
}

Deno.test("closed-form BatchNorm gives tfjs's values and batch statistics", async () => {
  const ours = batchNormTraining(x, gamma, beta, BN_EPSILON);
  const ref = tf.moments(x, [0, 1, 2]);
  assertLess(await relativeError(ours.y, reference(x, gamma, beta)), 1e-5);
  assertLess(await relativeError(ours.mean, ref.mean), 1e-6);
  assertLess(await relativeError(ours.variance, ref.variance), 1e-5);
  tf.dispose([ours.y, ours.mean, ours.variance, ref.mean, ref.variance]);
});

Deno.test("closed-form BatchNorm gradients match tfjs's op-by-op gradients", async () => {
  const f = (g: (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor) =>
    tf.grads((x: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(g(x, gm, bt), dy)));
  const ours = f((x, gm, bt) => {
    const r = batchNormTraining(x, gm as tf.Tensor1D, bt as tf.Tensor1D, BN_EPSILON);
    tf.dispose([r.mean, r.variance]);
    return r.y;
  })([x, gamma, beta]);
  const ref = f(reference)([x, gamma, beta]);
  const names = ["dx", "dgamma", "dbeta"];
  for (let i = 0; i < 3; i++) {
    assertLess(await relativeError(ours[i]!, ref[i]!), 1e-4, names[i]);
  }
  tf.dispose([...ours, ...ref]);
});

Deno.test("a BatchNorm layer trains like tfjs-layers' and updates the same moving statistics", async () => {
  const make = () =>
    tf.layers.batchNormalization({ axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON });
  const stock = make(), fast = withClosedFormTraining(make());
  for (const layer of [stock, fast]) {
    layer.build(x.shape);
    layer.setWeights([gamma, beta, tf.fill([6], 0.5), tf.fill([6], 2)]);
  }
  const yStock = stock.apply(x, { training: true }) as tf.Tensor;
  const yFast = fast.apply(x, { training: true }) as tf.Tensor;
  assertLess(await relativeError(yFast, yStock), 1e-5);
  const [, , meanS, varS] = stock.getWeights(), [, , meanF, varF] = fast.getWeights();
  assertLess(await relativeError(meanF!, meanS!), 1e-6);
  assertLess(await relativeError(varF!, varS!), 1e-5);
  // Inference keeps tfjs's code path: identical on identical weights (the moving statistics
  // above differ by float rounding when the native kernels computed them).
  fast.setWeights(stock.getWeights());
  const inferStock = stock.apply(x, { training: false }) as tf.Tensor;
  const inferFast = fast.apply(x, { training: false }) as tf.Tensor;
  assertEquals(await inferFast.data(), await inferStock.data());
  tf.dispose([yStock, yFast, inferStock, inferFast]);
});

Deno.test("the closed-form BatchNorm training step leaks no tensors", async () => {
  const layer = withClosedFormTraining(
    tf.layers.batchNormalization({ axis: -1, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }),
  );
  layer.build(x.shape);
  await assertNoLeaks(() => layer.apply(x, { training: true }) as tf.Tensor, "forward");
  await assertNoLeaks(() => {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar,
    );
    return [value, ...Object.values(grads)];
  }, "gradient");
});

Deno.test("a BatchNorm layer's training gradient takes far fewer kernels than tfjs's", async () => {
  // The input depends on a variable, as inside a network, so every gradient path runs.
  const scale = tf.variable(tf.scalar(1.5));
  const kernels = async (layer: tf.layers.Layer) => {
    layer.build(x.shape);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(
          tf.mul(layer.apply(tf.mul(x, scale), { training: true }) as tf.Tensor, dy),
        ) as tf.Scalar
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    return info.kernels.length;
  };
  const make = () => tf.layers.batchNormalization({ axis: -1 });
  const [stock, fast] = [await kernels(make()), await kernels(withClosedFormTraining(make()))];
  assertLess(fast, stock * 0.7, `closed form ${fast} kernels, tfjs ${stock}`);
  scale.dispose();
});

Deno.test("ReLU's gradient, taken from its output, is dy where the input is positive and 0 elsewhere", async () => {
  const x = tf.tensor1d([-2, -0.5, 0, 1e-7, 0.5, 3]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5, 6]);
  const dx = tf.grad((x: tf.Tensor) => tf.relu(x))(x, dy);
  assertEquals(Array.from(await dx.data()), [0, 0, 0, 4, 5, 6]);
  tf.dispose([x, dy, dx]);
});
