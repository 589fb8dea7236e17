/**
 * ReLU's gradient from its output on tfjs-backend-webgpu in one dispatch instead of two.
 *
 * lib/models/batchnorm.ts differentiates ReLU from its output, `dx = dy · step(y)`: in tfjs ops a
 * Step and a Multiply, each a pass over the activation; the 2-stack hourglass has 96 of them.
 * Here one program computes the product directly, with tfjs's values: step(y) is 1 for y > 0,
 * 0 otherwise, and NaN for a NaN y (so a NaN still reaches the NaN guard).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { WebGpuBackendLike, WebGpuProgram } from "./webgpu_conv_filter.ts";
import { recordWebGpuKernelRun, webGpuFusedEnabled } from "./webgpu_kernels.ts";

/** `dy · step(y)`, element by element. */
class ReluGradProgram implements WebGpuProgram {
  variableNames = ["dy", "y"];
  outputShape: number[];
  shaderKey = "kitReluGradFromOutput";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((p, d) => p * d, 1) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        let out = y[index];
        var step = select(0.0, 1.0, out > 0.0);
        if (isnan(out)) { step = out; }
        setOutputAtIndex(index, dy[index] * step);
      }
    }`;
  }
}

/**
 * `dy · step(y)` in one webgpu dispatch, or undefined (off webgpu, fused programs off, shapes
 * that differ, or not float32) for the caller's tfjs ops.
 *
 * @example
 * ```ts
 * const dx = webGpuReluGradFromOutput(dy, y) ?? tf.mul(dy, tf.step(y));
 * ```
 */
export function webGpuReluGradFromOutput(dy: tf.Tensor, y: tf.Tensor): tf.Tensor | undefined {
  if (tf.getBackend() !== "webgpu" || !webGpuFusedEnabled()) return undefined;
  if (dy.dtype !== "float32" || y.dtype !== "float32") return undefined;
  if (!tf.util.arraysEqual(dy.shape, y.shape)) return undefined;
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  recordWebGpuKernelRun("ReluGradFromOutput");
  return tf.engine().makeTensorFromTensorInfo(
    backend.runWebGPUProgram(new ReluGradProgram(dy.shape), [dy, y], "float32"),
  );
}
