/**
 * The checks of webgpu_kernels_test.ts, run in a process of their own (a process that loaded
 * libEGL for llvmpipe may abort at exit; see lib/backend/webgpu.ts). Computes the kit's webgpu
 * Conv2DBackpropFilter and the cpu backend's on the same random inputs and prints one JSON line
 * with the worst relative error of each case.
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
import { planSplit } from "../../lib/backend/webgpu_conv_filter.ts";
import { Random } from "../../lib/random/mod.ts";

/** One filter-gradient case: input NHWC, filter [h, w, in, out], stride; 'same' padding. */
export interface FilterCase {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly stride: number;
}

/** Strides 1 and 2; 1x1, 3x3 and 7x7; vec4 and scalar channel counts; one and many slices. */
export const FILTER_CASES: readonly FilterCase[] = [
  { name: "1x1 stride 1", x: [2, 8, 8, 16], filter: [1, 1, 16, 32], stride: 1 },
  { name: "3x3 stride 1", x: [2, 8, 8, 16], filter: [3, 3, 16, 8], stride: 1 },
  { name: "3x3 stride 2", x: [2, 9, 9, 8], filter: [3, 3, 8, 12], stride: 2 },
  { name: "7x7 stride 2 on RGB (the stem)", x: [2, 16, 16, 3], filter: [7, 7, 3, 8], stride: 2 },
  { name: "3x3 stride 1, 5 output channels", x: [2, 7, 7, 4], filter: [3, 3, 4, 5], stride: 1 },
  { name: "3x3 stride 1, split into slices", x: [3, 31, 31, 4], filter: [3, 3, 4, 8], stride: 1 },
  { name: "1x1 stride 1, split, 72 x 68", x: [4, 24, 24, 72], filter: [1, 1, 72, 68], stride: 1 },
];

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

async function filterGrad(c: FilterCase, x: Float32Array, dy: Float32Array, dyShape: number[]) {
  const xt = tf.tensor4d(x, c.x);
  const dyt = tf.tensor(dy, dyShape);
  const out = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt, dy: dyt }, {
    strides: [c.stride, c.stride],
    pad: "same",
    dataFormat: "NHWC",
    filterShape: c.filter,
  }) as tf.Tensor;
  const values = await out.data() as Float32Array;
  tf.dispose([xt, dyt, out]);
  return { values, shape: out.shape };
}

const found = await probeAdapter({ gl: true });
if (!found) {
  console.log(JSON.stringify({ adapter: null }));
  Deno.exit(0);
}
const results = [];
for (const [i, c] of FILTER_CASES.entries()) {
  const outH = Math.ceil(c.x[1] / c.stride);
  const outW = Math.ceil(c.x[2] / c.stride);
  const dyShape = [c.x[0], outH, outW, c.filter[3]];
  const x = randomArray(c.x.reduce((p, d) => p * d), 2 * i + 1);
  const dy = randomArray(dyShape.reduce((p, d) => p * d), 2 * i + 2);
  await initBackend("cpu", () => {});
  const ref = await filterGrad(c, x, dy, dyShape);
  await initBackend("webgpu", () => {});
  const got = await filterGrad(c, x, dy, dyShape);
  let maxDiff = 0;
  let maxRef = 0;
  for (let j = 0; j < ref.values.length; j++) {
    maxDiff = Math.max(maxDiff, Math.abs(got.values[j]! - ref.values[j]!));
    maxRef = Math.max(maxRef, Math.abs(ref.values[j]!));
  }
  const m = dyShape[0]! * outH * outW;
  results.push({
    name: c.name,
    shape: got.shape,
    slices: planSplit(m, c.filter[0] * c.filter[1] * c.filter[2], c.filter[3]).slices,
    relError: maxDiff / maxRef,
  });
}
await initBackend("cpu", () => {});
releaseWebGpu();
const kitRuns = webGpuKernelRuns()[tf.Conv2DBackpropFilter] ?? 0;
console.log(JSON.stringify({ adapter: found.report.description, kitRuns, results }));
