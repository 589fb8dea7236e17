/**
 * The checks of webgpu_fused_test.ts, in a process of their own (a process that loaded libEGL
 * for llvmpipe may abort at exit; see lib/backend/webgpu.ts): three RMSprop updates of the same
 * weights from the same gradients on the cpu backend (tfjs ops) and on webgpu (the kit's fused
 * update), with and without momentum. Prints one JSON line with the worst relative error of
 * each result.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  initBackend,
  probeAdapter,
  releaseWebGpu,
  webGpuKernelRuns,
} from "../../lib/backend/mod.ts";
import { webGpuBatchNormTraining } from "../../lib/backend/webgpu_bnorm.ts";
import { batchNormTraining, withClosedFormTraining } from "../../lib/models/batchnorm.ts";
import { Random } from "../../lib/random/mod.ts";
import { FlatRMSPropOptimizer } from "../../lib/train/flat_rmsprop.ts";

/** Weight shapes: one element, fewer than a workgroup, several workgroups, a 3x3 conv kernel. */
export const SHAPES: readonly number[][] = [[1], [37], [1000], [3, 3, 8, 16]];
/** Updates per case, and the momentum of each case. */
export const STEPS = 3, MOMENTA = [0, 0.9] as const;

/** BatchNorm inputs (NHWC): channels below, at and above a workgroup's 32, and a 2-D input. */
export const BN_SHAPES: readonly number[][] = [
  [2, 5, 7, 12],
  [3, 4, 4, 64],
  [2, 3, 3, 40],
  [9, 5],
  // More rows than one chunk (MIN_CHUNK_ROWS): chunked reductions and the combining pass.
  [2, 30, 30, 12],
  [5, 20, 20, 40],
];

/** y, mean, variance, dx, dγ, dβ of a training BatchNorm on the current backend. */
async function batchNormCase(shape: number[], seed: number, fused: boolean) {
  const c = shape.at(-1)!;
  const n = shape.reduce((a, b) => a * b, 1);
  // Offset and scale so that the statistics are not those of a unit normal.
  const x = tf.tidy(() => tf.add(tf.mul(tf.tensor(randomArray(n, seed), shape), 3), 0.5));
  const gamma = tf.tensor1d(randomArray(c, seed + 1));
  const beta = tf.tensor1d(randomArray(c, seed + 2));
  const dy = tf.tensor(randomArray(n, seed + 3), shape);
  const bn = (x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => {
    const r = fused ? webGpuBatchNormTraining(x, g, b, 1e-3) : batchNormTraining(x, g, b, 1e-3);
    if (!r) throw new Error("the fused BatchNorm declined a webgpu float32 input");
    return r;
  };
  const forward = bn(x, gamma, beta);
  const grads = tf.grads((x, g, b) =>
    tf.tidy(() => {
      const r = bn(x, g as tf.Tensor1D, b as tf.Tensor1D);
      tf.dispose([r.mean, r.variance]);
      return tf.sum(tf.mul(r.y, dy));
    })
  )([x, gamma, beta]);
  const out = await Promise.all(
    [forward.y, forward.mean, forward.variance, ...grads].map(async (t) =>
      (await t.data()) as Float32Array
    ),
  );
  tf.dispose([x, gamma, beta, dy, forward.y, forward.mean, forward.variance, ...grads]);
  return out;
}

/** A BatchNormalization layer's output and moving mean and variance after two training calls. */
async function batchNormLayerCase(shape: number[], seed: number): Promise<Float32Array[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  const layer = withClosedFormTraining(tf.layers.batchNormalization({ axis: -1, momentum: 0.9 }));
  const xs = [0, 1].map((k) =>
    tf.tidy(() => tf.mul(tf.tensor(randomArray(n, seed + k), shape), 2))
  );
  const ys = xs.map((x) => layer.apply(x, { training: true }) as tf.Tensor);
  const [, , mean, variance] = layer.getWeights(); // gamma, beta, moving mean, moving variance
  const out = await Promise.all(
    [ys[1]!, mean!, variance!].map(async (t) => (await t.data()) as Float32Array),
  );
  tf.dispose([...xs, ...ys]);
  layer.dispose();
  return out;
}

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** Weights, mean squares and moments after `STEPS` updates on the current backend. */
async function run(momentum: number, tag: string): Promise<Float32Array[]> {
  const vars = SHAPES.map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(randomArray(n, 10 + i), shape), true, `w${i}-${tag}`);
  });
  const opt = new FlatRMSPropOptimizer(1e-2, 0.9, momentum, 1e-7);
  for (let s = 0; s < STEPS; s++) {
    const grads = Object.fromEntries(vars.map((v, i) => [
      v.name,
      tf.tensor(randomArray(v.size, 100 * s + i), v.shape),
    ]));
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const state = await opt.getWeights(); // iterations, then rms and momentum per weight
  const out = [
    ...await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array)),
    ...await Promise.all(state.slice(1).map(async (w) => (await w.tensor.data()) as Float32Array)),
  ];
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return out;
}

function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

async function main(): Promise<void> {
  const found = await probeAdapter({ gl: true });
  if (!found) {
    console.log(JSON.stringify({ adapter: null }));
    Deno.exit(0);
  }
  const results = [];
  for (const momentum of MOMENTA) {
    await initBackend("cpu", () => {});
    const want = await run(momentum, `cpu-${momentum}`);
    await initBackend("webgpu", () => {});
    const got = await run(momentum, `webgpu-${momentum}`);
    const start = randomArray(SHAPES[2]!.reduce((a, b) => a * b, 1), 12);
    results.push({
      momentum,
      moved: relativeError(start, want[2]!),
      errors: want.map((w, i) => relativeError(got[i]!, w)),
      lengths: got.map((g) => g.length),
    });
  }
  const batchNorm = [];
  for (const [i, shape] of BN_SHAPES.entries()) {
    await initBackend("cpu", () => {});
    const want = await batchNormCase([...shape], 50 + i, false);
    await initBackend("webgpu", () => {});
    const before = tf.memory().numTensors;
    const got = await batchNormCase([...shape], 50 + i, true);
    batchNorm.push({
      shape,
      errors: want.map((w, j) => relativeError(got[j]!, w)),
      lengths: got.map((g) => g.length),
      leaked: tf.memory().numTensors - before,
    });
  }
  await initBackend("cpu", () => {});
  const wantLayer = await batchNormLayerCase([2, 4, 4, 40], 70);
  await initBackend("webgpu", () => {});
  const gotLayer = await batchNormLayerCase([2, 4, 4, 40], 70);
  const layer = wantLayer.map((w, j) => relativeError(gotLayer[j]!, w));
  // ReLU's gradient from its output, on values around 0 (exact zeros included).
  const reluGrad = async () => {
    const x = tf.tensor2d(randomArray(300, 80).map((v, i) => i % 7 === 0 ? 0 : v), [20, 15]);
    const dy = tf.tensor2d(randomArray(300, 81), [20, 15]);
    const dx = tf.grad((x) => tf.sum(tf.mul(tf.relu(x), dy)))(x);
    const out = (await dx.data()) as Float32Array;
    tf.dispose([x, dy, dx]);
    return out;
  };
  await initBackend("cpu", () => {});
  const wantRelu = await reluGrad();
  await initBackend("webgpu", () => {});
  const relu = relativeError(await reluGrad(), wantRelu);
  // Sums over all axes but the last (the kit's), with keepDims, and over one axis (tfjs's).
  const sums = async () => {
    const x = tf.tensor4d(randomArray(2 * 5 * 7 * 40, 90), [2, 5, 7, 40]);
    const outs = [
      tf.sum(x, [0, 1, 2]),
      tf.sum(x, [2, 0, 1], true),
      tf.sum(x, 1),
      tf.sum(tf.reshape(x, [70, 40]), 0),
      tf.sum(tf.tile(x, [3, 6, 6, 1]), [0, 1, 2]), // 6 x 30 x 42 = 7,560 rows: chunked
    ];
    const data = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
    const shapes = outs.map((t) => t.shape);
    tf.dispose([x, ...outs]);
    return { data, shapes };
  };
  await initBackend("cpu", () => {});
  const wantSums = await sums();
  await initBackend("webgpu", () => {});
  const runsBefore = webGpuKernelRuns().Sum ?? 0;
  const gotSums = await sums();
  const sum = {
    errors: wantSums.data.map((w, i) => relativeError(gotSums.data[i]!, w)),
    shapes: gotSums.shapes,
    wantShapes: wantSums.shapes,
    kitRuns: (webGpuKernelRuns().Sum ?? 0) - runsBefore,
  };
  const kitRuns = webGpuKernelRuns();
  await initBackend("cpu", () => {});
  releaseWebGpu();
  console.log(
    JSON.stringify({
      adapter: found.report.description,
      results,
      batchNorm,
      layer,
      relu,
      sum,
      kitRuns,
    }),
  );
}

if (import.meta.main) await main();
