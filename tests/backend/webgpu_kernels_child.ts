/**
 * The checks of webgpu_kernels_test.ts, run in a process of their own (a process that loaded
 * libEGL for llvmpipe may abort at exit; see lib/backend/webgpu.ts). Computes the kit's webgpu
 * Conv2DBackpropFilter and Conv2DBackpropInput, its Conv2D / FusedConv2D (1x1 as one MatMul),
 * and the cpu backend's on the same random inputs, and prints one JSON line with the worst
 * relative error of each case.
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
  /** Default 'same'; the stem pads explicitly and convolves with 'valid'. */
  readonly pad?: "same" | "valid";
}

/**
 * Strides 1 and 2; 1x1, 3x3 and 7x7; 'same' and 'valid'; vec4 and scalar channel counts; one
 * and many slices.
 */
export const FILTER_CASES: readonly FilterCase[] = [
  // 4 tiles of 32 x 32 in dx: the input gradient stays on tfjs's naive program
  // (webgpu_conv_input.ts); the other cases with >= 4 input channels have > 8 tiles.
  { name: "1x1 stride 1, small", x: [2, 8, 8, 16], filter: [1, 1, 16, 32], stride: 1 },
  { name: "3x3 stride 1, small", x: [2, 8, 8, 16], filter: [3, 3, 16, 8], stride: 1 },
  { name: "1x1 stride 1", x: [2, 16, 16, 16], filter: [1, 1, 16, 32], stride: 1 },
  { name: "3x3 stride 1", x: [2, 12, 12, 16], filter: [3, 3, 16, 8], stride: 1 },
  { name: "3x3 stride 2", x: [2, 17, 17, 8], filter: [3, 3, 8, 12], stride: 2 },
  { name: "7x7 stride 2 on RGB (the stem)", x: [2, 16, 16, 3], filter: [7, 7, 3, 8], stride: 2 },
  {
    name: "7x7 stride 2 'valid' on padded RGB",
    x: [2, 22, 22, 3],
    filter: [7, 7, 3, 8],
    stride: 2,
    pad: "valid",
  },
  { name: "3x3 stride 1, 5 output channels", x: [2, 13, 13, 4], filter: [3, 3, 4, 5], stride: 1 },
  { name: "3x3 stride 1, split into slices", x: [3, 31, 31, 4], filter: [3, 3, 4, 8], stride: 1 },
  { name: "1x1 stride 1, split, 72 x 68", x: [4, 24, 24, 72], filter: [1, 1, 72, 68], stride: 1 },
];

/** One forward case: a 1x1 stride-1 case runs as one MatMul, the others fall back to tfjs. */
export interface ForwardCase extends FilterCase {
  readonly bias: boolean;
  readonly activation: "linear" | "relu";
  /** Whether the kit runs it as a MatMul (1x1, stride 1, no padding). */
  readonly asMatMul: boolean;
}

/**
 * Conv2D (no bias, linear) and FusedConv2D: 1x1 stride 1 with and without bias and ReLU, 'same'
 * and 'valid', vec4 and scalar channel counts, a tiny output (tfjs's few-workgroup programs);
 * stride 2 and 3x3 fall back to tfjs's kernel.
 */
export const FORWARD_CASES: readonly ForwardCase[] = [
  {
    name: "1x1 stride 1, bias, relu",
    x: [2, 8, 8, 16],
    filter: [1, 1, 16, 32],
    stride: 1,
    bias: true,
    activation: "relu",
    asMatMul: true,
  },
  {
    name: "1x1 stride 1, no bias, linear (Conv2D), 'valid'",
    x: [2, 9, 7, 8],
    filter: [1, 1, 8, 12],
    stride: 1,
    pad: "valid",
    bias: false,
    activation: "linear",
    asMatMul: true,
  },
  {
    name: "1x1 stride 1, bias, linear, 6 -> 5 channels",
    x: [3, 5, 5, 6],
    filter: [1, 1, 6, 5],
    stride: 1,
    bias: true,
    activation: "linear",
    asMatMul: true,
  },
  {
    name: "1x1 stride 1 on 2x2 pixels (a few-workgroup output), relu, no bias",
    x: [2, 2, 2, 64],
    filter: [1, 1, 64, 64],
    stride: 1,
    bias: false,
    activation: "relu",
    asMatMul: true,
  },
  {
    name: "1x1 stride 2 (falls back)",
    x: [2, 8, 8, 16],
    filter: [1, 1, 16, 8],
    stride: 2,
    bias: true,
    activation: "relu",
    asMatMul: false,
  },
  {
    name: "3x3 stride 1 on 4x4 pixels (falls back, implicit GEMM), bias, relu",
    x: [2, 4, 4, 32],
    filter: [3, 3, 32, 32],
    stride: 1,
    bias: true,
    activation: "relu",
    asMatMul: false,
  },
  {
    name: "3x3 stride 1 on 2x2 pixels (falls back, im2col), bias, linear",
    x: [2, 2, 2, 32],
    filter: [3, 3, 32, 32],
    stride: 1,
    bias: true,
    activation: "linear",
    asMatMul: false,
  },
];

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** The filter gradient (dW) and the input gradient (dx) of one case on the current backend. */
async function grads(c: FilterCase, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const dyShape = outShape(c);
  const xt = tf.tensor4d(x, c.x);
  const wt = tf.tensor4d(w, c.filter);
  const dyt = tf.tensor(dy, dyShape);
  const common = { strides: [c.stride, c.stride], pad: c.pad ?? "same", dataFormat: "NHWC" };
  const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt, dy: dyt }, {
    ...common,
    filterShape: c.filter,
  }) as tf.Tensor;
  const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyt, filter: wt }, {
    ...common,
    inputShape: c.x,
  }) as tf.Tensor;
  const out = {
    dw: { values: await dw.data() as Float32Array, shape: dw.shape },
    dx: { values: await dx.data() as Float32Array, shape: dx.shape },
  };
  tf.dispose([xt, wt, dyt, dw, dx]);
  return out;
}

/** The forward convolution of one case on the current backend. */
async function forward(c: ForwardCase, x: Float32Array, w: Float32Array, b: Float32Array) {
  const xt = tf.tensor4d(x, c.x);
  const wt = tf.tensor4d(w, c.filter);
  const bt = c.bias ? tf.tensor1d(b) : undefined;
  const pad = c.pad ?? "same";
  // Without bias and activation: the Conv2D kernel; otherwise FusedConv2D.
  const y = !c.bias && c.activation === "linear"
    ? tf.conv2d(xt, wt, c.stride, pad)
    : tf.fused.conv2d({
      x: xt,
      filter: wt,
      strides: c.stride,
      pad,
      bias: bt,
      activation: c.activation,
    });
  const out = { values: await y.data() as Float32Array, shape: y.shape };
  tf.dispose([xt, wt, y, ...(bt ? [bt] : [])]);
  return out;
}

function outShape(c: FilterCase): [number, number, number, number] {
  const lost = c.pad === "valid" ? [c.filter[0] - 1, c.filter[1] - 1] : [0, 0];
  const side = (n: number, l: number) => Math.ceil((n - l) / c.stride);
  return [c.x[0], side(c.x[1], lost[0]!), side(c.x[2], lost[1]!), c.filter[3]];
}

/** max |got - ref| / max |ref|. */
function relError(got: Float32Array, ref: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let j = 0; j < ref.length; j++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[j]! - ref[j]!));
    maxRef = Math.max(maxRef, Math.abs(ref[j]!));
  }
  return maxDiff / maxRef;
}

// Only as a script: webgpu_kernels_test.ts imports FILTER_CASES from here, and the test runner
// must not load libEGL itself.
async function main(): Promise<void> {
  const found = await probeAdapter({ gl: true });
  if (!found) {
    console.log(JSON.stringify({ adapter: null }));
    Deno.exit(0);
  }
  const results = [];
  for (const [i, c] of FILTER_CASES.entries()) {
    const dyShape = outShape(c);
    const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
    const x = randomArray(size(c.x), 3 * i + 1);
    const w = randomArray(size(c.filter), 3 * i + 2);
    const dy = randomArray(size(dyShape), 3 * i + 3);
    await initBackend("cpu", () => {});
    const ref = await grads(c, x, w, dy);
    await initBackend("webgpu", () => {});
    const got = await grads(c, x, w, dy);
    const m = dyShape[0] * dyShape[1] * dyShape[2];
    results.push({
      name: c.name,
      dwShape: got.dw.shape,
      dxShape: got.dx.shape,
      slices: planSplit(m, c.filter[0] * c.filter[1] * c.filter[2], c.filter[3]).slices,
      dwError: relError(got.dw.values, ref.dw.values),
      dxError: relError(got.dx.values, ref.dx.values),
    });
  }
  const forwardResults = [];
  for (const [i, c] of FORWARD_CASES.entries()) {
    const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
    const x = randomArray(size(c.x), 100 + 3 * i);
    const w = randomArray(size(c.filter), 101 + 3 * i);
    const b = randomArray(c.filter[3], 102 + 3 * i);
    await initBackend("cpu", () => {});
    const ref = await forward(c, x, w, b);
    await initBackend("webgpu", () => {});
    const got = await forward(c, x, w, b);
    forwardResults.push({
      name: c.name,
      shape: got.shape,
      refShape: ref.shape,
      error: relError(got.values, ref.values),
    });
  }
  await initBackend("cpu", () => {});
  releaseWebGpu();
  const kitRuns = webGpuKernelRuns();
  console.log(
    JSON.stringify({ adapter: found.report.description, kitRuns, results, forwardResults }),
  );
}

if (import.meta.main) await main();
