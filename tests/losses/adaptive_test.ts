import { assert, assertAlmostEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  adaptiveStackWeights,
  adaptiveWeightedLoss,
  nextAdaptiveWeights,
} from "../../lib/losses/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

const values = async (t: tf.Tensor) => Array.from(await t.data());
const close = (actual: number[], expected: number[], tol = 1e-5) =>
  actual.forEach((a, i) => assertAlmostEquals(a, expected[i]!, tol, `entry ${i}`));
const uniform = (n: number) => tf.fill([n], 1 / n) as tf.Tensor1D;

Deno.test("the keypoint the previous stack got worst gains weight (Algorithm 1 by hand)", async () => {
  // sum: l = [1/8, 1/8, 1/8, 5/8], L = 1/4, α = 1/3, w ∝ [α^(7/8) (x3), α^(3/8)].
  const w = nextAdaptiveWeights(uniform(4), tf.tensor1d([1, 1, 1, 5]));
  close(await values(w), [0.2113249, 0.2113249, 0.2113249, 0.3660254]);
  // max (AdaBoost.R2): l = [1/8, 1/8, 1/8, 1], L = 0.34375, α = L / (1 - L) = 0.5238,
  // w ∝ [α^(7/8) (x3), 1] = [0.5679, 0.5679, 0.5679, 1] / 2.7037.
  const r2 = nextAdaptiveWeights(uniform(4), tf.tensor1d([1, 1, 1, 8]), "max");
  close(await values(r2), [0.2100464, 0.2100464, 0.2100464, 0.3698609]);
});

Deno.test("AdaBoost.R2's max normalisation freezes the weights once L reaches 1/2", async () => {
  // Losses within a factor 2: l = [1/2, 1/2, 1/2, 1] -> L = 5/8 -> α capped at 1.
  close(await values(nextAdaptiveWeights(uniform(4), tf.tensor1d([1, 1, 1, 2]), "max")), [
    0.25,
    0.25,
    0.25,
    0.25,
  ]);
  // The sum normalisation still moves them: l = [.2, .2, .2, .4], L = 1/4, α = 1/3.
  const w = await values(nextAdaptiveWeights(uniform(4), tf.tensor1d([1, 1, 1, 2])));
  assert(w[3]! > w[0]! + 0.03, `${w}`);
});

Deno.test("one hard keypoint out of four takes half the weight", async () => {
  // l = [1, 0, 0, 0], L = 1/4, α = 1/3: w ∝ [1, 1/3, 1/3, 1/3].
  const w = nextAdaptiveWeights(uniform(4), tf.tensor1d([2, 0, 0, 0]));
  close(await values(w), [0.5, 1 / 6, 1 / 6, 1 / 6]);
});

Deno.test("weights stay put when the losses are equal or all zero", async () => {
  for (const norm of ["sum", "max"] as const) {
    for (const losses of [[3, 3, 3, 3], [0, 0, 0, 0]]) {
      const w = nextAdaptiveWeights(uniform(4), tf.tensor1d(losses), norm);
      close(await values(w), [0.25, 0.25, 0.25, 0.25]);
    }
  }
});

Deno.test("the first stack is weighted uniformly and each next from the one before", async () => {
  const l1 = tf.tensor1d([2, 0, 0, 0]);
  const l2 = tf.tensor1d([0, 5, 0, 0]);
  const w = await adaptiveStackWeights([l1, l2, tf.tensor1d([1, 1, 1, 1])]).array();
  close(w[0]!, [0.25, 0.25, 0.25, 0.25]);
  close(w[1]!, [0.5, 1 / 6, 1 / 6, 1 / 6]);
  // From w[1] and l = [0, 1, 0, 0]: L = 1/6, α = 1/5, w ∝ [.5/5, 1/6, 1/30, 1/30].
  const z = 0.1 + 1 / 6 + 2 / 30;
  close(w[2]!, [0.1 / z, 1 / 6 / z, 1 / 30 / z, 1 / 30 / z]);
  // Eq. 3 summed over stacks: .25 * 2 + (1/6) * 5 + 1 (weights sum to 1).
  const { total } = adaptiveWeightedLoss([l1, l2, tf.tensor1d([1, 1, 1, 1])]);
  close(await values(total), [0.5 + 5 / 6 + 1]);
});

Deno.test("the weights are constants for the gradient: d total / d loss_{j,i} = w_{j,i}", async () => {
  const l1 = tf.tensor1d([2, 0, 0, 0]);
  const l2 = tf.tensor1d([0, 5, 0, 0]);
  const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    adaptiveWeightedLoss([a as tf.Tensor1D, b as tf.Tensor1D]).total
  )([l1, l2]);
  close(await values(g1!), [0.25, 0.25, 0.25, 0.25]);
  close(await values(g2!), [0.5, 1 / 6, 1 / 6, 1 / 6]);
});

Deno.test("the adaptive weights leak nothing and never produce NaN", async () => {
  const losses = [tf.tensor1d([0, 0]), tf.tensor1d([0, 0]), tf.tensor1d([1e-30, 0])];
  await assertNoLeaks(() => adaptiveWeightedLoss(losses), "adaptiveWeightedLoss");
  const w = await values(adaptiveStackWeights(losses));
  assert(w.every((v) => Number.isFinite(v)), `${w}`);
});
