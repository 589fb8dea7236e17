import { assert } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  adaptiveStackWeights,
  heatmapLoss,
  type HeatmapOutputs,
  lossDefaults,
  multiScaleLoss,
  structureAwareLoss,
} from "../../lib/losses/mod.ts";
import { NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import { Random } from "../../lib/random/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

/**
 * Values spaced 1/n apart in a seeded order, so no two heatmap values are within a small step
 * of each other: the max combination has no tie a finite difference could step across.
 */
function distinct(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i / n));
  return tf.tensor(values, shape);
}

/**
 * Compares tf.grad of a scalar function with central differences of step `eps` at `count`
 * coordinates of `x` (all when omitted). The losses are quadratic (piecewise, for max), so
 * central differences are exact up to float32 rounding.
 */
async function checkGradient(
  label: string,
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  count?: number,
  eps = 1e-2,
): Promise<void> {
  const analytic = await tf.grad(f)(x).data();
  const base = await x.data();
  const value = async (data: Float32Array) => {
    const t = tf.tensor(data, x.shape);
    const y = f(t);
    const v = (await y.data())[0]!;
    tf.dispose([t, y]);
    return v;
  };
  const coords = new Random(1).shuffle(Array.from({ length: base.length }, (_, i) => i))
    .slice(0, count ?? base.length);
  for (const i of coords) {
    const plus = Float32Array.from(base);
    plus[i]! += eps;
    const minus = Float32Array.from(base);
    minus[i]! -= eps;
    const numeric = ((await value(plus)) - (await value(minus))) / (2 * eps);
    const err = Math.abs(numeric - analytic[i]!);
    assert(
      err <= 2e-3 * Math.max(1, Math.abs(numeric)),
      `${label}: d/dx[${i}] analytic ${analytic[i]} vs numeric ${numeric}`,
    );
  }
}

const shape = [2, 3, 3, NUM_JOINTS];
const target = distinct(shape, 2) as tf.Tensor4D;
const weights = tf.tensor2d(
  Array.from({ length: 2 * NUM_JOINTS }, (_, i) => (i % 5 === 3 ? 0 : 1)),
  [2, NUM_JOINTS],
);

Deno.test("Eq. 1's gradient matches finite differences, for sum and mean over pixels", async () => {
  const pred = distinct(shape, 1);
  for (const pixels of ["sum", "mean"] as const) {
    await checkGradient(
      `heatmapLoss ${pixels}`,
      (p) => heatmapLoss(p as tf.Tensor4D, target, weights, { pixels }),
      pred,
      120,
    );
  }
});

Deno.test("Eq. 2's gradient matches finite differences, with sum and with max", async () => {
  const pred = distinct(shape, 3);
  for (const combine of ["sum", "max"] as const) {
    await checkGradient(
      `structureAwareLoss ${combine}`,
      (p) => structureAwareLoss(p as tf.Tensor4D, target, weights, { alpha: 0.7, combine }),
      pred,
      120,
      // Values are 1/288 apart: a step of 1e-3 never swaps a group's maximum.
      combine === "max" ? 1e-3 : 1e-2,
    );
  }
});

/** A two-stack, two-factor network output packed into one tensor, plus an MSR-net output. */
function unpack(x: tf.Tensor): HeatmapOutputs {
  // [2 stacks x (4x4 + 2x2) + MSR 4x4] pixels x J, batch 1.
  const flat = tf.reshape(x, [-1, NUM_JOINTS]);
  const take = (start: number, s: number) =>
    tf.reshape(tf.slice(flat, [start, 0], [s * s, NUM_JOINTS]), [
      1,
      s,
      s,
      NUM_JOINTS,
    ]) as tf.Tensor4D;
  return {
    stacks: [[take(0, 4), take(16, 2)], [take(20, 4), take(36, 2)]],
    msr: [take(40, 4)],
    factors: [1, 2],
    msrFactors: [1],
  };
}

Deno.test("the multi-scale loss's gradient matches finite differences", async () => {
  const x = distinct([56, NUM_JOINTS], 4);
  const targets = [
    distinct([1, 4, 4, NUM_JOINTS], 5),
    distinct([1, 2, 2, NUM_JOINTS], 6),
  ] as tf.Tensor4D[];
  const w = tf.ones([1, NUM_JOINTS]) as tf.Tensor2D;
  const cfg = {
    ...lossDefaults,
    structure: "all" as const,
    scaleWeights: [1, 0.5, 1, 1],
    msrWeight: 2,
  };
  await checkGradient(
    "multiScaleLoss",
    (p) => multiScaleLoss(unpack(p), targets, w, cfg).total,
    x,
    150,
  );
});

Deno.test("with adaptive weights the gradient is that of the loss with the weights held fixed", async () => {
  // The weights depend on stack 1's losses but carry no gradient (AdaBoost's sample weights are
  // constants), so the reference is the finite difference of Σ_s Σ_n ω_{s,n} ℓ_{s,n} with ω
  // computed once at the base point.
  const x = distinct([56, NUM_JOINTS], 7);
  const targets = [
    distinct([1, 4, 4, NUM_JOINTS], 8),
    distinct([1, 2, 2, NUM_JOINTS], 9),
  ] as tf.Tensor4D[];
  const w = tf.ones([1, NUM_JOINTS]) as tf.Tensor2D;
  const cfg = { ...lossDefaults, adaptive: true, pyramid: "redraw" as const };
  const base = multiScaleLoss(unpack(x), targets, w, cfg);
  const fixed = await base.keypointWeights.array();
  const uniformNow =
    (await adaptiveStackWeights([tf.ones([NUM_JOINTS]) as tf.Tensor1D]).array())[0]!;
  assert(fixed[1]!.some((v, i) => Math.abs(v - uniformNow[i]!) > 1e-4), "weights did not adapt");
  const frozen = (p: tf.Tensor) =>
    tf.tidy(() => {
      const out = unpack(p);
      const terms = out.stacks.flatMap((maps, s) =>
        maps.map((pred, i) => {
          const l = tf.mean(tf.mul(tf.sum(tf.squaredDifference(pred, targets[i]!), [1, 2]), w), 0);
          return tf.sum(tf.mul(l, tf.tensor1d(fixed[s]!)));
        })
      );
      return tf.addN(terms) as tf.Scalar;
    });
  const analytic = await tf.grad((p) => multiScaleLoss(unpack(p), targets, w, cfg).total)(x).data();
  const reference = await tf.grad(frozen)(x).data();
  // Rows 0..39 of x are the stacks' maps; the MSR-net's map (rows 40..55) is left out of the
  // reference, which has no MSR term.
  for (let i = 0; i < 40 * NUM_JOINTS; i++) {
    assert(Math.abs(analytic[i]! - reference[i]!) < 1e-4, `coordinate ${i}`);
  }
  await checkGradient("frozen adaptive reference", frozen, x, 60);
});
