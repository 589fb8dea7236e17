/**
 * Sum over every axis but the last (channels last) on tfjs-backend-webgpu in one dispatch.
 *
 * A convolution's bias gradient is `Σ dy` over batch and pixels; tfjs-backend-webgpu 4.22 first
 * transposes dy so that the reduced axes are innermost, then reduces: two dispatches and a copy
 * of dy, for every convolution of a step (106 Sums, 210 dispatches in the 2x64 hourglass). Here
 * one workgroup reduction per 32 channels reads dy as it is (webgpu_bnorm.ts's
 * channelReduce). Other Sums stay with tfjs's kernel.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { channelReduce } from "./webgpu_bnorm.ts";
import type { WebGpuBackendLike } from "./webgpu_conv_filter.ts";
import { webGpuFusedEnabled } from "./webgpu_kernels.ts";

/**
 * The Sum kernel on webgpu for float32 inputs reduced over all axes but the last; undefined
 * for everything else (the caller then runs tfjs's kernel).
 *
 * @example
 * ```ts
 * const out = webGpuChannelSum({ inputs: { x }, backend, attrs: { axis: [0, 1, 2] } }, original);
 * ```
 */
export function webGpuChannelSum(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo | undefined {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = (args.attrs ?? {}) as { axis?: number | number[]; keepDims?: boolean };
  if (!webGpuFusedEnabled() || x.dtype !== "float32" || x.shape.length < 2) return undefined;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis ?? [], x.shape).sort((a, b) => a - b);
  if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return undefined;
  const channels = x.shape[rank - 1]!;
  const rows = tf.util.sizeFromShape(x.shape) / channels;
  if (rows === 0 || channels === 0) return undefined;
  const backend = args.backend as WebGpuBackendLike;
  const out = channelReduce(backend, "sum", [x], rows, channels);
  if (!keepDims) return out;
  // The same buffer under the kept shape [1, ..., 1, C].
  return { dataId: out.dataId, shape: [...axes.map(() => 1), channels], dtype: "float32" };
}
