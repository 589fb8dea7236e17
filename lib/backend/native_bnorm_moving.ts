/**
 * BatchNorm's moving-average update as one kernel on the wasm backend instead of six tfjs calls.
 *
 * tfjs-layers (and lib/models/batchnorm.ts) update each moving statistic with three ops,
 * `old - (old - batch) · decay`: a Sub, a Mul and a Sub for the mean and again for the variance.
 * They work on vectors of one value per channel, so each call is nearly all JavaScript dispatch,
 * and inside a gradient scope the tape also clones both inputs of each op for a backward pass
 * that never comes (two Identity calls per op). With 96 BatchNorm layers in the 2x64 hourglass
 * that was 1,728 of a training step's 6,860 kernel calls (bench/RESULTS.md). Here both
 * statistics are updated in one `KitBatchNormMovingAverages` call, in float32 op by op in tfjs's
 * order (the decay rounded to float32 as tfjs makes it a float32 scalar, each difference and
 * product rounded), so the moving statistics are bit-identical to the tfjs ops'
 * (tests/backend/native_bnorm_moving_test.ts). The kernel has no gradient, so the tape saves
 * nothing for it: the moving averages are not differentiated.
 *
 * Registered with the native path's kernels (lib/backend/native.ts) and used only while that
 * path is on (lib/models/batchnorm.ts takes it with the native training BatchNorm, so not with
 * `KIT_NATIVE_BN=0` either): on any other backend, or with the native kernels switched off, the
 * caller keeps the tfjs ops ({@link nativeMovingAverages} returns `undefined`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { countNativeCall } from "./native_conv.ts";

/**
 * The kernel's name on the wasm backend.
 *
 * @example
 * ```ts
 * tf.getKernel(MOVING_AVERAGES_KERNEL, "wasm"); // set once the native path registered
 * ```
 */
export const MOVING_AVERAGES_KERNEL = "KitBatchNormMovingAverages";

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernel needs. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let isOn: (() => boolean) | undefined;

/**
 * Registers the kernel on the wasm backend (registerNativeKernels does, once oneDNN loaded);
 * `enabled()` is the native path's switch.
 *
 * @example
 * ```ts
 * registerNativeMovingAverages(() => true);
 * ```
 */
export function registerNativeMovingAverages(enabled: () => boolean): void {
  if (isOn) return;
  isOn = enabled;
  tf.registerKernel({
    kernelName: MOVING_AVERAGES_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { movingMean, movingVariance, mean, variance } = inputs as Record<
        string,
        tf.TensorInfo
      >;
      const decay = Math.fround((attrs as { decay: number }).decay);
      countNativeCall(MOVING_AVERAGES_KERNEL, true);
      const b = backend as unknown as WasmHeapBackend;
      // Both outputs before any heap view is taken: an allocation may grow the heap.
      const outs = [movingMean!, movingVariance!].map((t) => b.makeOutput([...t.shape], "float32"));
      const v = (t: tf.TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
      update(v(movingMean!), v(mean!), decay, v(outs[0]!));
      update(v(movingVariance!), v(variance!), decay, v(outs[1]!));
      return outs;
    },
  });
}

/** `out = old - (old - batch) · decay`, every step rounded to float32 (Float32Array stores). */
function update(old: Float32Array, batch: Float32Array, decay: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const diff = Math.fround(old[i]! - batch[i]!);
    out[i] = old[i]! - Math.fround(diff * decay);
  }
}

/**
 * The updated moving mean and variance, `old - (old - batch) · decay` for each (as tfjs-layers
 * computes them, bit for bit), from one kernel call; `undefined` when this path is off (another
 * backend, the native kernels not loaded or switched off, other dtypes or sizes), so the caller
 * keeps its tfjs ops.
 *
 * @example
 * ```ts
 * const next = nativeMovingAverages(movingMean, movingVariance, mean, variance, 0.01);
 * ```
 */
export function nativeMovingAverages(
  movingMean: tf.Tensor,
  movingVariance: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  decay: number,
): [tf.Tensor, tf.Tensor] | undefined {
  const all = [movingMean, movingVariance, mean, variance];
  if (
    !isOn?.() || tf.getBackend() !== "wasm" || all.some((t) => t.dtype !== "float32") ||
    all.some((t) => t.rank !== 1 || t.size !== movingMean.size)
  ) {
    return undefined;
  }
  const outs = tf.engine().runKernel(
    MOVING_AVERAGES_KERNEL,
    { movingMean, movingVariance, mean, variance },
    { decay },
  ) as tf.Tensor[];
  return [outs[0]!, outs[1]!];
}
