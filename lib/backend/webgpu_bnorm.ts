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
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { WebGpuBackendLike, WebGpuProgram } from "./webgpu_conv_filter.ts";
import { recordWebGpuKernelRun, webGpuFusedEnabled } from "./webgpu_kernels.ts";

/** Channels per workgroup of a reduction, and lanes of rows summed side by side. */
const CHANNELS = 32, LANES = 8;

/**
 * Per-channel sums over the rows of `[rows, C]`: the batch statistics (`mode: "stats"`, output
 * `[2, C]`: mean, variance), the gradient sums (`mode: "grad"`, output `[2, C]`: Σdy, Σdy·x̂),
 * or the plain sum (`mode: "sum"`, output `[C]`; webgpu_sum.ts).
 */
export class ChannelReduceProgram implements WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  // Not a flat layout (tfjs would pass main() a global index): channel tiles on x, nothing else.
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [CHANNELS, LANES, 1];
  uniforms = "rows : i32, channels : i32, epsilon : f32,";

  constructor(private readonly mode: "stats" | "grad" | "sum", channels: number) {
    this.variableNames = mode === "grad" ? ["x", "stats", "dy"] : ["x"];
    this.outputShape = mode === "sum" ? [channels] : [2, channels];
    this.dispatch = [Math.ceil(channels / CHANNELS), 1, 1];
    this.shaderKey = `kitBatchNormReduce_${mode}`;
  }

  getUserCode(): string {
    // Sums `term(r)` over the rows of this thread's lane, then over the lanes (into `total`).
    const laneSum = (name: string, term: string) => `
      var ${name}Part = 0.0;
      for (var r = lane; r < uniforms.rows; r += ${LANES}) {
        let v = x[r * uniforms.channels + c];
        ${term}
      }
      partial[lane * ${CHANNELS} + lc] = ${name}Part;
      workgroupBarrier();
      var ${name} = 0.0;
      for (var l = 0; l < ${LANES}; l++) { ${name} += partial[l * ${CHANNELS} + lc]; }
      workgroupBarrier();`;
    const sum = `${laneSum("sum", "if (inside) { sumPart += v; }")}
      if (inside && lane == 0) { result[c] = sum; }`;
    const body = this.mode === "sum"
      ? sum
      : this.mode === "stats"
      ? `${laneSum("sum", "if (inside) { sumPart += v; }")}
      let mean = sum / f32(uniforms.rows);
      ${laneSum("squares", "if (inside) { let d = v - mean; squaresPart += d * d; }")}
      if (inside && lane == 0) {
        result[c] = mean;
        result[uniforms.channels + c] = squares / f32(uniforms.rows);
      }`
      : `
      var mean = 0.0;
      var invStd = 0.0;
      if (inside) {
        mean = stats[c];
        invStd = inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon);
      }
      ${
        laneSum(
          "dySum",
          "if (inside) { dySumPart += dy[r * uniforms.channels + c]; }",
        )
      }
      ${
        laneSum(
          "dyXHatSum",
          "if (inside) { dyXHatSumPart += dy[r * uniforms.channels + c] * ((v - mean) * invStd); }",
        )
      }
      if (inside && lane == 0) {
        result[c] = dySum;
        result[uniforms.channels + c] = dyXHatSum;
      }`;
    return `
    var<workgroup> partial : array<f32, ${CHANNELS * LANES}>;
    fn main() {
      let lc = i32(localId.x);
      let lane = i32(localId.y);
      let c0 = i32(workgroupId.x) * ${CHANNELS};
      let inside = c0 + lc < uniforms.channels;
      let c = min(c0 + lc, uniforms.channels - 1);
      ${body}
    }`;
  }
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
      : ["x", "stats", "gamma", "dy", "sums"];
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
      : `((dy[index] - sums[c] / uniforms.rows) - xHat * (sums[uniforms.channels + c] / uniforms.rows)) *
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
  const reduce = (program: ChannelReduceProgram, inputs: tf.Tensor[]) =>
    engine.makeTensorFromTensorInfo(
      backend.runWebGPUProgram(program, inputs, "float32", [
        { type: "int32", data: [rows] },
        { type: "int32", data: [channels] },
        { type: "float32", data: [epsilon] },
      ]),
    );
  let stats: tf.Tensor2D | undefined;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    stats = tf.keep(
      reduce(new ChannelReduceProgram("stats", channels), [x]) as tf.Tensor2D,
    );
    save([x, stats, gamma]);
    recordWebGpuKernelRun("BatchNormForward");
    return {
      value: apply(new ChannelApplyProgram("forward", x.shape), [x, stats, gamma, beta]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, stats, gamma] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor1D];
        recordWebGpuKernelRun("BatchNormBackward");
        const sums = reduce(new ChannelReduceProgram("grad", channels), [x, stats, dy]);
        const dx = apply(new ChannelApplyProgram("backward", x.shape), [x, stats, gamma, dy, sums]);
        const [dBeta, dGamma] = tf.unstack(sums);
        sums.dispose();
        return [dx, dGamma!, dBeta!];
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
