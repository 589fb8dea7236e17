/**
 * BatchNorm's training step on tfjs-backend-webgpu in four fused programs.
 *
 * The closed form of lib/models/batchnorm.ts in tfjs ops is about 11 dispatches forward (two
 * means over batch and pixels, each a transpose and a reduction, and the element-wise chain) and
 * 13 backward; the 2-stack hourglass has a BatchNorm in front of every convolution. Here:
 *
 * - forward: one pass computes the batch mean and the (biased) variance of each channel, two
 *   loops over the channel's values in one workgroup (centred squares, as the tfjs ops do, not
 *   E[x²] - E[x]²); a second applies `y = (x - μ) / sqrt(σ² + ε) · γ + β`;
 * - backward: one pass sums `dy` and `dy · x̂` per channel (x̂ recomputed from x, as batchnorm.ts
 *   does, so only x is kept); a second applies `dx = γ / sqrt(σ² + ε) · (dy - Σdy/n - x̂ Σdy·x̂/n)`.
 *
 * The reductions give each workgroup 32 channels and 8 lanes of rows, then sum the lanes in
 * workgroup memory; the sums are in a different order from tfjs's, so results agree to float
 * rounding (tests/backend/webgpu_fused_test.ts: relative 1e-4 against the cpu backend).
 *
 * Kept whole (~400 lines): the four programs and the moving-average update share the chunk plan
 * and the `[2, C]` statistics layout, and the entry point ties them into one gradient; split,
 * each file would need the others to be read.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { WebGpuBackendLike, WebGpuProgram } from "./webgpu_conv_filter.ts";
import { recordWebGpuKernelRun, webGpuFusedEnabled, webGpuKernelOn } from "./webgpu_kernels.ts";
import { rawBackend, rawBinding, rawDispatch, rawPipeline, rawUniform } from "./webgpu_raw.ts";

/** Channels per workgroup of a reduction, and lanes of rows summed side by side. */
const CHANNELS = 32, LANES = 8;
/**
 * Rows split into chunks, one workgroup row each, when a layer has many: at least this many rows
 * per chunk, and chunks until about {@link TARGET_WORKGROUPS} workgroups (a large GPU's worth);
 * a second small pass combines the chunks.
 */
export const MIN_CHUNK_ROWS = 1024;
const TARGET_WORKGROUPS = 512;

/**
 * How the rows of a channel reduction are cut: chunks and rows per chunk.
 *
 * @example
 * ```ts
 * planChunks(65536, 256); // { chunks: 64, chunkRows: 1024 }: 8 channel tiles x 64 chunks
 * ```
 */
export function planChunks(rows: number, channels: number): { chunks: number; chunkRows: number } {
  const tiles = Math.ceil(channels / CHANNELS);
  const wanted = Math.min(
    Math.ceil(rows / MIN_CHUNK_ROWS),
    Math.max(1, Math.ceil(TARGET_WORKGROUPS / tiles)),
  );
  const chunkRows = Math.max(1, Math.ceil(rows / Math.max(1, wanted)));
  return { chunks: Math.max(1, Math.ceil(rows / chunkRows)), chunkRows };
}

type ReduceMode = "stats" | "grad" | "sum";

/** Values per channel a reduction produces: 1 for a sum, 2 for the statistics or gradient sums. */
const widthOf = (mode: ReduceMode) => mode === "sum" ? 1 : 2;

/**
 * Per-channel sums over the rows of `[rows, C]`, one chunk of rows per workgroup row: the batch
 * statistics (`mode: "stats"`: mean and variance; per chunk, its mean and Σ(x - mean)²), the
 * gradient sums (`mode: "grad"`: Σdy, Σdy·x̂), or the plain sum (`mode: "sum"`; webgpu_sum.ts).
 * Output `[chunks, width, C]` (width 1 for a sum, else 2); with one chunk, the result itself.
 */
class ChannelReduceProgram implements WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  // Not a flat layout (tfjs would pass main() a global index): channel tiles on x, chunks on y.
  dispatchLayout = { x: [2], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [CHANNELS, LANES, 1];
  uniforms = "rows : i32, channels : i32, epsilon : f32, chunkRows : i32,";

  constructor(
    private readonly mode: ReduceMode,
    channels: number,
    private readonly chunks: number,
  ) {
    this.variableNames = mode === "grad" ? ["x", "stats", "dy"] : ["x"];
    this.outputShape = [chunks, widthOf(mode), channels];
    this.dispatch = [Math.ceil(channels / CHANNELS), chunks, 1];
    this.shaderKey = `kitChannelReduce_${mode}_${chunks > 1}`;
  }

  getUserCode(): string {
    // Sums `term` over this thread's lane of the chunk's rows, then over the lanes.
    const laneSum = (name: string, term: string) => `
      var ${name}Part = 0.0;
      for (var r = rowStart + lane; r < rowEnd; r += ${LANES}) {
        let v = x[r * uniforms.channels + c];
        ${term}
      }
      partial[lane * ${CHANNELS} + lc] = ${name}Part;
      workgroupBarrier();
      var ${name} = 0.0;
      for (var l = 0; l < ${LANES}; l++) { ${name} += partial[l * ${CHANNELS} + lc]; }
      workgroupBarrier();`;
    const out = (w: number, value: string) =>
      `result[(chunk * ${widthOf(this.mode)} + ${w}) * uniforms.channels + c] = ${value};`;
    // One chunk: the variance itself; several: Σ(x - chunk mean)², combined by the second pass.
    const second = this.chunks > 1 ? "squares" : "squares / n";
    const body = this.mode === "sum"
      ? `${laneSum("sum", "if (inside) { sumPart += v; }")}
      if (inside && lane == 0) { ${out(0, "sum")} }`
      : this.mode === "stats"
      ? `${laneSum("sum", "if (inside) { sumPart += v; }")}
      let n = f32(rowEnd - rowStart);
      let mean = sum / n;
      ${laneSum("squares", "if (inside) { let d = v - mean; squaresPart += d * d; }")}
      if (inside && lane == 0) { ${out(0, "mean")} ${out(1, second)} }`
      : `
      var mean = 0.0;
      var invStd = 0.0;
      if (inside) {
        mean = stats[c];
        invStd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
      }
      ${laneSum("dySum", "if (inside) { dySumPart += dy[r * uniforms.channels + c]; }")}
      ${
        laneSum(
          "dyXHatSum",
          "if (inside) { dyXHatSumPart += dy[r * uniforms.channels + c] * ((v - mean) * invStd); }",
        )
      }
      if (inside && lane == 0) { ${out(0, "dySum")} ${out(1, "dyXHatSum")} }`;
    return `
    var<workgroup> partial : array<f32, ${CHANNELS * LANES}>;
    fn main() {
      let lc = i32(localId.x);
      let lane = i32(localId.y);
      let c0 = i32(workgroupId.x) * ${CHANNELS};
      let chunk = i32(workgroupId.y);
      let rowStart = chunk * uniforms.chunkRows;
      let rowEnd = min(rowStart + uniforms.chunkRows, uniforms.rows);
      let inside = c0 + lc < uniforms.channels;
      let c = min(c0 + lc, uniforms.channels - 1);
      ${body}
    }`;
  }
}

/**
 * The second pass over `[chunks, width, C]` chunk results: sums (`sum`, `grad`), or the batch mean
 * and variance from the chunks' means and centred sums of squares (`stats`, Chan et al.'s
 * pairwise update: M2 = Σ M2ₖ + Σ nₖ (meanₖ - mean)²).
 */
class ChunkCombineProgram implements WebGpuProgram {
  variableNames = ["chunked"];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = "rows : i32, channels : i32, chunkRows : i32, chunks : i32,";

  constructor(private readonly mode: ReduceMode, channels: number) {
    this.outputShape = [widthOf(mode), channels];
    this.dispatchLayout = { x: [0, 1] };
    this.dispatch = [Math.ceil(widthOf(mode) * channels / 64), 1, 1];
    this.shaderKey = `kitChunkCombine_${mode}`;
  }

  getUserCode(): string {
    const width = widthOf(this.mode);
    const at = (k: string, w: string) =>
      `chunked[(${k} * ${width} + ${w}) * uniforms.channels + c]`;
    const value = this.mode !== "stats"
      ? `var total = 0.0;
        for (var k = 0; k < uniforms.chunks; k++) { total += ${at("k", "w")}; }
        setOutputAtIndex(index, total);`
      : `var mean = 0.0;
        for (var k = 0; k < uniforms.chunks; k++) {
          let nk = f32(min(uniforms.chunkRows, uniforms.rows - k * uniforms.chunkRows));
          mean += nk * ${at("k", "0")};
        }
        mean = mean / f32(uniforms.rows);
        if (w == 0) {
          setOutputAtIndex(index, mean);
        } else {
          var m2 = 0.0;
          for (var k = 0; k < uniforms.chunks; k++) {
            let nk = f32(min(uniforms.chunkRows, uniforms.rows - k * uniforms.chunkRows));
            let d = ${at("k", "0")} - mean;
            m2 += ${at("k", "1")} + nk * d * d;
          }
          setOutputAtIndex(index, m2 / f32(uniforms.rows));
        }`;
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let w = index / uniforms.channels;
        let c = index - w * uniforms.channels;
        ${value}
      }
    }`;
  }
}

/**
 * Runs a channel reduction over `[rows, C]` (`inputs[0]`, plus the statistics and dy for
 * `grad`): one pass, or a pass per chunk of rows and a combining pass. Returns `[C]` for `sum`,
 * else `[2, C]`.
 *
 * @example
 * ```ts
 * const stats = channelReduce(backend, "stats", [x], rows, channels, 1e-3); // [2, C]
 * ```
 */
export function channelReduce(
  backend: WebGpuBackendLike,
  mode: ReduceMode,
  inputs: tf.TensorInfo[],
  rows: number,
  channels: number,
  epsilon = 0,
): tf.TensorInfo {
  const { chunks, chunkRows } = planChunks(rows, channels);
  const reduced = firstPass(backend, mode, inputs, rows, channels, epsilon);
  const shape = mode === "sum" ? [channels] : [2, channels];
  if (chunks === 1) return { dataId: reduced.dataId, shape, dtype: "float32" };
  const combined = backend.runWebGPUProgram(
    new ChunkCombineProgram(mode, channels),
    [reduced],
    "float32",
    [rows, channels, chunkRows, chunks].map((v) => ({ type: "int32" as const, data: [v] })),
  );
  backend.disposeData(reduced.dataId);
  return { dataId: combined.dataId, shape, dtype: "float32" };
}

/** The per-chunk pass of {@link channelReduce}: `[chunks, width, C]`. */
function firstPass(
  backend: WebGpuBackendLike,
  mode: ReduceMode,
  inputs: tf.TensorInfo[],
  rows: number,
  channels: number,
  epsilon: number,
): tf.TensorInfo {
  const { chunks, chunkRows } = planChunks(rows, channels);
  return backend.runWebGPUProgram(
    new ChannelReduceProgram(mode, channels, chunks),
    inputs,
    "float32",
    [
      { type: "int32", data: [rows] },
      { type: "int32", data: [channels] },
      { type: "float32", data: [epsilon] },
      { type: "int32", data: [chunkRows] },
    ],
  );
}

/** Element-wise: `y` from x (`mode: "forward"`), or `dx` from dy (`mode: "backward"`). */
class ChannelApplyProgram implements WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = "channels : i32, epsilon : f32, rows : f32,";

  constructor(private readonly mode: "forward" | "backward", shape: number[]) {
    this.variableNames = mode === "forward"
      ? ["x", "stats", "gamma", "beta"]
      : ["x", "stats", "gamma", "dy", "dBeta", "dGamma"];
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((p, d) => p * d, 1) / 64), 1, 1];
    this.shaderKey = `kitBatchNormApply_${mode}`;
  }

  getUserCode(): string {
    // tfjs's order: x̂ = (x - μ) · invStd; y = x̂ · γ + β;
    // dx = ((dy - Σdy/n) - x̂ · Σdy·x̂/n) · (γ · invStd).
    const value = this.mode === "forward"
      ? `xHat * gamma[c] + beta[c]`
      : `((dy[index] - dBeta[c] / uniforms.rows) - xHat * (dGamma[c] / uniforms.rows)) *
          (gamma[c] * invStd)`;
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let c = index % uniforms.channels;
        let invStd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
        let xHat = (x[index] - stats[c]) * invStd;
        setOutputAtIndex(index, ${value});
      }
    }`;
  }
}

/** A moving average's update from row `row` of the statistics: `m - (m - batch) · decay`. */
class MovingAverageProgram implements WebGpuProgram {
  variableNames = ["moving", "stats"];
  outputShape: number[];
  shaderKey = "kitBatchNormMovingAverage";
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = "offset : i32, decay : f32,";

  constructor(channels: number) {
    this.outputShape = [channels];
    this.dispatch = [Math.ceil(channels / 64), 1, 1];
  }

  getUserCode(): string {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let m = moving[index];
        setOutputAtIndex(index, m - (m - stats[uniforms.offset + index]) * uniforms.decay);
      }
    }`;
  }
}

/** A BatchNorm layer's moving statistics, updated in place of returning the batch's. */
export interface MovingStatistics {
  readonly movingMean: { read(): tf.Tensor; write(t: tf.Tensor): unknown };
  readonly movingVariance: { read(): tf.Tensor; write(t: tf.Tensor): unknown };
  /** `1 - momentum`. */
  readonly decay: number;
}

/** A training-mode BatchNorm's output and the batch statistics it used (kept: dispose them). */
export interface WebGpuBatchNorm {
  readonly y: tf.Tensor;
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/**
 * BatchNorm in training mode on webgpu, channels last, with its closed-form gradient for x, γ
 * and β: what lib/models/batchnorm.ts's `batchNormTraining` computes, in four dispatches (two
 * forward, two backward) plus slices of the statistics. With `moving`, it updates the layer's
 * moving mean and variance itself as tfjs-layers does (`m -= (m - batch) · decay`, one dispatch
 * each) and returns only y. Returns undefined when the backend is not webgpu, the kit's fused
 * webgpu programs are off, or a tensor is not float32.
 *
 * @example
 * ```ts
 * const { y, mean, variance } = webGpuBatchNormTraining(x, gamma, beta, 1e-3) ??
 *   batchNormTraining(x, gamma, beta, 1e-3);
 * ```
 */
export function webGpuBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): WebGpuBatchNorm | undefined;
export function webGpuBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  moving: MovingStatistics,
): { y: tf.Tensor } | undefined;
export function webGpuBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  moving?: MovingStatistics,
): WebGpuBatchNorm | { y: tf.Tensor } | undefined {
  if (tf.getBackend() !== "webgpu" || !webGpuFusedEnabled() || x.rank < 2) return undefined;
  if ([x, gamma, beta].some((t) => t.dtype !== "float32")) return undefined;
  const channels = x.shape[x.rank - 1]!;
  const rows = x.size / channels;
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  const engine = tf.engine();
  const apply = (program: ChannelApplyProgram, inputs: tf.Tensor[]) =>
    engine.makeTensorFromTensorInfo(
      backend.runWebGPUProgram(program, inputs, "float32", [
        { type: "int32", data: [channels] },
        { type: "float32", data: [epsilon] },
        { type: "float32", data: [rows] },
      ]),
    );
  const reduce = (mode: "stats" | "grad", inputs: tf.Tensor[]) =>
    engine.makeTensorFromTensorInfo(
      channelReduce(backend, mode, inputs, rows, channels, epsilon),
    );
  let stats: tf.Tensor2D | undefined;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    stats = tf.keep(
      reduce("stats", [x]) as tf.Tensor2D,
    );
    save([x, stats, gamma]);
    recordWebGpuKernelRun("BatchNormForward");
    return {
      value: apply(new ChannelApplyProgram("forward", x.shape), [x, stats, gamma, beta]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, stats, gamma] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor1D];
        recordWebGpuKernelRun("BatchNormBackward");
        const [dBeta, dGamma] = gradientSums(x, stats, dy, rows, channels, epsilon) ??
          unstackSums(reduce("grad", [x, stats, dy]));
        const dx = apply(
          new ChannelApplyProgram("backward", x.shape),
          [x, stats, gamma, dy, dBeta, dGamma],
        );
        return [dx, dGamma, dBeta];
      },
    };
  });
  const y = normalize(x, gamma, beta);
  if (moving) {
    // One dispatch per moving statistic, straight from the [2, C] statistics (no slices).
    for (const [i, v] of [moving.movingMean, moving.movingVariance].entries()) {
      const old = v.read();
      v.write(engine.makeTensorFromTensorInfo(
        backend.runWebGPUProgram(new MovingAverageProgram(channels), [old, stats!], "float32", [
          { type: "int32", data: [i * channels] },
          { type: "float32", data: [moving.decay] },
        ]),
      ));
    }
    stats!.dispose();
    return { y };
  }
  const [mean, variance] = tf.unstack(stats!) as [tf.Tensor1D, tf.Tensor1D];
  stats!.dispose();
  return { y, mean: tf.keep(mean), variance: tf.keep(variance) };
}

/** `[2, C]` gradient sums as dβ and dγ (two slices: tfjs's Unpack), when raw dispatches can't run. */
function unstackSums(sums: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  const [dBeta, dGamma] = tf.unstack(sums) as [tf.Tensor1D, tf.Tensor1D];
  sums.dispose();
  return [dBeta, dGamma];
}

/** The name the two-output gradient sums are counted and switched off under (benchmarks). */
export const GRAD_SUMS_NAME = "BatchNormGradSums";

/** The bindings both gradient-sum programs start with: dβ and dγ, written. */
const GRAD_OUTPUTS = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> dBeta: array<f32>;
@group(0) @binding(1) var<storage, read_write> dGamma: array<f32>;`;

/**
 * ChannelReduceProgram's `grad` mode with one chunk, writing Σdy to dβ and Σdy·x̂ to dγ: the same
 * sums in the same order, two outputs.
 */
const GRAD_SUMS = /* wgsl */ `${GRAD_OUTPUTS}
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
struct Params { rows: i32, channels: i32, epsilon: f32 };
@group(0) @binding(5) var<uniform> p: Params;
var<workgroup> partial: array<f32, ${CHANNELS * LANES}>;

@compute @workgroup_size(${CHANNELS}, ${LANES}, 1)
fn main(@builtin(local_invocation_id) localId: vec3<u32>,
        @builtin(workgroup_id) workgroupId: vec3<u32>) {
  let lc = i32(localId.x);
  let lane = i32(localId.y);
  let c0 = i32(workgroupId.x) * ${CHANNELS};
  let inside = c0 + lc < p.channels;
  let c = min(c0 + lc, p.channels - 1);
  var mean = 0.0;
  var invStd = 0.0;
  if (inside) {
    mean = stats[c];
    invStd = inverseSqrt(stats[p.channels + c] + p.epsilon);
  }
  var dySumPart = 0.0;
  for (var r = lane; r < p.rows; r += ${LANES}) {
    if (inside) { dySumPart += dy[r * p.channels + c]; }
  }
  partial[lane * ${CHANNELS} + lc] = dySumPart;
  workgroupBarrier();
  var dySum = 0.0;
  for (var l = 0; l < ${LANES}; l++) { dySum += partial[l * ${CHANNELS} + lc]; }
  workgroupBarrier();
  var dyXHatSumPart = 0.0;
  for (var r = lane; r < p.rows; r += ${LANES}) {
    let v = x[r * p.channels + c];
    if (inside) { dyXHatSumPart += dy[r * p.channels + c] * ((v - mean) * invStd); }
  }
  partial[lane * ${CHANNELS} + lc] = dyXHatSumPart;
  workgroupBarrier();
  var dyXHatSum = 0.0;
  for (var l = 0; l < ${LANES}; l++) { dyXHatSum += partial[l * ${CHANNELS} + lc]; }
  if (inside && lane == 0) {
    dBeta[c] = dySum;
    dGamma[c] = dyXHatSum;
  }
}`;

/** ChunkCombineProgram's `grad` mode: the chunks' `[chunks, 2, C]` sums into dβ and dγ. */
const GRAD_COMBINE = /* wgsl */ `${GRAD_OUTPUTS}
@group(0) @binding(2) var<storage, read> chunked: array<f32>;
struct Params { channels: i32, chunks: i32 };
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let c = i32(id.x);
  if (c >= p.channels) { return; }
  var dySum = 0.0;
  var dyXHatSum = 0.0;
  for (var k = 0; k < p.chunks; k++) {
    dySum += chunked[(k * 2) * p.channels + c];
    dyXHatSum += chunked[(k * 2 + 1) * p.channels + c];
  }
  dBeta[c] = dySum;
  dGamma[c] = dyXHatSum;
}`;

/**
 * dβ = Σdy and dγ = Σdy·x̂ per channel as two tensors straight from the reduction (no `[2, C]`
 * tensor to slice): one dispatch, or with chunks the chunk pass and a combining dispatch.
 * Undefined when raw dispatches can't run now (the profiler is timing programs) or a benchmark
 * switched them off.
 */
function gradientSums(
  x: tf.Tensor,
  stats: tf.Tensor,
  dy: tf.Tensor,
  rows: number,
  channels: number,
  epsilon: number,
): [tf.Tensor1D, tf.Tensor1D] | undefined {
  const backend = rawBackend();
  if (!backend || !webGpuKernelOn(GRAD_SUMS_NAME)) return undefined;
  const { chunks } = planChunks(rows, channels);
  const outs = [0, 1].map(() => backend.makeTensorInfo([channels], "float32"));
  const outBindings = outs.map((o) => rawBinding(backend, o));
  const ints = (...v: number[]) => new Int32Array(v).buffer;
  if (chunks === 1) {
    const params = new ArrayBuffer(12);
    new Int32Array(params, 0, 2).set([rows, channels]);
    new Float32Array(params, 8, 1)[0] = epsilon;
    rawDispatch(backend, rawPipeline(backend, "kitBatchNormGradSums", GRAD_SUMS), [
      ...outBindings,
      ...[x, stats, dy].map((t) => rawBinding(backend, t)),
      { buffer: rawUniform(backend, params) },
    ], [Math.ceil(channels / CHANNELS)]);
  } else {
    const webgpu = backend as unknown as WebGpuBackendLike;
    const chunked = firstPass(webgpu, "grad", [x, stats, dy], rows, channels, epsilon);
    rawDispatch(backend, rawPipeline(backend, "kitBatchNormGradCombine", GRAD_COMBINE), [
      ...outBindings,
      rawBinding(backend, chunked),
      { buffer: rawUniform(backend, ints(channels, chunks)) },
    ], [Math.ceil(channels / 64)]);
    webgpu.disposeData(chunked.dataId);
  }
  recordWebGpuKernelRun(GRAD_SUMS_NAME, 1);
  const engine = tf.engine();
  return outs.map((o) => engine.makeTensorFromTensorInfo(o)) as [tf.Tensor1D, tf.Tensor1D];
}
